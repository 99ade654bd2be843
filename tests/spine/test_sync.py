"""The event spine end to end: edge journal -> real Mosquitto -> central store -> ack -> outbox.

Every test runs real processes (`frontdesk edge run`, `frontdesk central run`) against a real
Mosquitto on the fleet's generated TLS configuration (certificates required, the per-device ACL),
and the central store on SQLite and on PostgreSQL where marked.
"""
from __future__ import annotations

import json
import random
import threading
import time

import pytest

from frontdesk.schema import MAX_BATCH_BYTES, encode_batch, make_event
from frontdesk.schema.system import DeskNote, Ping, SettingsUpdate

from .harness import (
    SITE,
    Central,
    Edge,
    RawClient,
    journal_ids,
    local_fleet,
    publish_raw,
    record_notes,
    wait_until,
)


def assert_exactly_once(store, device: str, expected: list[str]) -> None:
    got = store.event_ids(SITE, device)
    assert len(got) == len(set(got)), "central holds an event twice"
    missing = set(expected) - set(got)
    assert not missing, f"{len(missing)} events never reached central"
    # central's order per device is the edge's journal order
    seqs = [e["seq"] for e in store.list_events(site=SITE, device=device, limit=10**6)]
    assert seqs == sorted(seqs)


def arrived(store, device: str, n: int):
    return lambda: store.count_events(site=SITE, device=device) >= n


def test_events_and_commands_round_trip(tmp_path, fleet, database_url):
    central = Central(tmp_path / "c", fleet, database_url).start()
    edge = Edge(tmp_path / "e", fleet).start()
    try:
        journal = edge.journal()
        ids = record_notes(journal, 300)
        store = central.store()
        wait_until(arrived(store, "edge-1", 301), 30, what="events at central")  # + edge.started
        assert_exactly_once(store, "edge-1", ids)
        wait_until(lambda: journal.backlog() == 0, 15, what="outbox cleared by acks")
        note = store.list_events(site=SITE, device="edge-1", type_="desk.note", limit=1)[0]
        assert note["payload"]["text"] == "note 0" and note["tz"] == "Asia/Shanghai"

        # commands: stored, sent, applied once, acknowledged, queryable
        command = store.create_command(SITE, "edge-1", SettingsUpdate(values={"greeting": "您好"}))
        wait_until(lambda: store.get_command(command.id)["state"] == "delivered", 20, what="command delivered")
        assert journal.setting("greeting") == "您好"
        assert store.get_command(command.id)["result"] == {"updated": ["greeting"]}
        unknown = store.create_command(SITE, "edge-1", Ping())
        wait_until(lambda: store.get_command(unknown.id)["state"] == "delivered", 20, what="ping delivered")
    finally:
        edge.stop()
        central.stop()


def test_commands_wait_for_an_offline_edge_and_apply_once(tmp_path, fleet, sqlite_url):
    central = Central(tmp_path / "c", fleet, sqlite_url, retry_s=0.5).start()
    store = central.store()
    try:
        command = store.create_command(SITE, "edge-1", SettingsUpdate(values={"k": 1}))
        time.sleep(2.5)  # several retries go out with nobody listening
        pending = store.list_commands(state="pending")
        assert [c["id"] for c in pending] == [command.id] and pending[0]["attempts"] >= 2
        edge = Edge(tmp_path / "e", fleet).start()
        try:
            wait_until(lambda: store.get_command(command.id)["state"] == "delivered", 20, what="delivery")
            time.sleep(1.5)  # retries that were already in flight arrive again: applied once only
            journal = edge.journal()
            applied = [e for e in journal.events(0, 10**6) if e["type"] == "command.applied"]
            assert [e["payload"]["command_id"] for e in applied] == [command.id]
            assert store.list_commands(state="pending") == []
        finally:
            edge.stop()
    finally:
        central.stop()


def test_broker_killed_mid_stream_and_back_30s_later(tmp_path, fleet, sqlite_url):
    broker = fleet.broker
    central = Central(tmp_path / "c", fleet, sqlite_url).start()
    edge = Edge(tmp_path / "e", fleet).start()
    journal = edge.journal()
    ids: list[str] = []
    stop = threading.Event()

    def produce():
        while not stop.is_set():
            ids.extend(record_notes(journal, 20, chunk=20))
            time.sleep(0.02)

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        store = central.store()
        wait_until(arrived(store, "edge-1", 200), 30, what="stream flowing")
        broker.kill()
        time.sleep(30)
        broker.start()
        time.sleep(2)
        stop.set()
        producer.join()
        total = len(journal_ids(journal))
        wait_until(arrived(store, "edge-1", total), 60, what="all events after the outage")
        assert_exactly_once(store, "edge-1", ids)
        wait_until(lambda: journal.backlog() == 0, 30, what="outbox drained")
    finally:
        stop.set()
        edge.stop()
        central.stop()


def test_central_killed_mid_batch_and_restarted(tmp_path, fleet, database_url):
    central = Central(tmp_path / "c", fleet, database_url).start()
    edge = Edge(tmp_path / "e", fleet).start()
    journal = edge.journal()
    try:
        ids = record_notes(journal, 3000)
        store = central.store()
        wait_until(lambda: store.count_events(site=SITE) > 100, 30, what="ingest started")
        central.kill()  # mid-stream: some batches committed, some not, some PUBACKs never sent
        for _ in range(2):
            ids += record_notes(journal, 1000)
            central.start()
            time.sleep(random.uniform(0.2, 1.0))
            central.kill()
        central.start()
        wait_until(arrived(store, "edge-1", len(journal_ids(journal))), 90, what="every event after restarts")
        assert_exactly_once(store, "edge-1", ids)
        wait_until(lambda: journal.backlog() == 0, 30, what="outbox drained")
    finally:
        edge.stop()
        central.stop()


PRODUCER = """
import sys, time
from frontdesk.edge.agent import EdgeAgent
from frontdesk.edge.config import load_edge
from frontdesk.schema.system import DeskNote
agent = EdgeAgent(load_edge(sys.argv[1]))
agent.start(connect_wait_s=0.5)
i = 0
while True:
    event = agent.journal.record(DeskNote(text=f"produced {i}"))
    print(event.id, flush=True)  # printed only after the commit: these MUST reach central
    i += 1
    time.sleep(0.002)
"""


def test_edge_killed_at_random_points_while_producing(tmp_path, fleet, sqlite_url):
    import subprocess
    import sys

    central = Central(tmp_path / "c", fleet, sqlite_url).start()
    edge = Edge(tmp_path / "e", fleet)  # only for its config and journal path
    script = tmp_path / "producer.py"
    script.write_text(PRODUCER)
    committed: list[str] = []
    rng = random.Random(7)
    try:
        for _ in range(6):
            proc = subprocess.Popen([sys.executable, str(script), str(edge.config)], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
            # kill it at a random point while it is producing: after a random number of commits
            target, seen = rng.randint(10, 250), 0
            deadline = time.monotonic() + 60
            while seen < target and time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                committed.append(line.strip())
                seen += 1
            proc.kill()
            out, _ = proc.communicate()
            committed += [line for line in out.splitlines() if len(line) == 36]
        assert len(committed) > 100
        edge.start()  # a last, orderly run drains what is left
        journal = edge.journal()
        store = central.store()
        wait_until(lambda: journal.backlog() == 0 and store.count_events(site=SITE, device="edge-1")
                   == len(journal_ids(journal)), 60, what="every journaled event at central")
        assert_exactly_once(store, "edge-1", committed)
    finally:
        edge.stop()
        central.stop()


def test_hundred_thousand_events_buffered_during_outage_drain(tmp_path, sqlite_url):
    with local_fleet(tmp_path, sqlite_url, start=False) as fleet:
        edge = Edge(tmp_path / "e", fleet).start()  # enrolled, but the broker is not there yet
        journal = edge.journal()
        try:
            ids = record_notes(journal, 100_000, chunk=1000)
            assert journal.backlog() >= 100_000
            fleet.start_broker()
            central = Central(tmp_path / "c", fleet, sqlite_url).start()
            try:
                store = central.store()
                wait_until(arrived(store, "edge-1", 100_001), 240, interval=1, what="100k drained")
                assert_exactly_once(store, "edge-1", ids)
                wait_until(lambda: journal.backlog() == 0, 60, what="outbox empty")
            finally:
                central.stop()
        finally:
            edge.stop()


def test_broker_unreachable_at_startup(tmp_path, sqlite_url):
    with local_fleet(tmp_path, sqlite_url, start=False) as fleet:
        edge = Edge(tmp_path / "e", fleet).start()
        try:
            journal = edge.journal()
            wait_until(lambda: "journaling locally" in edge.output(), 15, what="the edge saying it is offline")
            assert edge.alive()
            ids = record_notes(journal, 50)
            assert journal.backlog() >= 51  # 50 notes + edge.started, all on disk
            fleet.start_broker()
            central = Central(tmp_path / "c", fleet, sqlite_url).start()
            try:
                store = central.store()
                wait_until(arrived(store, "edge-1", 51), 30, what="sync once the broker is back")
                assert_exactly_once(store, "edge-1", ids)
                started = store.list_events(site=SITE, type_="edge.started")[0]
                assert started["payload"]["broker_reachable"] is False
            finally:
                central.stop()
        finally:
            edge.stop()


def test_bad_payloads_are_quarantined_and_ingest_goes_on(tmp_path, fleet, database_url):
    central = Central(tmp_path / "c", fleet, database_url).start()
    store = central.store()

    def ev(seq, device="edge-1", **over):
        wire = make_event(DeskNote(text=f"ok {seq}"), site=SITE, device=device, seq=seq, tz="Asia/Shanghai").to_wire()
        wire.update(over)
        return wire

    topic = f"frontdesk/v1/{SITE}/edge-1/events"
    edge_1 = fleet.device_mqtt("edge-1")  # a compromised edge-1 (its own agent is not running)
    wrong_schema = ev(2)
    wrong_schema["payload"] = {"text": 42, "colour": "red"}
    wrong_version = ev(3, schema_version=99)
    spoofed = ev(4, device="edge-2")  # edge-1 speaking for edge-2
    good = [ev(1), ev(5)]
    try:
        # Larger than any batch, but within the broker's packet limit: central must refuse it itself.
        oversized = encode_batch([{"filler": "x" * MAX_BATCH_BYTES}])
        publish_raw(edge_1, [
            (topic, b"\xff\xfe not json"),
            (topic, b'{"v": 1, "items": "nope"}'),
            (topic, oversized),
            (topic, encode_batch([good[0], wrong_schema, wrong_version, spoofed, "just a string", good[1]])),
        ])
        wait_until(lambda: store.count_events(site=SITE) == 2, 20, what="the good events")
        wait_until(lambda: len(store.list_quarantine()) == 7, 20, what="quarantine rows")
        reasons = " | ".join(q["reason"] for q in store.list_quarantine())
        for expected in ("not UTF-8 JSON", 'must be {"v": 1', "exceeds", "payload", "schema version 99",
                         "identity mismatch", "must be a JSON object"):
            assert expected in reasons, expected
        assert "quarantined" in central.output()
        # and ingestion goes on
        publish_raw(edge_1, [(topic, encode_batch([ev(6)]))])
        wait_until(lambda: store.count_events(site=SITE) == 3, 20, what="ingest after bad input")
        assert central.alive()
        # Past the broker's packet limit a message never reaches central: the broker drops its sender.
        with pytest.raises(AssertionError, match="dropped the connection"):
            publish_raw(edge_1, [(topic, encode_batch([{"filler": "x" * 1100 * 1024}]))])
        time.sleep(1.0)
        assert store.count_events(site=SITE) == 3 and len(store.list_quarantine()) == 7
    finally:
        central.stop()


def test_acks_tell_the_edge_about_quarantined_events(tmp_path, fleet, sqlite_url):
    """An edge never keeps resending something central keeps in quarantine (it is stored there)."""
    central = Central(tmp_path / "c", fleet, sqlite_url).start()
    got: list[dict] = []
    # edge-1's own certificate, for its own topics: only edge-1 may read its acks
    client = RawClient(fleet.device_mqtt("edge-1"), on_message=lambda c, u, m: got.append(json.loads(m.payload)))
    client.subscribe(f"frontdesk/v1/{SITE}/edge-1/acks")
    try:
        bad = make_event(DeskNote(text="x"), site=SITE, device="edge-1", seq=1, tz="UTC").to_wire()
        bad["schema_version"] = 2
        client.publish(f"frontdesk/v1/{SITE}/edge-1/events", encode_batch([bad]))
        wait_until(lambda: got, 20, what="an ack")
        assert got[0] == {"ids": [], "quarantined": [bad["id"]]}
    finally:
        client.close()
        central.stop()
