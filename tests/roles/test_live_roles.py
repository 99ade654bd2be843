"""The dashboard's live stream for every role, over real HTTP (central under uvicorn, the SSE
endpoint /api/v1/dashboard/live): each role gets only the event types roles.py lets it receive
(guards no call.*, note.* or transcript.*), payloads masked at every depth for roles outside
PERSONAL_DATA_ROLES, and one audit entry per subscription (when the stream opens, naming the role,
the sites and the event types), not one per event."""
from __future__ import annotations

import json
import threading

import httpx
import pytest

from frontdesk.central.auth.roles import PERSONAL_DATA_ROLES
from frontdesk.central.dashboard.live import LIVE_PREFIXES
from frontdesk.ids import new_id
from frontdesk.masking import mask_phone

from ..dashboard.dashboard_helpers import Central, wait_until
from .roles_helpers import NAME, NOTE, PASSWORD, PHONE, ROLES, SITE, TRANSCRIPT, UNIT, Edge, add_staff

# What each role's stream must carry (event type prefixes), as the screens of the role need them.
CARRIES = {
    "desk": set(LIVE_PREFIXES),
    "guard": {"visitor.", "ticket.", "print.", "command.", "pass."},
    "manager": set(LIVE_PREFIXES),
    "admin": set(LIVE_PREFIXES),
}


class Reader:
    """Reads one SSE stream in a thread and keeps its messages."""

    def __init__(self, url: str, token: str) -> None:
        self.messages: list[tuple[str, dict]] = []
        self.status: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, token), daemon=True)
        self._thread.start()

    def _run(self, url: str, token: str) -> None:
        try:
            with httpx.Client(timeout=httpx.Timeout(5, read=30)) as client, \
                    client.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as r:
                self.status = r.status_code
                kind = None
                for line in r.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        self.messages.append((kind or "", json.loads(line[6:])))
        except httpx.HTTPError:
            pass  # the server went away: the test is over

    def events(self) -> list[dict]:
        return [d for k, d in self.messages if k == "event"]

    def stop(self) -> None:
        """Stop reading (the thread ends at the next message, or when the server stops)."""
        self._stop.set()

    def join(self) -> None:
        self._thread.join(10)
        assert not self._thread.is_alive(), "a live stream reader did not end"


@pytest.fixture
def readers():
    """Live stream readers; asked for before `central`, so they are joined once it has stopped."""
    made: list[Reader] = []
    yield lambda url, token: made.append(Reader(url, token)) or made[-1]
    for reader in made:
        reader.join()


@pytest.fixture
def central(sqlite_url):
    with Central(sqlite_url) as c:
        add_staff(c.app.state.accounts)
        yield c


def login(central, role: str) -> str:
    r = httpx.post(f"{central.url}/api/v1/auth/login", json={"username": role, "password": PASSWORD, "token": True})
    r.raise_for_status()
    return r.json()["token"]


def publish_everything(store) -> None:
    """One event of each kind an edge sends that a screen reacts to, each naming the resident
    (nested where the payload nests)."""
    desk, kiosk, gate = Edge(store, "desk-1"), Edge(store, "kiosk-1"), Edge(store, "gate-1")
    call_id = new_id()
    caller = {"call_id": call_id, "number": PHONE, "name": NAME, "unit": UNIT, "resident_name": NAME}
    desk.emit("call.ringing", {**caller, "ring": 1, "cadence": "cn", "caller_id_received": True})
    desk.emit("call.transcribed", {"job_id": "j1", "text": TRANSCRIPT, "outcome": "text", "confidence": 0.9,
                                   "model": "m", "language": "zh", "audio_s": 3.0, "call_id": call_id,
                                   "category": "repair", "category_basis": "keywords"})
    desk.emit("note.transcribed", {"job_id": "n1", "text": NOTE, "outcome": "text", "confidence": 0.9, "model": "m",
                                   "language": "zh", "audio_s": 2.0, "call_id": call_id})
    desk.emit("transcript.failed", {"job_id": "j2", "kind": "call", "call_id": call_id, "reason": "bad_recording",
                                    "detail": f"caller {PHONE}", "attempt": 1, "will_retry": False})
    kiosk.emit("visitor.checked_in", {"visit_id": "v-9", "method": "walk_in", "visitor_name": NAME, "host_unit": UNIT,
                                      "post_role": "kiosk", "phone": PHONE, "phone_masked": mask_phone(PHONE),
                                      "purpose": "送快递", "checkout_code": "CO-9"})
    kiosk.emit("print.requested", {"kind": "badge", "data": {"display_name": NAME, "host_unit": UNIT,
                                                             "checkout_code": "CO-9", "visitor": {"phone": PHONE}}})
    gate.emit("command.applied", {"command_id": new_id(), "command_type": "cards.allowlist.replace",
                                  "status": "applied", "result": {"changed": [{"holder": NAME, "phone": PHONE}]}})
    gate.emit("pass.rejected", {"reason": "expired", "detail": "expired", "source": "camera", "payload_hex": "ab",
                                "payload_bytes": 1, "direction": "in", "post_role": "gate"})



def test_every_role_gets_its_event_types_masked_and_one_audit_entry_per_subscription(readers, central):
    accounts = central.app.state.accounts
    tokens = {role: login(central, role) for role in ROLES}
    url = f"{central.url}/api/v1/dashboard/live"
    # Technicians have no live stream (their phone page polls): refused before anything is sent.
    r = httpx.get(url, headers={"Authorization": f"Bearer {tokens['technician']}"})
    assert r.status_code == 403
    streams = {role: readers(url, tokens[role]) for role in CARRIES}
    try:
        wait_until(lambda: central.hub.subscribers == len(CARRIES), what="every role's stream")
        publish_everything(central.store)
        desk_api = httpx.Client(base_url=central.url, headers={"Authorization": f"Bearer {tokens['desk']}"})
        opened = desk_api.post("/api/v1/tickets", json={"site": SITE, "kind": "repair", "title": "漏水", "unit": UNIT,
                                                        "contact_name": NAME, "contact_phone": PHONE,
                                                        "details": f"{NAME} {PHONE}"})
        assert opened.status_code == 201, opened.text
        # 8 edge events and the ticket.opened central's writer stores
        wait_until(lambda: len(streams["desk"].events()) >= 9, what="the desk's events")
        wait_until(lambda: len(streams["guard"].events()) >= 5, what="the guard's events")
        for role, reader in streams.items():
            got = reader.events()
            prefixes = {t.split(".")[0] + "." for t in (e["type"] for e in got)}
            assert prefixes <= CARRIES[role], f"{role} got {prefixes - CARRIES[role]}"
            assert prefixes == CARRIES[role], f"{role} missed {CARRIES[role] - prefixes}"
            text = json.dumps(got, ensure_ascii=False)
            if role in PERSONAL_DATA_ROLES:
                assert NAME in text and PHONE in text
            else:
                assert NAME not in text and PHONE not in text, f"{role} got the resident in full"
                nested = next(e for e in got if e["type"] == "command.applied")["payload"]["result"]["changed"][0]
                assert nested == {"holder": "欧***", "phone": "139****4321"}
                badge = next(e for e in got if e["type"] == "print.requested")["payload"]["data"]
                assert badge["display_name"] == "欧***" and badge["visitor"]["phone"] == "139****4321"
                ticket = next(e for e in got if e["type"] == "ticket.opened")["payload"]
                assert ticket["contact_phone"] == "139****4321" and NAME not in ticket["details"]
                assert next(e for e in got if e["type"] == "pass.rejected")["payload"]["payload_hex"] is None
        assert not [e for e in streams["guard"].events() if e["type"].startswith(("call.", "transcript.", "note."))]
        # One audit entry per subscription of a role that sees the stream in full, however many
        # events it carried; none for the guard (masked) or the refused technician.
        for role in ROLES:
            reads = [a for a in accounts.list_audit(sites=None, username=role) if a["action"] == "read"]
            if role not in PERSONAL_DATA_ROLES:
                assert reads == [], f"{role}: {reads}"
                continue
            assert len(reads) == 1, f"{role}: {reads}"
            entry = reads[0]
            # filed under the account's one site (the admin's stream covers every site)
            assert (entry["entity"], entry["role"], entry["site"]) == ("live_stream", role,
                                                                        None if role == "admin" else SITE)
            assert entry["detail"]["role"] == role
            assert set(entry["detail"]["types"]) == CARRIES[role]
            assert entry["detail"]["sites"] == (["*"] if role == "admin" else [SITE])
    finally:
        for reader in streams.values():
            reader.stop()
    # A second subscription is a second entry (the page reopening its stream is a new read).
    again = readers(url + f"?site={SITE}", tokens["manager"])
    try:
        wait_until(lambda: again.status == 200, what="the manager's second stream")
        wait_until(lambda: len([a for a in accounts.list_audit(sites=None, username="manager")
                                if a["entity"] == "live_stream"]) == 2, what="the second entry")
        entry = accounts.list_audit(sites=None, username="manager")[0]
        assert entry["site"] == SITE and entry["detail"]["sites"] == [SITE]
    finally:
        again.stop()
