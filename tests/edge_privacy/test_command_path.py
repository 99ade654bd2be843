"""privacy.erase end to end: stored and signed by a real central, sent over the fleet's TLS broker,
verified and applied by the edge agent's command gate inside the journal transaction of its
acknowledgement, answered with counts in command.applied; a payload that fails validation is
refused with the reason; an edge that erases before it syncs sends only redacted events."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from frontdesk.edge.agent import EdgeAgent
from frontdesk.edge.config import load_edge
from frontdesk.edge.privacy.match import ERASED
from frontdesk.schema.privacy import PrivacyErase, RetentionSet, Subject

from ..spine.harness import Central, Edge, central_and_agent, wait_until
from .helpers import SITE, WANG, ZHANG, events, fill, person_bytes, raw_search


def _state(store, command_id: str) -> str:
    return store.get_command(command_id)["state"]


def test_privacy_erase_from_central_to_the_edge_and_back(tmp_path, fleet, database_url):
    with central_and_agent(tmp_path, fleet, database_url) as (central, agent):
        data_dir = agent.ctx.data_dir
        filled = fill(agent.journal, data_dir)
        store = central.store()
        command = store.create_command(SITE, "edge-1", PrivacyErase(
            request_id="req-1", subject=Subject(name=ZHANG.name, unit=ZHANG.unit)))
        wait_until(lambda: _state(store, command.id) != "pending", 30, what="the erasure answered")
        view = store.get_command(command.id)
        assert view["state"] == "delivered", view
        result = view["result"]
        assert result["request_id"] == "req-1"
        assert {k: result[k] for k in ("directory", "cards", "recordings", "print_jobs", "transcribe_jobs",
                                       "transcripts")} == {"directory": 1, "cards": 1, "recordings": 1,
                                                           "print_jobs": 1, "transcribe_jobs": 1, "transcripts": 1}
        assert result["journal_events"] >= 6
        # counts only: nothing of the person travels back in the answer
        assert not any(v in json.dumps(result, ensure_ascii=False).encode() for v in person_bytes(ZHANG))
        assert not filled.recordings[ZHANG.name].exists() and filled.recordings[WANG.name].exists()
        # the edge's own files hold none of it, in rows, free pages or WAL (the WAL was emptied)
        assert raw_search(data_dir, person_bytes(ZHANG)) == []
        assert raw_search(data_dir, [WANG.phone.encode()])  # the neighbour's data is still there
        assert not (data_dir / "journal.db-wal").exists() or (data_dir / "journal.db-wal").stat().st_size < 10**6

        # A payload that fails validation is refused by the command mechanism, with the reason.
        bad = store.create_command(SITE, "edge-1", PrivacyErase.model_construct(
            request_id="req-2", subject=Subject.model_construct(name=WANG.name, unit=None, phone=None, card_id=None,
                                                                visit_id=None)))
        wait_until(lambda: _state(store, bad.id) != "pending", 30, what="the bad erasure answered")
        refused = store.get_command(bad.id)
        assert refused["state"] == "rejected"
        assert "name together with its unit" in refused["detail"]
        assert raw_search(data_dir, [WANG.name.encode()])  # nothing was erased by it
        acks = [e["payload"] for e in events(agent.journal, "command.applied") if e["payload"]["command_id"] == bad.id]
        assert [a["status"] for a in acks] == ["rejected"]


def test_an_edge_that_erases_before_it_syncs_sends_only_redacted_events(tmp_path, fleet, sqlite_url):
    central = Central(tmp_path / "c", fleet, sqlite_url).start()
    agent = EdgeAgent(load_edge(Edge(tmp_path / "e", fleet, ack_timeout_s=20).config))
    try:
        fill(agent.journal, agent.ctx.data_dir)  # all of it still in the outbox
        unsent = agent.journal.backlog()
        result = agent.privacy.erase_now(Subject(phone=ZHANG.phone))
        assert result["journal_events"] >= 5 and agent.journal.backlog() == unsent  # kept, to be sent
        agent.start()
        store = central.store()
        wait_until(lambda: agent.journal.backlog() == 0, 30, what="the outbox synced")
        at_central = store.list_events(site=SITE, limit=10_000)
        assert len(at_central) >= unsent
        sent = json.dumps([e["payload"] for e in at_central], ensure_ascii=False)
        assert ZHANG.phone not in sent and "138 0013 8000" not in sent and ERASED in sent
        assert WANG.phone in sent
    finally:
        agent.stop()
        central.stop()


def test_retention_set_from_central_and_the_run_it_causes_reach_central(tmp_path, fleet, sqlite_url):
    central = Central(tmp_path / "c", fleet, sqlite_url).start()
    clock = {"now": datetime.now(UTC)}
    agent = EdgeAgent(load_edge(Edge(tmp_path / "e", fleet, ack_timeout_s=20).config), clock=lambda: clock["now"])
    try:
        agent.start()
        fill(agent.journal, agent.ctx.data_dir)
        store = central.store()
        command = store.create_command(SITE, "edge-1", RetentionSet(days={"calls": 1, "recordings": 1}))
        wait_until(lambda: _state(store, command.id) != "pending", 30, what="retention.set answered")
        view = store.get_command(command.id)
        assert view["state"] == "delivered" and view["result"]["days"]["calls"] == 1
        assert view["result"]["days"]["visits"] == 90  # not named: this edge's default
        clock["now"] += timedelta(days=2)
        agent.privacy.wake()  # the hourly run, now
        wait_until(lambda: store.list_events(site=SITE, type_="privacy.retention_applied"), 30,
                   what="the retention run's event at central")
        applied = store.list_events(site=SITE, type_="privacy.retention_applied")[0]["payload"]
        assert applied["counts"] == {"calls": {"journal_events": 6}, "recordings": {"recordings": 2}}
        assert store.list_quarantine() == []  # every event, the redacted ones too, was accepted
    finally:
        agent.stop()
        central.stop()
