"""The broker as deployed (issue #11, points 1-2): the configuration central generates, run by a
real Mosquitto, enforces who may connect and what each device may touch; both database backends.

A device of site A cannot publish as site B's same-named device, or as central; cannot read B's
commands; cannot take central's client id or another device's; plain TCP, no certificate and a
foreign CA are refused; an edge refuses a broker that is not the fleet's; a packet over the batch
limit is refused by the broker; a disabled device is refused, and re-credentialing keeps an edge
syncing with nothing lost.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select

from frontdesk import topics
from frontdesk.central.fleet.broker import MAX_PACKET_BYTES
from frontdesk.central.fleet.ca import FleetCA
from frontdesk.central.tables import events as events_table
from frontdesk.config import MqttConfig
from frontdesk.mqtt import MqttLink
from frontdesk.schema import encode_batch, make_event
from frontdesk.schema.system import DeskNote

from ..spine.harness import SITE, Edge, journal_ids, wait_until
from .clients import Probe
from .conftest import SITE_A, SITE_B, device, healthz, start_central


def batch(site: str, device_: str, text: str, seq: int = 1) -> bytes:
    event = make_event(DeskNote(text=text), site=site, device=device_, seq=seq, tz="Asia/Shanghai")
    return encode_batch([event.to_wire()])


def stored_texts(store) -> list[tuple[str, str, str]]:
    return [(e["site"], e["device"], e["payload"].get("text")) for e in store.list_events(limit=10_000)
            if e["type"] == "desk.note"]


def probe_for(fleet, tls, client_id: str = "probe") -> Probe:
    return Probe(fleet.port, tls / "fleet-ca.crt", tls / "device.crt", tls / "device.key", client_id=client_id)


def test_a_device_speaks_only_for_itself(tmp_path, fleet):
    _, tls_a = device(fleet, tmp_path, SITE_A, "desk-1")
    _, tls_b = device(fleet, tmp_path, SITE_B, "desk-1")
    central = start_central(fleet, tmp_path)
    store = central.store()
    a, b = probe_for(fleet, tls_a, "a"), probe_for(fleet, tls_b, "b")
    try:
        assert a.connect() and b.connect()
        # Reading B's commands, everyone's commands, everything: Mosquitto's ACL file grants the
        # SUBSCRIBE but checks `read` on every delivery, so nothing of them ever arrives (below).
        for topic in (topics.topic(SITE_B, "desk-1", topics.COMMANDS), "frontdesk/v1/+/+/commands", "#",
                      topics.topic(SITE_A, "desk-2", topics.ACKS)):
            a.subscribe(topic)
        assert b.subscribe(topics.topic(SITE_B, "desk-1", topics.COMMANDS)) == ["Granted QoS 1"]
        # Writing as B's desk-1, as central's writers of its own site, as another device: dropped.
        a.publish(topics.topic(SITE_B, "desk-1", topics.EVENTS), batch(SITE_B, "desk-1", "forged for B"))
        a.publish(topics.topic(SITE_A, "central", topics.EVENTS), batch(SITE_A, "central", "forged central"))
        a.publish(topics.topic(SITE_A, "gate-1", topics.EVENTS), batch(SITE_A, "gate-1", "forged gate"))
        a.publish(topics.topic(SITE_B, "desk-1", topics.ACKS), b'{"ids":[]}')
        a.publish(topics.topic(SITE_A, "desk-1", topics.EVENTS), batch(SITE_A, "desk-1", "own"))
        wait_until(lambda: (SITE_A, "desk-1", "own") in stored_texts(store), 20, what="a's own event")
        # B's commands go to B alone.
        from frontdesk.schema.system import SettingsUpdate
        store.create_command(SITE_B, "desk-1", SettingsUpdate(values={"note": "for b"}))
        wait_until(lambda: any(t.endswith("/commands") for t, _ in b.received), 20, what="b's command")
        time.sleep(0.5)
        assert stored_texts(store) == [(SITE_A, "desk-1", "own")]
        # Through `#` A gets its own ack and its own commands (central's retention.set on start), nothing else.
        assert {t for t, _ in a.received} <= {topics.topic(SITE_A, "desk-1", topics.ACKS),
                                              topics.topic(SITE_A, "desk-1", topics.COMMANDS)}
        assert store.list_quarantine() == []  # dropped at the broker, never reached central
    finally:
        a.close()
        b.close()
        central.stop()


def test_no_login_takes_centrals_client_id_or_another_devices(tmp_path, fleet):
    _, tls_a = device(fleet, tmp_path, SITE_A, "desk-1")
    _, tls_b = device(fleet, tmp_path, SITE_B, "desk-1")
    central = start_central(fleet, tmp_path)
    b = probe_for(fleet, tls_b, "b")
    thief = probe_for(fleet, tls_a, client_id="frontdesk-central")
    thief2 = probe_for(fleet, tls_a, client_id="desk-1@site-b")
    try:
        assert b.connect()
        lost = threading.Event()
        b.client.on_disconnect = lambda *args: lost.set()
        assert thief.connect() and thief2.connect()
        # The broker replaced both client ids with the certificate's identity: nobody was knocked off.
        time.sleep(1.5)
        assert healthz(central)["broker_connected"]
        assert central.output().count("connected to 127.0.0.1") == 1
        assert not lost.is_set()
        log = fleet.broker_log()
        assert "as desk-1@site-a" in log and "as frontdesk-central (p5" in log
    finally:
        for p in (b, thief, thief2):
            p.close()
        central.stop()


def test_plain_tcp_no_certificate_and_a_foreign_ca_are_refused(tmp_path, sqlite_fleet):
    fleet = sqlite_fleet
    _, tls = device(fleet, tmp_path, SITE_A, "desk-1")
    # The same identity, issued by a CA that is not the fleet's.
    foreign = FleetCA(tmp_path / "foreign")
    foreign.create("someone else")
    issued = foreign.issue("desk-1@site-a", days=30)
    (tmp_path / "f.crt").write_bytes(issued.certificate_pem)
    (tmp_path / "f.key").write_bytes(issued.private_key_pem)
    attempts = {
        "plain TCP": Probe(fleet.port, None),
        "TLS without a certificate": Probe(fleet.port, tls / "fleet-ca.crt"),
        "a foreign CA's certificate": Probe(fleet.port, tls / "fleet-ca.crt", tmp_path / "f.crt", tmp_path / "f.key"),
    }
    try:
        for what, probe in attempts.items():
            assert not probe.connect(timeout=3), what
        genuine = probe_for(fleet, tls)
        assert genuine.connect()
        genuine.close()
    finally:
        for probe in attempts.values():
            probe.close()
    # Only the TLS listener exists: the configuration has no other.
    conf = (fleet.config.dir / "broker" / "mosquitto.conf").read_text()
    assert conf.count("listener ") == 1 and "require_certificate true" in conf and "allow_anonymous false" in conf


def test_an_edge_refuses_a_broker_that_is_not_the_fleets(tmp_path, sqlite_fleet):
    fleet = sqlite_fleet
    _, tls = device(fleet, tmp_path, SITE_A, "desk-1")
    other = FleetCA(tmp_path / "other")
    other.create("an impostor")
    for ca, expect in ((other.cert_path, False), (tls / "fleet-ca.crt", True)):
        link = MqttLink(MqttConfig(port=fleet.port, tls_ca=ca, tls_cert=tls / "device.crt", tls_key=tls / "device.key"),
                        client_id="desk-1@site-a", backoff_min_s=0.2, backoff_max_s=0.5)
        link.start()
        try:
            assert link.wait_connected(5 if expect else 2) is expect
            if not expect:
                assert "certificate verify failed" in (link.last_error or "")
        finally:
            link.stop()


def test_a_packet_over_the_batch_limit_is_refused_by_the_broker(tmp_path, sqlite_fleet):
    fleet = sqlite_fleet
    _, tls = device(fleet, tmp_path, SITE_A, "desk-1")
    central = start_central(fleet, tmp_path)
    store = central.store()
    probe = probe_for(fleet, tls)
    try:
        assert probe.connect()
        dropped = threading.Event()
        probe.client.on_disconnect = lambda *args: dropped.set()
        own = topics.topic(SITE_A, "desk-1", topics.EVENTS)
        probe.client.publish(own, b"x" * (MAX_PACKET_BYTES + 1), qos=1)
        assert dropped.wait(10), "the broker kept a client that sent an oversized packet"
        probe.close()
        again = probe_for(fleet, tls)
        assert again.connect()
        again.publish(own, batch(SITE_A, "desk-1", "after"))
        wait_until(lambda: stored_texts(store) == [(SITE_A, "desk-1", "after")], 20, what="the next batch")
        assert store.list_quarantine() == []
        again.close()
    finally:
        central.stop()


def _cli(central, group: str, action: str, *rest: str) -> subprocess.CompletedProcess:
    """`frontdesk central GROUP ACTION -c <central's file> REST...`"""
    return subprocess.run([sys.executable, "-m", "frontdesk", "central", group, action, "-c", str(central.config),
                           *rest], capture_output=True, text=True, timeout=60)


def test_a_disabled_device_is_refused_and_can_come_back(tmp_path, fleet):
    _, tls = device(fleet, tmp_path, SITE_A, "desk-1")
    central = start_central(fleet, tmp_path)
    store = central.store()
    online = probe_for(fleet, tls, "online")
    try:
        assert online.connect()
        own = topics.topic(SITE_A, "desk-1", topics.EVENTS)
        online.publish(own, batch(SITE_A, "desk-1", "before", seq=1))
        wait_until(lambda: len(stored_texts(store)) == 1, 20, what="the first event")
        # Central's command line; [fleet] reload_command sends the broker its SIGHUP.
        done = _cli(central, "device", "disable", SITE_A, "desk-1", "--reason", "stolen from the lobby")
        assert done.returncode == 0, done.stderr
        assert '"revoked": 1' in done.stdout
        # The connection that was open can no longer publish; a new one is refused at the handshake.
        time.sleep(0.5)
        online.publish(own, batch(SITE_A, "desk-1", "while disabled", seq=2))
        again = probe_for(fleet, tls, "again")
        assert not again.connect(timeout=3)
        again.close()
        listing = _cli(central, "device", "list")
        assert '"state": "disabled"' in listing.stdout and '"revoked_at": null' not in listing.stdout
        # Enabled again: a new bundle, the old certificate stays revoked.
        out = tmp_path / "back.bundle"
        done = _cli(central, "device", "enable", SITE_A, "desk-1", "-o", str(out))
        assert done.returncode == 0, done.stderr
        assert oct(out.stat().st_mode & 0o777) == "0o600"
        fleet.enroll(SITE_A, "desk-1", tmp_path / "back", bundle=out.read_bytes())
        back = probe_for(fleet, tmp_path / "back" / "tls", "back")
        assert back.connect()
        back.publish(own, batch(SITE_A, "desk-1", "back", seq=3))
        wait_until(lambda: (SITE_A, "desk-1", "back") in stored_texts(store), 20, what="the re-enabled device")
        assert (SITE_A, "desk-1", "while disabled") not in stored_texts(store)
        back.close()
        old = probe_for(fleet, tls, "old")
        assert not old.connect(timeout=3)
        old.close()
    finally:
        online.close()
        central.stop()


def test_recredentialing_keeps_the_edge_syncing_with_nothing_lost(tmp_path, fleet):
    fleet.add_site(SITE)
    folder = tmp_path / "edge-1"
    bundle = fleet.enroll(SITE, "edge-1", folder)
    central = start_central(fleet, tmp_path)
    edge = Edge(tmp_path / "e", fleet.port, device="edge-1", mqtt=fleet.edge_mqtt_toml(bundle, folder))
    try:
        edge.start()
        _recredential_while_syncing(tmp_path, fleet, central.store(), edge, folder)
    finally:
        edge.stop()
        central.stop()


def _recredential_while_syncing(tmp_path, fleet, store, edge, folder) -> None:
    journal = edge.journal()
    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.is_set():
            journal.record(DeskNote(text="steady"))
            time.sleep(0.01)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        wait_until(lambda: store.count_events(site=SITE) > 50, 30, what="the edge syncing")
        shutil.copytree(folder / "tls", tmp_path / "old-tls")
        # The new credential, installed over the old one while the edge runs.
        fresh = fleet.registry().recredential(SITE, "edge-1")
        fleet.enroll(SITE, "edge-1", folder, bundle=fresh)
        wait_until(lambda: "client certificate changed; reconnecting" in edge.output(), 20, what="the reconnect")
        wait_until(lambda: edge.output().count("connected to 127.0.0.1") >= 2, 20, what="connected again")
        assert fleet.registry().retire_old(SITE, "edge-1") == 1
        fleet.reload_broker()
        # A broker restart makes the edge connect afresh: only the new certificate can get it in.
        fleet.broker.kill()
        fleet.broker.start()
        mark = store.count_events(site=SITE)
        wait_until(lambda: store.count_events(site=SITE) > mark + 50, 30, what="syncing after the restart")
        stale = probe_for(fleet, tmp_path / "old-tls", "stale")
        assert not stale.connect(timeout=3)
        stale.close()
    finally:
        stop.set()
        writer.join()
    wait_until(lambda: journal.backlog() == 0, 60, what="the outbox drained")
    assert edge.alive(), "the edge was restarted"
    ids = journal_ids(journal)
    assert set(store.event_ids(SITE, "edge-1")) == set(ids)
    with store.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(events_table)
                            .where(events_table.c.device == "edge-1")).scalar_one()
    assert rows == len(ids)


@pytest.mark.parametrize("name", ["central", "central-rules", "central-quarantine"])
def test_central_device_names_cannot_be_registered(sqlite_fleet, name):
    from frontdesk.central.fleet.registry import FleetError
    with pytest.raises(FleetError, match="reserved"):
        sqlite_fleet.registry().add_device(SITE_A, name, "agent")
