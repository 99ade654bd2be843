"""A resident asks to be forgotten, against the whole running system (the demo's TLS broker,
central, and the desk, lobby and gate edges as separate processes): their call after hours
(caller ID, the recorded message, its transcript, the repair ticket, the printed work order), a
parcel for them at the desk, a visit they made through the lobby kiosk with its printed badge, and
the directory central pushed to the desk. One erasure request by phone number; afterwards
`frontdesk central privacy find` and `frontdesk edge privacy find` on every edge find nothing, and
neither does a raw byte search of every database file, its WAL and the recordings folders."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from frontdesk.demo.samples import CALLER
from frontdesk.demo.system import SITE, DemoSystem
from frontdesk.demo.tour import call_steps
from frontdesk.schema.access import VisitorCheckedIn
from frontdesk.schema.printing import PrintJobConfirmed

NUMBER, NAME, UNIT = CALLER["number"], CALLER["name"], CALLER["unit"]
ADMIN_PASSWORD = "erase-me-not-7Qx"


@pytest.fixture(params=["sqlite", "postgresql"])
def system(request, tmp_path):
    db = None
    if request.param == "postgresql":
        db = request.getfixturevalue("postgres_server").create_database("erasure_everywhere")
    running = DemoSystem(tmp_path / "demo", central_db=db).start()
    yield running
    running.stop()


def frontdesk(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "frontdesk", *args], input=stdin, text=True, capture_output=True,
                          timeout=120)


def admin_token(system: DemoSystem) -> str:
    made = frontdesk("central", "user", "add", "-c", str(system.central_toml), "dpo", "--role", "admin", "--sites",
                     "*", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    body = json.dumps({"username": "dpo", "password": ADMIN_PASSWORD, "token": True}).encode()
    req = urllib.request.Request(system.api + "/api/v1/auth/login", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["token"]


def as_admin(system: DemoSystem, token: str, method: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(system.api + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def the_residents_day(system: DemoSystem) -> None:
    """Everything the resident leaves behind, each step checked to have reached central."""
    steps: list[tuple[str, bool]] = []
    call_steps(system, lambda name, found, detail: steps.append((name, bool(found))) or found)
    assert steps and all(ok for _, ok in steps), steps
    # a parcel for them, logged at the desk
    system.post("/api/v1/tickets", {"site": SITE, "kind": "mail", "title": f"顺丰快递 {NAME}", "unit": UNIT,
                                    "contact_name": NAME, "contact_phone": NUMBER, "source": "mail"})
    # they visit a neighbour through the lobby kiosk: a visit and a printed badge with their name
    lobby = system.edges["lobby-1"]
    walk_in = {"name": NAME, "phone": NUMBER, "unit": "3-1201", "purpose": "visit", "language": "zh-Hans"}
    req = urllib.request.Request(f"http://127.0.0.1:{lobby.screen_port}/api/visitors", method="POST",
                                 data=json.dumps(walk_in).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 201
    visit = system.wait_event(VisitorCheckedIn, lambda p: p.method == "walk_in", "lobby-1", 30)
    assert visit is not None, "the walk-in did not reach central"
    assert system.wait_event(PrintJobConfirmed, device="lobby-1", timeout=30), "no badge printed"


def wait_answered(system: DemoSystem, token: str, request_id: str, seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        seen = as_admin(system, token, "GET", f"/api/v1/privacy/requests/{request_id}")
        if seen["edges_pending"] == 0 or time.monotonic() > deadline:
            return seen
        time.sleep(0.5)


def stored_files(root: Path) -> list[Path]:
    """Every database file and WAL, and everything in a recordings folder, under `root`."""
    found = [p for p in root.rglob("*") if p.is_file() and (p.name.endswith((".db", ".db-wal", ".sqlite"))
                                                           or "recordings" in p.parts)]
    return sorted(found)


def byte_forms(text: str) -> list[bytes]:
    """How a stored copy of `text` can look in a file: UTF-8, JSON-escaped, GB18030 (slips)."""
    forms = {text.encode(), json.dumps(text).encode()[1:-1], text.encode("gb18030")}
    return sorted(forms)


def test_one_request_erases_a_resident_everywhere(system):
    the_residents_day(system)
    token = admin_token(system)
    edges = sorted(system.edges)
    recordings = list((system.device_dir("desk-1") / "data" / "recordings").rglob("*.wav"))
    assert recordings, "the call left no recording to erase"
    # before: the resident is stored at central and on the edges (the finder finds what is there)
    assert frontdesk("central", "privacy", "find", NUMBER, "-c", str(system.central_toml)).returncode == 1
    assert frontdesk("edge", "privacy", "find", NUMBER, "-c", str(system.edge_toml("desk-1"))).returncode == 1

    request = as_admin(system, token, "POST", "/api/v1/privacy/erase", {"phone": NUMBER, "site": SITE})
    assert sorted(e["device"] for e in request["edges"]) == edges
    assert request["central"]["calls"] >= 1 and request["central"]["tickets"] >= 2, request["central"]
    answered = wait_answered(system, token, request["request_id"])
    assert [(e["device"], e["state"]) for e in answered["edges"]] == [(d, "delivered") for d in edges], answered
    desk = next(e["result"] for e in answered["edges"] if e["device"] == "desk-1")
    lobby = next(e["result"] for e in answered["edges"] if e["device"] == "lobby-1")
    assert desk["recordings"] >= 1 and desk["directory"] >= 1 and desk["journal_events"] >= 1, desk
    assert lobby["journal_events"] >= 1 and lobby["print_jobs"] >= 1, lobby
    assert not any(p.exists() for p in recordings)

    for text in (NUMBER, NAME):
        central = frontdesk("central", "privacy", "find", text, "-c", str(system.central_toml))
        assert central.returncode == 0, central.stdout + central.stderr
        for device in edges:
            edge = frontdesk("edge", "privacy", "find", text, "-c", str(system.edge_toml(device)))
            assert edge.returncode == 0, f"{device}: {edge.stdout}{edge.stderr}"
    files = stored_files(system.root)
    assert sum(p.name == "journal.db" for p in files) == len(edges)
    hits = [(str(p.relative_to(system.root)), form) for p in files for form in byte_forms(NUMBER) + byte_forms(NAME)
            if form in p.read_bytes()]
    assert hits == [], hits
    # the other resident the directory lists is still there: erasure is about one person
    assert frontdesk("edge", "privacy", "find", "13900001201", "-c",
                     str(system.edge_toml("desk-1"))).returncode == 1
