"""Retention on the edge: each kind with an injected clock, unsent events kept but redacted, the
site's periods from retention.set, and the agent's periodic run."""
from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest

from frontdesk.edge.agent import EdgeAgent
from frontdesk.edge.config import ConfigError, parse_edge
from frontdesk.edge.privacy.match import EXPIRED
from frontdesk.edge.transcribe.jobqueue import JobQueue
from frontdesk.runtime.ports import free_port
from frontdesk.schema import make_command
from frontdesk.schema.call import CallRinging
from frontdesk.schema.privacy import RETENTION_KINDS, RetentionSet
from frontdesk.schema.system import DeskNote

from .helpers import DEVICE, SITE, VISITOR, WANG, ZHANG, events, make_service

NONE = dict.fromkeys(RETENTION_KINDS, 0)  # keep everything for ever


def later(days: float):
    at = datetime.now(UTC) + timedelta(days=days)
    return lambda: at


def _count(desk, sql: str) -> int:
    db = sqlite3.connect(desk.journal.path)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def _payloads(desk, type_: str) -> list[dict]:
    return [e["payload"] for e in events(desk.journal, type_)]


def _jobs(desk) -> int:
    queue = JobQueue(desk.data_dir / "transcribe.db")
    try:
        return sum(queue.counts().values())
    finally:
        queue.close()


def test_calls_lose_numbers_and_names_and_nothing_else(desk):
    done = make_service(desk.journal, desk.data_dir, later(31), **{**NONE, "calls": 30}).apply_retention()
    assert done == {"calls": {"journal_events": 6}}  # ringing, message, ended for each of the two calls
    for p in _payloads(desk, "call.ringing"):
        assert p["number"] == p["number_raw"] == p["name"] == p["resident_name"] == EXPIRED
        assert p["unit"] in (ZHANG.unit, WANG.unit)
    assert all(ZHANG.name in p["text"] for p in _payloads(desk, "call.transcribed")[:1])  # transcripts: theirs
    assert all(path.exists() for path in desk.filled.recordings.values())


def test_visits_go_from_the_post_and_the_events(desk):
    done = make_service(desk.journal, desk.data_dir, later(31), **{**NONE, "visits": 30}).apply_retention()
    assert done["visits"] == {"journal_events": 2, "visits": 1}  # the check-in and the card scan; the visit row
    visit = _payloads(desk, "visitor.checked_in")[0]
    assert visit["visitor_name"] == visit["phone"] == visit["phone_masked"] == EXPIRED
    assert _payloads(desk, "card.scanned")[0]["holder"] == EXPIRED
    assert _count(desk, "SELECT COUNT(*) FROM access_visits") == 0
    assert _count(desk, "SELECT COUNT(*) FROM access_cards") == 2  # the allow-list is today's, not a record


def test_recordings_are_deleted(desk):
    done = make_service(desk.journal, desk.data_dir, later(31), **{**NONE, "recordings": 30}).apply_retention()
    assert done == {"recordings": {"recordings": 2}}
    assert not any(path.exists() for path in desk.filled.recordings.values())
    assert not (desk.data_dir / "recordings").exists() or not any((desk.data_dir / "recordings").iterdir())


def test_transcripts_lose_their_text_and_jobs(desk):
    done = make_service(desk.journal, desk.data_dir, later(31), **{**NONE, "transcripts": 30}).apply_retention()
    assert done == {"transcripts": {"journal_events": 2, "transcribe_jobs": 2}}
    assert {p["text"] for p in _payloads(desk, "call.transcribed")} == {EXPIRED}
    assert _jobs(desk) == 0


def test_answered_commands_keep_no_details(desk):
    done = make_service(desk.journal, desk.data_dir, later(31), **{**NONE, "commands": 30}).apply_retention()
    assert done["commands"]["journal_commands"] == 1  # the refusal that quoted a number
    assert _count(desk, "SELECT COUNT(*) FROM commands WHERE detail IS NOT NULL") == 0
    refused = [p for p in _payloads(desk, "command.applied") if p["status"] == "rejected"]
    assert refused and refused[0]["detail"] == EXPIRED
    assert ZHANG.phone not in json.dumps(_payloads(desk, "command.applied"))


def test_print_jobs_are_deleted(desk):
    done = make_service(desk.journal, desk.data_dir, later(31), **{**NONE, "print_jobs": 30}).apply_retention()
    assert done == {"print_jobs": {"print_jobs": 2, "journal_events": 1}}
    assert _count(desk, "SELECT COUNT(*) FROM print_jobs") == 0
    assert _payloads(desk, "print.requested")[0]["data"]["display_name"] == EXPIRED


def test_nothing_younger_than_the_period_is_touched(desk):
    before = events(desk.journal)
    done = make_service(desk.journal, desk.data_dir, later(29), **dict.fromkeys(RETENTION_KINDS, 30)).apply_retention()
    assert done == {}
    assert events(desk.journal) == before
    assert _count(desk, "SELECT COUNT(*) FROM print_jobs") == 2 and _jobs(desk) == 2
    assert not events(desk.journal, "privacy.retention_applied")  # nothing removed, nothing journaled


def test_zero_days_keeps_for_ever(desk):
    assert make_service(desk.journal, desk.data_dir, later(5000), **NONE).apply_retention() == {}


def test_unsent_events_are_kept_and_redacted(desk):
    outbox = [p.event_id for p in desk.journal.pending(0, 10**6)]
    total = len(events(desk.journal))
    assert outbox and len(outbox) == total  # nothing has reached central
    make_service(desk.journal, desk.data_dir, later(400), **dict.fromkeys(RETENTION_KINDS, 30)).apply_retention()
    desk.journal.prune(keep_days=1)  # the journal's own pruning never takes what central has not confirmed
    assert [p.event_id for p in desk.journal.pending(0, 10**6)][:len(outbox)] == outbox
    sent = b"".join(p.body for p in desk.journal.pending(0, 10**6))
    for value in (ZHANG.phone, WANG.phone, VISITOR.phone, VISITOR.name):
        assert value.encode() not in sent, value
    # ... but the events of the register are all there, and one more says what retention did.
    assert len(events(desk.journal)) == total + 1
    applied = _payloads(desk, "privacy.retention_applied")[0]
    assert applied["counts"]["calls"]["journal_events"] == 6 and applied["days"]["calls"] == 30


def test_the_sites_periods_replace_the_defaults_and_survive_a_restart(desk):
    service = make_service(desk.journal, desk.data_dir, later(31), calls=0, recordings=0)
    command = make_command(RetentionSet(days={"calls": 30}), site=SITE, device=DEVICE)
    ack = desk.journal.apply_command(command, service.ctx.commands)
    assert ack.payload["status"] == "applied"
    assert ack.payload["result"]["days"]["calls"] == 30 and ack.payload["result"]["days"]["recordings"] == 0
    restarted = make_service(desk.journal, desk.data_dir, later(31), calls=0, recordings=0)
    assert restarted.days()["calls"] == 30 and restarted.days()["visits"] == 90  # a kind not named: the default
    assert "calls" in restarted.apply_retention()
    # A later retention.set replaces the earlier one as a whole: calls is back to this edge's default.
    desk.journal.apply_command(make_command(RetentionSet(days={"visits": 7}), site=SITE, device=DEVICE),
                               restarted.ctx.commands)
    assert restarted.days()["calls"] == 0 and restarted.days()["visits"] == 7


@pytest.mark.parametrize("days", [{"calls": -1}, {"calls": 4000}, {"faces": 3}])
def test_a_bad_retention_set_is_rejected_with_its_reason(desk, days):
    service = make_service(desk.journal, desk.data_dir)
    command = make_command(RetentionSet.model_construct(days=days), site=SITE, device=DEVICE)
    ack = desk.journal.apply_command(command, service.ctx.commands)
    assert ack.payload["status"] == "rejected"
    assert ack.payload["detail"].startswith("SchemaError: command retention.set payload")
    assert ("retention days must be between" in ack.payload["detail"]) != ("unknown retention kind" in
                                                                             ack.payload["detail"])
    assert service.days() == service.cfg.days()


def test_the_agent_applies_retention_periodically(tmp_path):
    data = tmp_path / "edge"
    cfg = parse_edge({"site": {"id": SITE, "timezone": "Asia/Shanghai"},
                      "edge": {"device": DEVICE, "data_dir": str(data)},
                      "mqtt": {"host": "127.0.0.1", "port": free_port()},  # no broker: the edge runs offline
                      "retention": {"calls": 1, "every_s": 0.2}})
    clock = {"now": datetime.now(UTC)}
    agent = EdgeAgent(cfg, clock=lambda: clock["now"])
    agent.start(connect_wait_s=0.1)
    try:
        agent.journal.record(DeskNote(text="hello"))
        agent.journal.record(CallRinging(call_id="c1", number="+8613800138000", ring=1, cadence="cn",
                                         caller_id_received=True))
        time.sleep(0.5)
        assert not events(agent.journal, "privacy.retention_applied")  # the call is younger than a day
        clock["now"] += timedelta(days=2)
        deadline = time.monotonic() + 10
        while not events(agent.journal, "privacy.retention_applied") and time.monotonic() < deadline:
            time.sleep(0.05)
        applied = events(agent.journal, "privacy.retention_applied")
        assert applied and applied[0]["payload"]["counts"] == {"calls": {"journal_events": 1}}
        assert events(agent.journal, "call.ringing")[0]["payload"]["number"] == EXPIRED
    finally:
        agent.stop()


def test_the_retention_section_has_defaults_and_refuses_typos_and_bad_days():
    base = {"site": {"id": SITE}, "edge": {"device": DEVICE}}
    cfg = parse_edge(base)
    assert cfg.retention.days() == {"visits": 90, "calls": 180, "recordings": 30, "transcripts": 180,
                                    "commands": 30, "quarantine": 30, "print_jobs": 30}
    assert set(cfg.retention.days()) == set(RETENTION_KINDS) and cfg.retention.every_s == 3600
    assert parse_edge({**base, "retention": {"recordings": 7}}).retention.days()["recordings"] == 7
    for bad, why in (({"recording": 7}, "retention.recording: unknown key"), ({"calls": -1}, "retention.calls"),
                     ({"calls": 4000}, "retention.calls"), ({"every_s": 0}, "retention.every_s")):
        with pytest.raises(ConfigError) as err:
            parse_edge({**base, "retention": bad}, "edge.toml")
        assert f"edge.toml: {why}" in str(err.value)
