"""Real processes for the spine tests: `frontdesk central run` and `frontdesk edge run`, over the
fleet's generated TLS broker.

Each runs as its own OS process so tests can SIGKILL it exactly as a crash or power cut would. The
broker is the production one (`SpineFleet`, a `LocalFleet`): Mosquitto on the configuration central
generates, certificates required, the per-device ACL; central connects with its own certificate
and every edge is installed from an enrolment bundle the registry issued.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from frontdesk.central.command_keys import ACTIVE, CommandKeyring
from frontdesk.central.fleet import broker as fleet_broker
from frontdesk.central.fleet.ca import write_private
from frontdesk.central.store import Store
from frontdesk.config import MqttConfig
from frontdesk.demo.fleet import LocalFleet
from frontdesk.edge.agent import EdgeAgent
from frontdesk.edge.config import load_edge
from frontdesk.edge.journal import Journal
from frontdesk.enrolment import Bundle
from frontdesk.mqtt import broker_tls_context
from frontdesk.passes.keys import generate_key, public_text, save_private_key
from frontdesk.runtime.mosquitto import Mosquitto
from frontdesk.runtime.ports import free_port, wait_listening
from frontdesk.runtime.postgres import Postgres
from frontdesk.schema.system import DeskNote
from frontdesk.signing import command_key_id

SITE = "t-site"
# One command-signing key for every central the harness starts, trusted by every edge it starts.
COMMAND_KEY = generate_key()
COMMAND_PUBLIC_KEY = public_text(COMMAND_KEY)


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last value {last!r})")


def plain_mqtt(port: int) -> str:
    """[mqtt] for an open loopback broker (runtime/mosquitto.py CONF): what Central and Edge use
    when given a port and no [mqtt] of their own."""
    return f"[mqtt]\nport = {port}\n"


# -- the fleet ------------------------------------------------------------------------------------

# A second holder of central's rights on the broker: what a stolen central credential (or a
# compromised broker) can send on an edge's commands and acks topics, from a connection of its own.
STAND_IN = "central-stand-in"


@dataclass
class SpineFleet(LocalFleet):
    """The fleet the spine tests and benches run on: devices of SITE enrolled on first use, and
    stand-ins holding central's rights (stand_in_mqtt)."""
    bundles: dict[str, Bundle] = field(default_factory=dict)
    stand_ins: list[str] = field(default_factory=list)

    def device_mqtt(self, device: str) -> str:
        """[mqtt] of SITE's `device`: registered and its bundle installed under root/devices/ on first
        use (what `frontdesk central device add` and `frontdesk edge enroll` do), the same after that."""
        directory = self.root / "devices" / device
        if device not in self.bundles:
            self.bundles[device] = self.enroll(SITE, device, directory)
        return self.edge_mqtt_toml(self.bundles[device], directory)

    def stand_in_mqtt(self, name: str = STAND_IN) -> str:
        """[mqtt] of a client with central's rights under a name of its own. Central's own certificate
        would do only while central is away: the client id is the certificate's name, so a second
        connection with it takes central's connection, and its session, over."""
        directory = self.root / "stand-ins" / name
        if name not in self.stand_ins:
            issued = self.registry().ca.issue(name, days=1)
            write_private(directory / "client.key", issued.private_key_pem)
            (directory / "client.crt").write_bytes(issued.certificate_pem)
            self.stand_ins.append(name)
            if self.broker:  # (else start_broker grants it)
                self.reload_broker()
        return self.mqtt_toml(self.registry().ca.cert_path, directory / "client.crt", directory / "client.key")

    def start_broker(self) -> Mosquitto:
        broker = super().start_broker()
        if self.stand_ins:  # the configuration was just written afresh, without them
            self.reload_broker()
        return broker

    def reload_broker(self) -> None:
        """Every fleet change rewrites the ACL from the registry: grant the stand-ins again, then SIGHUP."""
        self._grant_stand_ins()
        super().reload_broker()

    def _grant_stand_ins(self) -> None:
        acl = self.registry().broker_dir / "frontdesk.acl"
        text = acl.read_text()
        for name in self.stand_ins:
            if f"\nuser {name}\n" not in text:
                block = fleet_broker.render_acl([], central=name).split("\n\n", 1)[1]
                text += f"\n# A stand-in with central's rights (tests/spine/harness.py).\n{block}"
        tmp = acl.with_name(acl.name + ".stand-ins")
        tmp.write_text(text)
        tmp.replace(acl)  # whole or not at all: the broker may re-read it at any moment


@contextmanager
def local_fleet(root: Path, database_url: str, start: bool = True) -> Iterator[SpineFleet]:
    """The fleet of a central on `database_url` with SITE registered and the broker's files written;
    its broker started now or (start=False) when the test calls start_broker(). Stopped on the way out."""
    fleet = SpineFleet(root, database_url, [COMMAND_PUBLIC_KEY])
    fleet.add_site(SITE)
    fleet.registry().write_broker_config()  # central's certificate too, for a central started first
    try:
        if start:
            fleet.start_broker()
        yield fleet
    finally:
        fleet.stop()


def client_config(identity: str | MqttConfig) -> MqttConfig:
    """An [mqtt] section (text) as the MqttConfig of a client of our own."""
    return identity if isinstance(identity, MqttConfig) else MqttConfig.model_validate(
        tomllib.loads(identity)["mqtt"])


def tls_client(identity: str | MqttConfig) -> tuple[mqtt.Client, MqttConfig]:
    """A paho client (not yet connected) that trusts only the fleet CA and presents `identity`'s
    certificate; the broker makes the certificate's name its user and client id."""
    cfg = client_config(identity)
    ctx = broker_tls_context(cfg)
    ctx.load_cert_chain(str(cfg.tls_cert), str(cfg.tls_key))
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.tls_set_context(ctx)
    return client, cfg


class RawClient:
    """A client of our own on the fleet's broker (an attacker, or a stand-in for central or an edge),
    publishing whatever it is given at QoS 1. publish() returns on the broker's PUBACK and fails if
    the broker refused the message (its ACL), so no test takes a refused publish for a delivered one."""

    def __init__(self, identity: str | MqttConfig, on_message=None, timeout: float = 10.0) -> None:
        self.client, cfg = tls_client(identity)
        self.timeout = timeout
        self.refused: dict[int, str] = {}
        self.connected, self.dropped = threading.Event(), threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: rc.is_failure or self.connected.set()
        self.client.on_disconnect = lambda c, u, f, rc, p: self.dropped.set()
        self.client.on_publish = self._on_publish
        if on_message:
            self.client.on_message = on_message
        self.client.connect(cfg.host, cfg.port)
        self.client.loop_start()
        if not self.connected.wait(timeout):
            self.close()
            raise AssertionError(f"the broker did not accept {cfg.tls_cert}")

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.refused[mid] = str(reason_code)

    def publish(self, topic: str, payload: bytes) -> None:
        info = self.client.publish(topic, payload, qos=1)
        deadline = time.monotonic() + self.timeout
        while not info.is_published() and not self.dropped.is_set() and time.monotonic() < deadline:
            info.wait_for_publish(0.05)
        assert not self.dropped.is_set(), f"the broker dropped the connection publishing on {topic}"
        assert info.is_published(), f"no PUBACK for {topic} within {self.timeout} s"
        assert info.mid not in self.refused, f"the broker refused {topic}: {self.refused[info.mid]}"

    def subscribe(self, topic: str) -> None:
        self.client.subscribe(topic, qos=1)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class Proc:
    def __init__(self, root: Path, name: str, args: list[str]) -> None:
        self.root, self.name, self.args = root, name, args
        self.proc: subprocess.Popen | None = None
        self.log = root / f"{name}.log"

    def start(self) -> Proc:
        with open(self.log, "ab") as out:  # the child keeps its own descriptor
            self.proc = subprocess.Popen([sys.executable, "-m", "frontdesk", *self.args], stdout=out, stderr=out,
                                         start_new_session=True)
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Central(Proc):
    def __init__(self, root: Path, broker: LocalFleet | int, database_url: str, retry_s: float = 1.0,
                 mqtt: str | None = None, extra: str = "") -> None:
        """`broker`: the fleet (central's certificate and its [fleet]) or the port of an open broker;
        `mqtt` and `extra` ([fleet] among them) replace what the fleet would give."""
        root.mkdir(parents=True, exist_ok=True)
        if isinstance(broker, LocalFleet):
            mqtt = mqtt or broker.central_mqtt_toml()
            extra = extra if "[fleet]" in extra else broker.fleet_toml() + extra
        else:
            mqtt = mqtt or plain_mqtt(broker)
        self.http_port = free_port()
        self.database_url = database_url
        self.key_dir = root / "command-keys"
        if not self.key_dir.exists():
            self.key_dir.mkdir(mode=0o700)
            kid = command_key_id(COMMAND_KEY)
            save_private_key(COMMAND_KEY, self.key_dir / f"{kid}.pem")
            (self.key_dir / ACTIVE).write_text(kid + "\n")
        cfg = self.config = root / "central.toml"
        cfg.write_text(
            f'[central]\ndatabase_url = "{database_url}"\nhttp_port = {self.http_port}\n'
            f'command_retry_s = {retry_s}\nlog_level = "DEBUG"\ncommand_key_dir = "{self.key_dir}"\n\n'
            f'{mqtt}\n{extra}')
        super().__init__(root, "central", ["central", "run", "-c", str(cfg)])

    def start(self) -> Central:
        super().start()
        assert wait_listening("127.0.0.1", self.http_port, 30), self.output()
        return self

    def store(self) -> Store:
        """The central database, signing commands with this central's active key (as the service does)."""
        store = Store(self.database_url, run_migrations=False)
        store.command_signer = CommandKeyring(self.key_dir)
        return store


class Edge(Proc):
    def __init__(self, root: Path, broker: SpineFleet | int, device: str = "edge-1", ack_timeout_s: float = 3.0,
                 extra: str = "", command_keys: list[str] | None = None, mqtt: str | None = None) -> None:
        """`broker`: the fleet (the device enrolled from a bundle on first use) or the port of an
        open broker; `mqtt` replaces the [mqtt] either would give."""
        root.mkdir(parents=True, exist_ok=True)
        if mqtt is None:
            mqtt = plain_mqtt(broker) if isinstance(broker, int) else broker.device_mqtt(device)
        self.device = device
        self.data_dir = root / device
        self.config = root / f"{device}.toml"
        self.config.write_text(
            f'[site]\nid = "{SITE}"\ntimezone = "Asia/Shanghai"\n\n[edge]\ndevice = "{device}"\n'
            f'data_dir = "{self.data_dir}"\nlog_level = "DEBUG"\n\n{mqtt}\n'
            f'[uplink]\nack_timeout_s = {ack_timeout_s}\nbackoff_min_s = 0.2\nbackoff_max_s = 2.0\n'
            f'command_public_keys = {json.dumps(command_keys if command_keys is not None else [COMMAND_PUBLIC_KEY])}\n'
            f'{extra}')
        super().__init__(root, device, ["edge", "run", "-c", str(self.config)])

    def journal(self) -> Journal:
        return Journal(self.data_dir / "journal.db", site=SITE, device=self.device, tz="Asia/Shanghai")


def journal_ids(journal: Journal) -> list[str]:
    return [e["id"] for e in journal.events(0, 10**9)]


def record_notes(journal: Journal, n: int, chunk: int = 500, prefix: str = "note") -> list[str]:
    ids = []
    for start in range(0, n, chunk):
        events = journal.record_many([DeskNote(text=f"{prefix} {i}") for i in range(start, min(n, start + chunk))])
        ids += [e.id for e in events]
    return ids


def dumps(obj) -> bytes:
    return json.dumps(obj).encode()


def publish_raw(identity: str | MqttConfig, items: list[tuple[str, bytes]]) -> None:
    """Publish these (topic, bytes) at QoS 1 from a client of our own holding `identity`'s
    certificate (an [mqtt] section: an edge's, central's, a stand-in's); each must be accepted."""
    client = RawClient(identity)
    try:
        for topic, payload in items:
            client.publish(topic, payload)
    finally:
        client.close()


@contextmanager
def broker_and_database(root: Path, backend: str) -> Iterator[tuple[SpineFleet, str]]:
    """The fleet's TLS broker and a central database URL of `backend` ("sqlite" or "postgresql")
    holding its registry, both stopped on the way out (the benches' set-up)."""
    pg = None
    try:
        if backend == "postgresql":
            pg = Postgres(root / "pg").start()
            url = pg.create_database("bench")
        else:
            url = f"sqlite:///{root / 'central.db'}"
        with local_fleet(root, url) as fleet:
            yield fleet, url
    finally:
        if pg:
            pg.stop()


@contextmanager
def central_and_agent(root: Path, fleet: SpineFleet, url: str) -> Iterator[tuple[Central, EdgeAgent]]:
    """Central as its own process and an edge agent in this process — as device services run inside
    the agent in production, producers share its journal and wake the uplink directly — with the
    edge's first event already at central."""
    central = Central(root / "c", fleet, url).start()
    edge = EdgeAgent(load_edge(Edge(root / "e", fleet, ack_timeout_s=20).config))
    edge.start()
    try:
        journal, store = edge.journal, central.store()
        wait_until(lambda: journal.backlog() == 0 and store.count_events(site=SITE) >= 1, 30, what="edge up")
        yield central, edge
    finally:
        edge.stop()
        central.stop()


class AckClock:
    """When central's ack for each event reached an in-process agent: an observer on its journal's
    acknowledge(), which the uplink's ack thread calls with the ids of every ack it accepted (a
    client of our own cannot listen: the ACL gives an edge's acks to that edge alone)."""

    def __init__(self, journal: Journal) -> None:
        self.acked: dict[str, float] = {}
        real = journal.acknowledge

        def acknowledge(event_ids):
            ids, now = list(event_ids), time.perf_counter()
            for i in ids:
                self.acked.setdefault(i, now)
            return real(ids)

        journal.acknowledge = acknowledge  # type: ignore[method-assign]
