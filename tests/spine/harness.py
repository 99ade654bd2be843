"""Real processes for the spine tests: `frontdesk central run` and `frontdesk edge run`.

Each runs as its own OS process so tests can SIGKILL it exactly as a crash or power cut would.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from frontdesk.central.command_keys import ACTIVE, CommandKeyring
from frontdesk.central.store import Store
from frontdesk.edge.agent import EdgeAgent
from frontdesk.edge.config import load_edge
from frontdesk.edge.journal import Journal
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
    """[mqtt] for the open loopback broker (runtime/mosquitto.py CONF)."""
    return f"[mqtt]\nport = {port}\n"


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
    def __init__(self, root: Path, broker_port: int, database_url: str, retry_s: float = 1.0,
                 mqtt: str | None = None, extra: str = "") -> None:
        root.mkdir(parents=True, exist_ok=True)
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
            f'{mqtt or plain_mqtt(broker_port)}\n{extra}')
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
    def __init__(self, root: Path, broker_port: int, device: str = "edge-1", ack_timeout_s: float = 3.0,
                 extra: str = "", command_keys: list[str] | None = None, mqtt: str | None = None) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.device = device
        self.data_dir = root / device
        self.config = root / f"{device}.toml"
        self.config.write_text(
            f'[site]\nid = "{SITE}"\ntimezone = "Asia/Shanghai"\n\n[edge]\ndevice = "{device}"\n'
            f'data_dir = "{self.data_dir}"\nlog_level = "DEBUG"\n\n{mqtt or plain_mqtt(broker_port)}\n'
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


def publish_raw(port: int, items: list[tuple[str, bytes]], client_id: str = "raw-test") -> None:
    """Publish these (topic, bytes) at QoS 1 from a client of our own (an attacker, or central's stand-in)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    for topic, payload in items:
        client.publish(topic, payload, qos=1).wait_for_publish(10)
    client.loop_stop()
    client.disconnect()


@contextmanager
def broker_and_database(root: Path, backend: str) -> Iterator[tuple[Mosquitto, str]]:
    """A private broker and a central database URL of `backend` ("sqlite" or "postgresql"), both
    stopped on the way out (the benches' set-up)."""
    broker = Mosquitto(root / "broker").start()
    pg = None
    try:
        if backend == "postgresql":
            pg = Postgres(root / "pg").start()
            url = pg.create_database("bench")
        else:
            url = f"sqlite:///{root / 'central.db'}"
        yield broker, url
    finally:
        broker.stop()
        if pg:
            pg.stop()


@contextmanager
def central_and_agent(root: Path, broker_port: int, url: str) -> Iterator[tuple[Central, EdgeAgent]]:
    """Central as its own process and an edge agent in this process — as device services run inside
    the agent in production, producers share its journal and wake the uplink directly — with the
    edge's first event already at central."""
    central = Central(root / "c", broker_port, url).start()
    edge = EdgeAgent(load_edge(Edge(root / "e", broker_port, ack_timeout_s=20).config))
    edge.start()
    try:
        journal, store = edge.journal, central.store()
        wait_until(lambda: journal.backlog() == 0 and store.count_events(site=SITE) >= 1, 30, what="edge up")
        yield central, edge
    finally:
        edge.stop()
        central.stop()
