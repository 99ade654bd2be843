"""Bad input on every topic an edge owns: nothing a message holds stops central's ingest or the edge's
ack and command loops (issue #11 point 4).

Real processes (`frontdesk central run`, `frontdesk edge run`), a real Mosquitto on the fleet's
generated TLS configuration, the central store on SQLite and PostgreSQL, while the edge's real events
and central's real commands keep flowing. The broker's ACL decides who can publish where, so the
attackers are who could: on the events topic a compromised device of the site (`evil-1`, enrolled
like any other) publishing on its own topic, which central ingests next to edge-1's; on edge-1's
commands and acks topics a holder of central's rights (a stolen central credential or a compromised
broker). Hypothesis makes the bad input.
"""
from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk import topics
from frontdesk.central.config import CentralConfig
from frontdesk.central.ingest import CentralLink
from frontdesk.central.store import QuarantineQuota, Store, database_unavailable
from frontdesk.edge.agent import EdgeAgent
from frontdesk.edge.config import load_edge
from frontdesk.ids import new_id
from frontdesk.schema import MAX_BATCH_BYTES, SchemaError, decode_batch, decode_json, encode_batch, make_event
from frontdesk.schema.envelope import MAX_JSON_DEPTH, json_depth
from frontdesk.schema.system import DeskNote, Ping, QuarantineFlooded, SettingsUpdate

from .harness import SITE, Central, Edge, RawClient, client_config, journal_ids, record_notes, wait_until

DEVICE = "edge-1"
EVENTS = topics.topic(SITE, DEVICE, topics.EVENTS)
# The compromised device: its events topic is the only one it may publish on.
EVIL = "evil-1"
EVIL_EVENTS = topics.topic(SITE, EVIL, topics.EVENTS)
# The two reproductions from the issue, as they were published.
DEEP_BATCH = b'{"v":1,"items":[' + b"[" * 200_000 + b"]" * 200_000 + b"]}"
YEAR_9999 = "9999-12-31T23:00:00-05:00"
EXAMPLES = 80


# -- the set-up -------------------------------------------------------------------------------------

def central_with_quota(root, fleet, url: str, quota: int = 10**6) -> Central:
    """The harness's central process with its quarantine quota set (in its [central] section)."""
    central = Central(root, fleet, url, retry_s=0.5)
    cfg = root / "central.toml"
    cfg.write_text(cfg.read_text().replace("[mqtt]", f"quarantine_quota = {quota}\n\n[mqtt]"))
    return central


def valid_wire(seq: int = 10**9, device: str = DEVICE, **changes: Any) -> dict[str, Any]:
    """A valid event of `device` as a dict (the attacker may change fields of it)."""
    event = make_event(DeskNote(text="attacker"), site=SITE, device=device, seq=seq, tz="Asia/Shanghai")
    return {**event.to_wire(), **changes}


def quarantine(store: Store) -> list[dict[str, Any]]:
    return store.list_quarantine(limit=10**6)


# -- what the attacker sends --------------------------------------------------------------------------

# (NUL is left out of arbitrary text only because quarantine rows spell it out as \\x00, which would
# make the ids expected here differ; broken_events sends NUL on purpose.)
texts = st.text(st.characters(exclude_characters="\x00"), max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False) | texts,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(texts, inner, max_size=5),
    max_leaves=20)
# Values of the wrong JSON type for every envelope field (pydantic's lax mode turns "7" into 7 and
# 1700000000 into a date, so only containers and null are wrong for all of them).
wrong_types = st.none() | st.lists(json_values, max_size=3) | st.dictionaries(texts, json_values, max_size=3)
odd_dates = st.sampled_from([YEAR_9999, "0001-01-01T00:00:00+14:00", "1969-12-31T23:59:59Z", "2024-02-30T00:00:00Z",
                             "2024-01-01T00:00:00", "2200-01-01T00:00:00Z", "tomorrow", "", "9" * 50, -(10**20),
                             10**20, 1.5e300]) | wrong_types
FIELDS = ["id", "type", "schema_version", "site", "device", "seq", "occurred_at", "tz", "payload"]


@st.composite
def broken_events(draw) -> dict[str, Any]:
    """A valid event of the attacker's with one thing wrong (so it must be quarantined) and a fresh id."""
    item = valid_wire(device=EVIL)
    kind = draw(st.sampled_from(["date", "field", "extra", "drop", "payload", "seq", "nul"]))
    if kind == "date":
        item["occurred_at"] = draw(odd_dates)
    elif kind == "field":
        name = draw(st.sampled_from([f for f in FIELDS if f != "id"]))
        item[name] = draw(wrong_types.filter(lambda v: not isinstance(v, dict)) if name == "payload" else wrong_types)
    elif kind == "extra":
        item[draw(st.sampled_from(["extra", "by", "__proto__"]))] = draw(json_values)
    elif kind == "drop":
        del item[draw(st.sampled_from([f for f in FIELDS if f != "id"]))]
    elif kind == "payload":
        item["payload"] = {"text": draw(json_values.filter(lambda v: not (isinstance(v, str) and 0 < len(v) <= 4000)))}
    elif kind == "seq":
        item["seq"] = draw(st.sampled_from([0, -1, 2**63, 10**40, 1.5, "7", True]))
    else:
        item["payload"] = {"text": "before\x00after"}
    return item


@st.composite
def event_attacks(draw) -> tuple[list[bytes], list[str], int, list[dict[str, Any]]]:
    """Messages for the events topic: (payloads, ids that must end in quarantine, how many id-less
    quarantine rows they make, valid events among them that must be stored)."""
    payloads: list[bytes] = []
    bad_ids: list[str] = []
    idless = 0
    valid: list[dict[str, Any]] = []
    for kind in draw(st.lists(st.sampled_from(["bytes", "json", "deep", "wide", "huge", "batch"]), min_size=1,
                              max_size=4)):
        if kind == "bytes":
            raw = draw(st.binary(max_size=300))
            try:
                doc = json.loads(raw)
                if isinstance(doc, dict) and doc.get("v") == 1 and isinstance(doc.get("items"), list):
                    continue  # (never drawn in practice) a real batch: not what this case is about
            except ValueError:
                pass
            payloads.append(raw)
            idless += 1
        elif kind == "json":  # any JSON document that is not a batch
            doc = draw(json_values)
            if isinstance(doc, dict) and doc.get("v") == 1 and isinstance(doc.get("items"), list):
                continue
            payloads.append(json.dumps(doc).encode())
            idless += 1
        elif kind == "deep":
            depth = draw(st.integers(MAX_JSON_DEPTH + 1, 50_000))
            payloads.append(b'{"v":1,"items":[' + b'{"a":' * depth + b"1" + b"}" * depth + b"]}")
            idless += 1
        elif kind == "wide":
            width = draw(st.integers(100, 2000))
            payloads.append(json.dumps({"v": 1, "items": [0] * width}).encode())
            idless += width  # each item is rejected on its own
        elif kind == "huge":
            digits = draw(st.integers(4301, 100_000))
            payloads.append(b'{"v":1,"items":[' + b"9" * digits + b"]}")
            idless += 1
        else:  # a batch mixing valid events, broken ones (some sharing an id) and arbitrary values
            items: list[Any] = []
            for part in draw(st.lists(st.sampled_from(["valid", "broken", "twin", "value"]), min_size=1, max_size=8)):
                if part == "valid":
                    event = valid_wire(seq=draw(st.integers(10**9, 2 * 10**9)), device=EVIL)
                    items.append(event)
                    valid.append(event)
                elif part in ("broken", "twin"):
                    broken = draw(broken_events())
                    items.append(broken)
                    bad_ids.append(broken["id"])
                    if part == "twin":  # the same id twice in one batch: one quarantine row
                        items.append({**broken, "seq": "twin"})
                else:
                    value = draw(json_values)
                    items.append(value)
                    if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"]:
                        bad_ids.append(value["id"][:64])
                    else:
                        idless += 1
            payloads.append(json.dumps({"v": 1, "items": items}).encode())
    return payloads, bad_ids, idless, valid


# -- the two reproductions ------------------------------------------------------------------------------

@pytest.mark.parametrize("attack", ["deep-json", "year-9999"])
def test_the_issue_reproductions_no_longer_stop_ingest(tmp_path, fleet, database_url, attack):
    """One publish on a device's own topic used to stop all ingest, even across a restart of central."""
    if attack == "deep-json":
        payload, reason = DEEP_BATCH, "nests deeper"
    else:
        payload, reason = encode_batch([valid_wire(device=EVIL, occurred_at=YEAR_9999)]), "occurred_at"
    central = central_with_quota(tmp_path / "c", fleet, database_url).start()
    edge = Edge(tmp_path / "e", fleet).start()
    attacker = RawClient(fleet.device_mqtt(EVIL))
    try:
        journal, store = edge.journal(), central.store()
        before = record_notes(journal, 20, prefix="before")
        wait_until(lambda: set(before) <= set(store.event_ids(SITE, DEVICE)), 30, what="events before the attack")
        attacker.publish(EVIL_EVENTS, payload)  # returns on the broker's PUBACK
        after = record_notes(journal, 50, prefix="after")
        wait_until(lambda: set(after) <= set(store.event_ids(SITE, DEVICE)), 30, what="events after the attack")
        rows = wait_until(lambda: [q for q in quarantine(store) if reason in q["reason"]], 10, what="quarantine")
        assert len(rows) == 1 and rows[0]["topic"] == EVIL_EVENTS

        # central acknowledged the message: after a restart the broker does not hand it back
        central.stop()
        central.start()
        later = record_notes(journal, 20, prefix="later")
        wait_until(lambda: set(later) <= set(store.event_ids(SITE, DEVICE)), 30, what="events after the restart")
        time.sleep(1.0)
        assert len([q for q in quarantine(store) if reason in q["reason"]]) == 1, "the attack was redelivered"
        ids = journal_ids(journal)
        stored = store.event_ids(SITE, DEVICE)
        assert len(stored) == len(set(stored)) and set(ids) <= set(stored)
        assert "Traceback" not in central.output()
    finally:
        attacker.close()
        edge.stop()
        central.stop()


# -- fuzzing the events topic ---------------------------------------------------------------------------

def test_fuzzed_events_topic_never_stalls_ingest(tmp_path, fleet, database_url):
    """Arbitrary bytes and JSON on the compromised device's events topic while edge-1's real events
    flow: every valid event stored exactly once, every invalid item in quarantine, and ingest never
    stalls."""
    central = central_with_quota(tmp_path / "c", fleet, database_url).start()
    edge = Edge(tmp_path / "e", fleet).start()
    attacker = RawClient(fleet.device_mqtt(EVIL))
    journal, store = edge.journal(), central.store()
    expected_bad: set[str] = set()
    expected_idless = 0
    valid_ids: list[str] = []
    stalls: list[float] = []
    stop_flow = threading.Event()

    def flow() -> None:  # the edge's own events keep coming, ~100 a second
        while not stop_flow.wait(0.05):
            record_notes(journal, 5, prefix="flow")

    flowing = threading.Thread(target=flow, daemon=True)
    try:
        wait_until(lambda: store.count_events(site=SITE, device=DEVICE) >= 1, 30, what="edge.started")
        flowing.start()

        @given(attack=event_attacks())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def fuzz(attack) -> None:
            nonlocal expected_idless
            payloads, bad_ids, idless, valid = attack
            for payload in payloads:
                attacker.publish(EVIL_EVENTS, payload)
            expected_bad.update(bad_ids)
            expected_idless += idless
            valid_ids.extend(e["id"] for e in valid)
            # a sentinel from the real edge, sent after the attack, must be stored promptly
            started = time.monotonic()
            sentinel = record_notes(journal, 1, prefix="sentinel")[0]
            wait_until(lambda: sentinel in set(store.event_ids(SITE, DEVICE)), 20, interval=0.02,
                       what="the sentinel after an attack")
            stalls.append(time.monotonic() - started)

        fuzz()
        stop_flow.set()
        flowing.join(5)
        edge_ids = journal_ids(journal)
        wait_until(lambda: set(edge_ids) <= set(store.event_ids(SITE, DEVICE))
                   and set(valid_ids) <= set(store.event_ids(SITE, EVIL)), 60, what="every valid event at central")
        stored, stored_evil = store.event_ids(SITE, DEVICE), store.event_ids(SITE, EVIL)
        assert len(stored) == len(set(stored)) and len(stored_evil) == len(set(stored_evil)), \
            "central holds an event twice"
        assert set(stored) == set(edge_ids), "central stored something edge-1 did not send"
        assert set(stored_evil) == set(valid_ids), "central stored something that was not valid"

        def all_quarantined() -> bool:
            rows = quarantine(store)
            ids = {q["event_id"] for q in rows if q["event_id"]}
            return expected_bad <= ids and sum(1 for q in rows if q["event_id"] is None) >= expected_idless

        wait_until(all_quarantined, 60, what="every invalid item in quarantine")
        rows = quarantine(store)
        assert sum(1 for q in rows if q["event_id"] is None) == expected_idless
        assert not {q["event_id"] for q in rows if q["event_id"]} & set(edge_ids), "a real event was quarantined"
        wait_until(lambda: journal.backlog() == 0, 30, what="the edge's outbox emptied by acks")
        assert max(stalls) < 10, f"ingest stalled {max(stalls):.1f} s"
        print(f"{len(stalls)} attacks, {len(rows)} quarantine rows, sentinel latency max {max(stalls):.2f} s")
    finally:
        stop_flow.set()
        attacker.close()
        edge.stop()
        central.stop()


# -- fuzzing the command and ack topics -------------------------------------------------------------------

def command_wire(**changes: Any) -> dict[str, Any]:
    wire = {"id": new_id(), "type": SettingsUpdate.TYPE, "schema_version": 1, "site": SITE, "device": DEVICE,
            "issued_at": datetime.now(UTC).isoformat(), "payload": {"values": {"k": 1}}}
    return {**wire, **changes}


@st.composite
def edge_attacks(draw) -> tuple[str, bytes]:
    """(channel, payload) for the edge's commands or acks topic."""
    channel = draw(st.sampled_from([topics.COMMANDS, topics.ACKS]))
    kind = draw(st.sampled_from(["bytes", "json", "deep", "huge", "shaped"]))
    if kind == "bytes":
        return channel, draw(st.binary(max_size=300))
    if kind == "json":
        return channel, json.dumps(draw(json_values)).encode()
    if kind == "deep":
        depth = draw(st.integers(MAX_JSON_DEPTH + 1, 200_000))
        return channel, b"[" * depth + b"]" * depth
    if kind == "huge":
        return channel, b'{"ids":[' + b"9" * draw(st.integers(4301, 100_000)) + b"]}"
    value = draw(json_values | st.sampled_from([10**40, 2**63, -1, "x" * 100_000, [None] * 1000]))
    if channel == topics.ACKS:  # an ack with wrong types, or naming ids this edge never sent
        return channel, json.dumps(draw(st.sampled_from([
            {"ids": value}, {"quarantined": value}, {"ids": [new_id()], "quarantined": [new_id(), value]},
            {"ids": "all"}]))).encode()
    field = draw(st.sampled_from(["id", "type", "site", "device", "issued_at", "payload", "schema_version"]))
    return channel, json.dumps(command_wire(**{field: value})).encode()


def test_fuzzed_command_and_ack_topics_never_stop_the_edge(tmp_path, fleet, database_url):
    """Arbitrary bytes and JSON on the edge's commands and acks topics, from a holder of central's
    rights: its threads never die, it keeps applying central's real commands and clearing its
    outbox on central's real acks."""
    central = central_with_quota(tmp_path / "c", fleet, database_url).start()
    edge = Edge(tmp_path / "e", fleet).start()
    attacker = RawClient(fleet.stand_in_mqtt())
    journal, store = edge.journal(), central.store()
    commands: list[str] = []
    try:
        wait_until(lambda: store.count_events(site=SITE, device=DEVICE) >= 1, 30, what="edge.started")

        @given(attacks=st.lists(edge_attacks(), min_size=1, max_size=4))
        @settings(max_examples=EXAMPLES // 2, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def fuzz(attacks) -> None:
            for channel, payload in attacks:
                attacker.publish(topics.topic(SITE, DEVICE, channel), payload)
            command = store.create_command(SITE, DEVICE, SettingsUpdate(values={"n": len(commands)}))
            commands.append(command.id)
            notes = record_notes(journal, 3, prefix="fuzz")
            wait_until(lambda: store.get_command(command.id)["state"] == "delivered", 20, interval=0.05,
                       what="a real command applied after an attack")
            wait_until(lambda: set(notes) <= set(store.event_ids(SITE, DEVICE)), 20, interval=0.05,
                       what="events after an attack")

        fuzz()
        assert journal.setting("n") == len(commands) - 1
        wait_until(lambda: journal.backlog() == 0, 30, what="the outbox emptied by central's acks")
        assert edge.alive()
        kinds = [e["type"] for e in journal.events(0, 10**9)]
        assert "uplink.thread_restarted" not in kinds, "an uplink thread died on content"
        store_ping = store.create_command(SITE, DEVICE, Ping())
        wait_until(lambda: store.get_command(store_ping.id)["state"] == "delivered", 20, what="a last ping")
    finally:
        attacker.close()
        edge.stop()
        central.stop()


# -- the watchdog -------------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the injected deaths
def test_watchdog_restarts_a_dead_uplink_thread(tmp_path, fleet, sqlite_url):
    """If an uplink thread dies anyway, the watchdog starts it again and journals an event saying so."""
    central = central_with_quota(tmp_path / "c", fleet, sqlite_url).start()
    # the real agent in this process (its command handlers included), so its uplink can be reached
    agent = EdgeAgent(load_edge(Edge(tmp_path / "e", fleet).config))
    journal, uplink = agent.journal, agent.uplink
    uplink.watchdog_interval_s = 0.2
    deaths = {"acks": 1, "commands": 1}
    real = {"acks": uplink._ack_loop, "commands": uplink._command_loop}

    def dying(name: str):
        def loop() -> None:
            if deaths[name]:
                deaths[name] -= 1
                raise RuntimeError(f"injected death of the {name} thread")
            real[name]()
        return loop

    uplink._ack_loop = dying("acks")  # type: ignore[method-assign]
    uplink._command_loop = dying("commands")  # type: ignore[method-assign]
    store = central.store()
    agent.start()
    try:
        def restart_events() -> list[dict[str, Any]] | None:
            found = [e for e in journal.events(0, 10**9) if e["type"] == "uplink.thread_restarted"]
            return found if len(found) >= 2 else None

        restarted = wait_until(restart_events, 15, what="two restart events")
        assert {e["payload"]["thread"] for e in restarted} == {"acks", "commands"}
        assert all("injected death" in e["payload"]["error"] for e in restarted)
        # the restarted threads work: acks clear the outbox, commands are applied
        ids = record_notes(journal, 30)
        wait_until(lambda: set(ids) <= set(store.event_ids(SITE, DEVICE)), 30, what="events at central")
        wait_until(lambda: journal.backlog() == 0, 30, what="acks handled by the restarted thread")
        store.create_command(SITE, DEVICE, SettingsUpdate(values={"after": "restart"}))
        wait_until(lambda: journal.setting("after") == "restart", 20, what="command applied by the restarted thread")
        assert uplink.restarts == 2
    finally:
        agent.stop()
        central.stop()


# -- the store and the decoder, in process ----------------------------------------------------------------

def bad_items(n: int) -> bytes:
    return encode_batch([valid_wire(seq=i + 1, id=new_id(), tz="Nowhere/Never") for i in range(n)])


def test_quarantine_quota_samples_past_it_and_raises_one_alarm_per_window(database_url):
    store = Store(database_url, quota=QuarantineQuota(per_device=5, window_s=3600, sample_every=4))
    try:
        first = store.ingest([(EVENTS, bad_items(20))])
        # all 20 are acknowledged to the edge as quarantined, whether their body was kept or not
        assert first.rejected == 20 and len(first.quarantined[(SITE, DEVICE)]) == 20
        rows = quarantine(store)
        # 5 within the quota, then rejects 1, 5, 9, 13 past it as the sample
        assert len(rows) == 5 + 4
        assert sum(1 for q in rows if q["reason"].startswith("[sample")) == 4
        state = store.quarantine_state(SITE, DEVICE)
        assert (state["count"], state["kept"], state["total"], state["alarms"]) == (20, 9, 20, 1)
        alarms = store.list_events(type_=QuarantineFlooded.TYPE)
        assert len(alarms) == 1 and alarms[0]["site"] == SITE
        assert alarms[0]["payload"] == {"site": SITE, "device": DEVICE, "quota": 5, "window_s": 3600.0,
                                        "sample_every": 4}
        store.ingest([(EVENTS, bad_items(10))])
        assert store.quarantine_state(SITE, DEVICE)["total"] == 30
        assert len(store.list_events(type_=QuarantineFlooded.TYPE)) == 1, "one alarm per window"
        # the next window starts afresh and alarms again when flooded again
        store.quota = QuarantineQuota(per_device=5, window_s=0.2, sample_every=4)
        time.sleep(0.3)
        store.ingest([(EVENTS, bad_items(3))])
        assert store.quarantine_state(SITE, DEVICE)["count"] == 3
        store.ingest([(EVENTS, bad_items(3))])
        assert len(store.list_events(type_=QuarantineFlooded.TYPE)) == 2
        # a valid event still goes in next to a flood
        good = valid_wire(seq=1)
        assert store.ingest([(EVENTS, encode_batch([good]))]).inserted == 1
    finally:
        store.close()


def test_an_event_the_database_or_a_projection_refuses_is_quarantined_alone(database_url):
    store = Store(database_url)
    events = [make_event(DeskNote(text=f"n{i}"), site=SITE, device=DEVICE, seq=i + 1, tz="UTC") for i in range(40)]
    doomed = {events[3].id, events[29].id}

    def faulty(conn, new_events):
        for event in new_events:
            if event.id in doomed:
                raise KeyError("a projection fault")

    store.projections.append(faulty)
    try:
        result = store.ingest([(EVENTS, encode_batch([e.to_wire() for e in events]))])
        assert result.inserted == 38 and set(result.quarantined[(SITE, DEVICE)]) == doomed
        assert set(result.acks[(SITE, DEVICE)]) == {e.id for e in events} - doomed
        assert set(store.event_ids(SITE, DEVICE)) == {e.id for e in events} - doomed
        rows = quarantine(store)
        assert {q["event_id"] for q in rows} == doomed and all("a projection fault" in q["reason"] for q in rows)
    finally:
        store.close()


def test_an_invalid_twin_of_a_stored_event_is_not_reported_quarantined(sqlite_url):
    """An edge forgets ids reported quarantined; an invalid item copying a stored id must not cause that."""
    store = Store(sqlite_url)
    try:
        good = valid_wire(seq=1)
        store.ingest([(EVENTS, encode_batch([good]))])
        result = store.ingest([(EVENTS, encode_batch([{**good, "seq": -1}, good]))])
        assert result.rejected == 1 and not result.quarantined.get((SITE, DEVICE))
        assert result.acks[(SITE, DEVICE)] == [good["id"]]
    finally:
        store.close()


@settings(max_examples=200, deadline=None, database=None)
@given(value=json_values)
def test_json_depth_is_the_nesting_of_the_document(value):
    def depth(v: Any) -> int:
        if isinstance(v, list):
            return 1 + max(map(depth, v), default=0)
        if isinstance(v, dict):
            return 1 + max(map(depth, v.values()), default=0)
        return 0

    assert json_depth(json.dumps(value).encode()) == depth(value)


@pytest.mark.parametrize("data", [
    DEEP_BATCH, b"[" * 10**6, b'{"a":' * 100_000, b'"' + b'\\"' * 400_000, b"[" + b"9" * 5000 + b"]",
    b"[1e400]", b"[NaN]", b"[-Infinity]", b"\xff\xfe", b'{"v":1,"items":[' + b"[" * 65 + b"]" * 65 + b"]}",
    b" " * (MAX_BATCH_BYTES + 1)])
def test_decoding_refuses_what_would_break_later_with_a_schema_error_only(data):
    started = time.monotonic()
    with pytest.raises(SchemaError):
        decode_batch(data)
    assert time.monotonic() - started < 1.0
    assert decode_json(b'{"v":1,"items":[' + b"[" * 62 + b"]" * 62 + b"]}") is not None  # 64 levels are fine


def test_only_an_unavailable_database_counts_as_one():
    """What pauses ingest (retry) and what is content (quarantine)."""
    from sqlalchemy import exc

    class Orig(Exception):
        def __init__(self, sqlstate: str | None = None) -> None:
            super().__init__("x")
            self.sqlstate = sqlstate

    assert database_unavailable(exc.OperationalError("INSERT", {}, Orig()))  # locked, I/O error, server gone
    assert database_unavailable(exc.OperationalError("INSERT", {}, Orig("57P01")))  # admin shutdown
    assert database_unavailable(exc.InterfaceError("INSERT", {}, Orig()))
    assert not database_unavailable(exc.OperationalError("INSERT", {}, Orig("54000")))  # a value too large
    assert not database_unavailable(exc.DataError("INSERT", {}, Orig("22P05")))  # NUL in text
    assert not database_unavailable(exc.IntegrityError("INSERT", {}, Orig("23505")))
    assert not database_unavailable(exc.StatementError("overflow", "INSERT", {}, OverflowError()))
    assert not database_unavailable(KeyError("a projection fault"))


def test_a_message_the_store_cannot_handle_is_quarantined_whole_and_acknowledged(tmp_path, fleet, database_url):
    """The last line: should Store.ingest itself raise on some content, central narrows the batch to
    that message, quarantines it whole, acknowledges it, and the rest is stored."""
    store = Store(database_url)
    real_ingest = store.ingest

    def ingest(messages):
        messages = list(messages)
        if any(b"poison" in payload for _, payload in messages):
            raise RuntimeError("a fault the store did not contain")
        return real_ingest(messages)

    store.ingest = ingest  # type: ignore[method-assign]
    central_mqtt = client_config(fleet.central_mqtt_toml())
    link = CentralLink(store, central_mqtt, CentralConfig(database_url=database_url, batch_linger_ms=200))
    link.start()
    attacker = RawClient(fleet.device_mqtt(DEVICE))  # edge-1's own certificate; its agent is not running
    try:
        wait_until(link.link.connected.is_set, 10, what="central connected")
        good = [valid_wire(seq=i + 1) for i in range(3)]
        attacker.publish(EVENTS, encode_batch([good[0]]))
        attacker.publish(EVENTS, encode_batch([{**good[1], "payload": {"text": "poison"}}]))
        attacker.publish(EVENTS, encode_batch(good[1:]))
        wait_until(lambda: set(store.event_ids(SITE, DEVICE)) == {e["id"] for e in good}, 20, what="the good events")
        rows = wait_until(lambda: quarantine(store), 10, what="the poisoned message in quarantine")
        assert len(rows) == 1 and rows[0]["event_id"] is None
        assert "ingest failed on this message: RuntimeError" in rows[0]["reason"]
    finally:
        attacker.close()
        link.stop()
    # acknowledged: a new central on the same session is not handed the poison again
    link = CentralLink(store, central_mqtt, CentralConfig(database_url=database_url))
    link.start()
    try:
        wait_until(link.link.connected.is_set, 10, what="central reconnected")
        time.sleep(1.5)
        assert len(quarantine(store)) == 1
    finally:
        link.stop()
        store.close()
