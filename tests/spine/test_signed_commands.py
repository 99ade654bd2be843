"""Signed commands: an edge applies only what central signed for it, once, in time; keys rotate.

The contract (frontdesk/signing.py) is checked on its own, then a real `frontdesk edge run` is sent
commands over a real Mosquitto on the fleet's generated TLS configuration — good ones, and what an
attacker would send — and central's key is rotated through `frontdesk central keys` while a real
central runs. The broker lets only central's certificate publish commands, so the attacker holds
central's rights (a stolen central credential, or a compromised broker): the signature is then the
edge's only defence.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk import topics
from frontdesk.central.store import Store
from frontdesk.edge.command_gate import CommandGate
from frontdesk.edge.commands import CommandHandlers
from frontdesk.edge.journal import Journal, put_setting
from frontdesk.passes.keys import generate_key, public_text
from frontdesk.schema import Command, make_command
from frontdesk.schema.system import CommandKeysUpdate, Ping, SettingsUpdate
from frontdesk.signing import (
    CommandRefused,
    authenticate,
    check_valid,
    command_key_id,
    sign_command,
    signed_bytes,
    trusted_keys,
)

from .harness import COMMAND_KEY, COMMAND_PUBLIC_KEY, SITE, Central, Edge, publish_raw, wait_until

KEYS = trusted_keys([COMMAND_PUBLIC_KEY])
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                           | st.text(max_size=20), lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


def signed(payload, *, key=COMMAND_KEY, site=SITE, device="edge-1", valid_for=timedelta(hours=1)) -> Command:
    return sign_command(make_command(payload, site=site, device=device, valid_for=valid_for), key)


def wire(command: Command) -> bytes:
    """The command as central's dispatcher publishes it (the stored JSON body)."""
    return json.dumps(command.to_wire(), ensure_ascii=False).encode()


# -- the contract ------------------------------------------------------------------------------------


def test_the_signed_bytes_are_canonical_json_of_the_named_fields():
    command = make_command(SettingsUpdate(values={"问候": "您好", "a": 1}), site=SITE, device="edge-1",
                           valid_for=timedelta(hours=1))
    body = signed_bytes(command)
    assert body.startswith(b"frontdesk.command.v1\n")
    doc = json.loads(body.split(b"\n", 1)[1])
    assert list(doc) == sorted(doc) == ["device", "expires_at", "id", "issued_at", "payload", "site", "type"]
    assert b" " not in body and "您好".encode() in body  # compact, UTF-8 as itself
    assert doc["issued_at"].endswith("Z") and len(doc["issued_at"]) == len("2026-01-01T00:00:00.000000Z")


@settings(max_examples=150, deadline=None)
@given(values=st.dictionaries(st.text(min_size=1, max_size=10), json_values, min_size=1, max_size=5))
def test_a_signature_survives_the_wire_and_nothing_else(values):
    command = signed(SettingsUpdate(values=values))
    received = Command.parse_envelope(json.loads(wire(command)))
    authenticate(received, KEYS)  # the wire round trip keeps it valid
    check_valid(received, site=SITE, device="edge-1")
    another_id = make_command(Ping(), site=SITE, device="edge-1").id
    for field, other in (("device", "edge-2"), ("site", "other-site"), ("payload", {"values": {"x": 1}}),
                         ("expires_at", command.expires_at + timedelta(days=30)), ("id", another_id),
                         ("type", "edge.ping"), ("issued_at", command.issued_at - timedelta(seconds=1))):
        forged = received.model_copy(update={field: other})
        with pytest.raises(CommandRefused) as refused:
            authenticate(forged, KEYS)
        assert refused.value.reason == "bad_signature", field


def test_refusal_reasons_in_order():
    stranger = generate_key()
    cases = [
        (make_command(Ping(), site=SITE, device="edge-1", valid_for=timedelta(hours=1)), "unsigned"),
        (signed(Ping(), key=stranger), "unknown_key"),
    ]
    for command, reason in cases:
        with pytest.raises(CommandRefused) as refused:
            authenticate(command, KEYS)
        assert refused.value.reason == reason and not refused.value.authentic
    for command, reason in ((signed(Ping(), device="edge-2"), "misaddressed"),
                            (signed(Ping(), valid_for=timedelta(seconds=-1)), "expired"),
                            (sign_command(make_command(Ping(), site=SITE, device="edge-1"), COMMAND_KEY), "invalid")):
        authenticate(command, KEYS)
        with pytest.raises(CommandRefused) as refused:
            check_valid(command, site=SITE, device="edge-1", now=datetime.now(UTC))
        assert refused.value.reason == reason and refused.value.authentic
    # a retired key is no longer trusted even when listed
    assert trusted_keys([COMMAND_PUBLIC_KEY], retired=[command_key_id(COMMAND_KEY)]) == {}


# -- a real edge over a real broker ------------------------------------------------------------------


def _events(journal, type_: str) -> list[dict]:
    return [e["payload"] for e in journal.events(0, 10**6) if e["type"] == type_]


def _started(journal) -> bool:
    return any(p["broker_reachable"] for p in _events(journal, "edge.started"))


def _applied(journal, command_id: str) -> list[dict]:
    return [p for p in _events(journal, "command.applied") if p["command_id"] == command_id]


def _refusals(journal) -> list[dict]:
    return _events(journal, "command.rejected")


def test_an_edge_applies_only_signed_commands_for_itself_once(tmp_path, fleet):
    edge = Edge(tmp_path / "e", fleet).start()
    topic = topics.topic(SITE, "edge-1", topics.COMMANDS)
    try:
        journal = edge.journal()
        wait_until(lambda: _started(journal), 20, what="edge connected")
        first = signed(SettingsUpdate(values={"greeting": "first"}))
        second = signed(SettingsUpdate(values={"greeting": "second"}))
        forged_first = first.model_copy(update={"payload": {"values": {"greeting": "forged"}}})
        unsigned = make_command(SettingsUpdate(values={"greeting": "unsigned"}), site=SITE, device="edge-1",
                                valid_for=timedelta(hours=1))
        stranger = signed(SettingsUpdate(values={"greeting": "stranger"}), key=generate_key())
        for_other_site = signed(SettingsUpdate(values={"greeting": "other site"}), site="other-site")
        for_other_device = signed(SettingsUpdate(values={"greeting": "other device"}), device="edge-2")
        expired = signed(SettingsUpdate(values={"greeting": "expired"}), valid_for=timedelta(seconds=-1))
        far_future = {**signed(Ping()).to_wire(), "expires_at": "9999-12-31T23:59:59-05:00"}  # beyond datetime
        marker = signed(Ping(note="last"))
        publish_raw(fleet.central_mqtt_toml(), [(topic, m) for m in (  # central's credential; central is away
            wire(forged_first),        # a forged copy of a real id, before the real one
            wire(unsigned), wire(stranger), wire(for_other_site), wire(for_other_device), wire(expired),
            b"\xff not json", b"[" * 50_000, b'{"id": "x", "type": 5}', json.dumps(far_future).encode(),
            wire(first), wire(second),
            wire(first),               # replayed after a newer command: must not bring "first" back
            wire(marker))])
        wait_until(lambda: _applied(journal, marker.id), 20, what="the last command applied")

        assert journal.setting("greeting") == "second"
        assert [p["status"] for p in _applied(journal, first.id)] == ["applied"]  # the forgery did not poison it
        assert [p["status"] for p in _applied(journal, second.id)] == ["applied"]
        reasons = {(p["reason"], p["command_id"]) for p in _refusals(journal)}
        assert {("bad_signature", first.id), ("unsigned", unsigned.id), ("unknown_key", stranger.id),
                ("misaddressed", for_other_site.id), ("misaddressed", for_other_device.id),
                ("expired", expired.id), ("unreadable", None), ("invalid", "x"), ("invalid", far_future["id"]),
                ("replayed", first.id)} <= reasons
        # Only authentic commands leave a mark: central learns of them; forgeries record no id.
        assert journal.command_status(unsigned.id) is None and journal.command_status(stranger.id) is None
        for refused in (for_other_site, for_other_device, expired):
            assert [p["status"] for p in _applied(journal, refused.id)] == ["rejected"]
        assert "expired at" in _applied(journal, expired.id)[0]["detail"]
        assert edge.alive()
    finally:
        edge.stop()


def test_a_flood_of_forgeries_is_counted_not_journaled_one_by_one(tmp_path, fleet):
    edge = Edge(tmp_path / "e", fleet).start()
    topic = topics.topic(SITE, "edge-1", topics.COMMANDS)
    try:
        journal = edge.journal()
        wait_until(lambda: _started(journal), 20, what="edge connected")
        forgeries = [wire(signed(Ping(note=str(i)), key=generate_key())) for i in range(300)]
        good = signed(SettingsUpdate(values={"after": "flood"}))
        began = time.monotonic()
        publish_raw(fleet.central_mqtt_toml(), [(topic, m) for m in forgeries] + [(topic, wire(good))])
        wait_until(lambda: journal.setting("after") == "flood", 30, what="the good command after the flood")
        refusals = _refusals(journal)
        # a burst of 30, then one per two seconds: bounded by time, not by what an attacker sends
        assert 30 <= len(refusals) <= 30 + (time.monotonic() - began) / 2 + 1
        assert all(p["reason"] == "unknown_key" for p in refusals)
        time.sleep(2.5)  # the allowance refills at one every two seconds
        publish_raw(fleet.central_mqtt_toml(), [(topic, forgeries[0])])
        wait_until(lambda: sum(p["suppressed"] for p in _refusals(journal)) > 0, 15, what="suppressed count")
        final = _refusals(journal)
        assert len(final) + sum(p["suppressed"] for p in final) == 301  # every refusal accounted for
    finally:
        edge.stop()


# -- central's keys: signing, expiry, rotation -------------------------------------------------------


def _keys(central: Central, *args: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "frontdesk", "central", "keys", *args, "-c", str(central.config)],
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _state(store, command_id: str) -> str:
    return store.get_command(command_id)["state"]


def test_rotation_without_re_enrolling_the_edge(tmp_path, fleet, database_url):
    central = Central(tmp_path / "c", fleet, database_url, retry_s=0.5).start()
    edge = Edge(tmp_path / "e", fleet).start()  # trusts the first key only (its config)
    store = central.store()
    topic = topics.topic(SITE, "edge-1", topics.COMMANDS)
    try:
        journal = edge.journal()
        before = store.create_command(SITE, "edge-1", SettingsUpdate(values={"k": "old key"}))
        assert before.key_id == command_key_id(COMMAND_KEY) and before.expires_at is not None
        wait_until(lambda: _state(store, before.id) == "delivered", 30, what="a command under the first key")

        rotated = _keys(central, "rotate")[0]
        new_kid = rotated["active"]
        assert new_kid != command_key_id(COMMAND_KEY) and rotated["trust_commands"] == 1
        after = store.create_command(SITE, "edge-1", SettingsUpdate(values={"k": "new key"}))
        assert after.key_id == new_kid
        wait_until(lambda: _state(store, after.id) == "delivered", 30, what="a command under the new key")
        assert journal.setting("k") == "new key"

        # The old key retired: the edge stops trusting it although its configuration still lists it.
        _keys(central, "retire", command_key_id(COMMAND_KEY))
        wait_until(lambda: store.list_commands(state="pending") == [], 30, what="the retirement delivered")
        assert {c["state"] for c in store.list_commands()} == {"delivered"}
        stale = signed(SettingsUpdate(values={"k": "signed by the retired key"}))
        publish_raw(fleet.stand_in_mqtt(), [(topic, wire(stale))])  # central stays connected
        wait_until(lambda: any(p["command_id"] == stale.id and p["reason"] == "unknown_key"
                               for p in _refusals(journal)), 20, what="the retired key refused")
        assert journal.setting("k") == "new key"

        # ... and the trust survives a restart of the edge.
        edge.stop()
        edge = Edge(tmp_path / "e", fleet).start()
        again = store.create_command(SITE, "edge-1", SettingsUpdate(values={"k": "after restart"}))
        wait_until(lambda: _state(store, again.id) == "delivered", 30, what="new key after a restart")
        shown = _keys(central, "show")
        assert {"key_id": command_key_id(COMMAND_KEY), "retired": True} in shown
        assert any(k.get("active") and k["key_id"] == new_kid for k in shown)
    finally:
        edge.stop()
        central.stop()


def test_a_command_that_expires_while_the_edge_is_away_shows_as_rejected(tmp_path, fleet, sqlite_url):
    central = Central(tmp_path / "c", fleet, sqlite_url, retry_s=0.5).start()
    store = central.store()
    store.command_valid_for = timedelta(seconds=1)
    try:
        command = store.create_command(SITE, "edge-1", SettingsUpdate(values={"late": True}))
        edge = Edge(tmp_path / "e", fleet, command_keys=[public_text(COMMAND_KEY)])
        time.sleep(1.5)
        edge.start()
        try:
            wait_until(lambda: _state(store, command.id) == "rejected", 30, what="the expired command refused")
            assert store.get_command(command.id)["detail"].startswith("expired:")
            assert edge.journal().setting("late") is None
        finally:
            edge.stop()
    finally:
        central.stop()


def test_a_key_update_cannot_leave_an_edge_deaf_or_point_it_at_a_file(tmp_path):
    journal = Journal(tmp_path / "journal.db", site=SITE, device="edge-1")
    handlers = CommandHandlers()
    handlers.on(SettingsUpdate, lambda db, p: [put_setting(db, k, v) for k, v in p.values.items()] and None)
    gate = CommandGate(journal, handlers, [COMMAND_PUBLIC_KEY])
    kid = command_key_id(COMMAND_KEY)
    deafening = signed(CommandKeysUpdate(keys=[], retired=[kid]))
    a_path = signed(CommandKeysUpdate(keys=[str(tmp_path / "key.pem")]))
    for command in (deafening, a_path):
        gate.apply(wire(command))
        assert journal.command_status(command.id) == "rejected"
    assert set(gate.trusted()) == {kid}
    new_key = generate_key()
    handover = signed(CommandKeysUpdate(keys=[public_text(new_key)], retired=[kid]))
    gate.apply(wire(handover))
    assert journal.command_status(handover.id) == "applied"
    assert set(gate.trusted()) == {command_key_id(new_key)}
    # the old key is now refused even though the configuration lists it; the new one is obeyed
    gate.apply(wire(signed(SettingsUpdate(values={"who": "old"}))))
    gate.apply(wire(signed(SettingsUpdate(values={"who": "new"}), key=new_key)))
    assert journal.setting("who") == "new"
    assert _refusals(journal)[-1]["reason"] == "unknown_key"
    journal.close()


def test_keys_create_then_send_signs_with_it(tmp_path):
    cfg = tmp_path / "central.toml"
    cfg.write_text(f'[central]\ndatabase_url = "sqlite:///{tmp_path / "c.db"}"\n'
                   f'command_key_dir = "{tmp_path / "keys"}"\n')

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "frontdesk", "central", *args], capture_output=True, text=True)

    created = run("keys", "create", "-c", str(cfg))
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert key["active"] and key["public_key"].startswith("ed25519:")
    assert (tmp_path / "keys" / f"{key['key_id']}.pem").stat().st_mode & 0o077 == 0  # owner only
    assert run("keys", "create", "-c", str(cfg)).returncode == 2  # never overwrite a keyring
    sent = run("send", "-c", str(cfg), SITE, "edge-1", "edge.ping")
    assert sent.returncode == 0, sent.stderr
    body = Store(f"sqlite:///{tmp_path / 'c.db'}").get_command(json.loads(sent.stdout)["id"])
    assert body is not None and body["state"] == "pending"
    stored = Command.parse_envelope(_stored_body(tmp_path / "c.db", body["id"]))
    assert stored.key_id == key["key_id"]
    authenticate(stored, trusted_keys([key["public_key"]]))
    check_valid(stored, site=SITE, device="edge-1")


def _stored_body(db, command_id: str) -> dict:
    import sqlite3
    with sqlite3.connect(db) as conn:
        (body,) = conn.execute("SELECT body FROM commands WHERE id = ?", (command_id,)).fetchone()
    return json.loads(body)
