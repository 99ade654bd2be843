"""`frontdesk demo`: the whole system on one machine, on embedded defaults.

This is the one place where everything is wired together: a private Mosquitto, the central store
on SQLite with its API, and one edge agent — each a real process talking over loopback, exactly
as they would across a building. Emulated devices join the edge here as they are added.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .runtime.mosquitto import Mosquitto
from .runtime.ports import free_port, wait_listening

SITE = "demo-site"
DEVICE = "desk-1"


@dataclass
class DemoSystem:
    """Start/stop the demo's processes; used by `frontdesk demo` and by the end-to-end tests."""

    root: Path
    central_db: str | None = None
    http_port: int = 0
    broker: Mosquitto | None = None
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def central_toml(self) -> Path:
        return self.root / "central.toml"

    @property
    def edge_toml(self) -> Path:
        return self.root / "edge.toml"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def write_configs(self) -> None:
        assert self.broker
        db = self.central_db or f"sqlite:///{self.root / 'central' / 'central.db'}"
        self.central_toml.write_text(
            f'[central]\ndatabase_url = "{db}"\nhttp_host = "127.0.0.1"\nhttp_port = {self.http_port}\n'
            f'command_retry_s = 5\n\n[mqtt]\nhost = "127.0.0.1"\nport = {self.broker.port}\n\n'
            f'[sites.{SITE}]\nid = "{SITE}"\nname = "示范物业 Demo Property"\ntimezone = "Asia/Shanghai"\n')
        self.edge_toml.write_text(
            f'[site]\nid = "{SITE}"\nname = "示范物业 Demo Property"\ntimezone = "Asia/Shanghai"\ncountry = "cn"\n\n'
            f'[edge]\ndevice = "{DEVICE}"\ndata_dir = "{self.root / "edge"}"\n\n'
            f'[mqtt]\nhost = "127.0.0.1"\nport = {self.broker.port}\n\n[uplink]\nack_timeout_s = 10\n')

    def _spawn(self, name: str, *args: str) -> None:
        log = open(self.root / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen([sys.executable, "-m", "frontdesk", *args], stdout=log, stderr=log,
                                            start_new_session=True)

    def start(self) -> "DemoSystem":
        self.root.mkdir(parents=True, exist_ok=True)
        self.broker = Mosquitto(self.root / "broker").start()
        self.http_port = self.http_port or free_port()
        self.write_configs()
        self._spawn("central", "central", "run", "-c", str(self.central_toml))
        if not wait_listening("127.0.0.1", self.http_port, 30):
            self.stop()
            raise RuntimeError(f"central did not start; see {self.root / 'central.log'}")
        self._spawn("edge", "edge", "run", "-c", str(self.edge_toml))
        return self

    def get(self, path: str):
        with urllib.request.urlopen(self.api + path, timeout=5) as resp:
            return json.loads(resp.read())

    def stop(self) -> None:
        for name in ("edge", "central"):
            proc = self.procs.pop(name, None)
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        if self.broker:
            self.broker.stop()


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="run broker, central and an edge agent on this machine")
    demo.add_argument("--dir", default="var/demo", help="where the demo keeps its files (default var/demo)")
    demo.add_argument("--seconds", type=float, default=0, help="stop after this long (default: until Ctrl-C)")
    demo.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    system = DemoSystem(Path(args.dir).resolve())
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    system.start()
    try:
        subprocess.run([sys.executable, "-m", "frontdesk", "edge", "note", "-c", str(system.edge_toml),
                        "frontdesk 演示已启动 / demo started", "--author", "demo"], check=True,
                       stdout=subprocess.DEVNULL)
        seen = _wait_for_events(system, 2, 20)
        b = system.broker
        print(f"""
frontdesk demo is running  (files in {system.root})

  broker     mosquitto on {b.host}:{b.port}          log: {b.data_dir / 'mosquitto.log'}
  central    {system.api}/docs  (API)           store: {system.root / 'central' / 'central.db'}
  edge       {SITE}/{DEVICE}                      journal: {system.root / 'edge' / 'journal.db'}

  events in the central store so far: {seen}
  watch the topics:    mosquitto_sub -h {b.host} -p {b.port} -t 'frontdesk/v1/#' -v
  list events:         curl -s '{system.api}/api/v1/events?limit=20'
  write a desk note:   frontdesk edge note -c {system.edge_toml} "3-201 厨房漏水" --unit 3-201
  send a command:      frontdesk central send -c {system.central_toml} {SITE} {DEVICE} edge.ping
  command states:      curl -s '{system.api}/api/v1/commands'

Ctrl-C stops everything.""", flush=True)
        deadline = time.monotonic() + args.seconds if args.seconds else None
        while not stop["now"] and (deadline is None or time.monotonic() < deadline):
            for name, proc in system.procs.items():
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; see {system.root / (name + '.log')}", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        system.stop()
        print("demo stopped")
    return 0


def _wait_for_events(system: DemoSystem, count: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        try:
            seen = len(system.get("/api/v1/events?limit=1000"))
        except OSError:
            seen = 0
        if seen >= count:
            break
        time.sleep(0.2)
    return seen


