"""One resident seeded everywhere central keeps personal data: calls (caller ID, directory match,
the transcript), visits, tickets (contact, details, notes, photos), commands (directory.replace,
the card allow-list, the blocklist, a visitor badge and a work-order slip), raw events with nested
payloads, residents' invitations and sign-in requests; and staff of every role to read it all.

Everything goes in the way it does in service: edge events as encoded MQTT batches through
Store.ingest, staff actions through the HTTP API.
"""
from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from PIL import Image

from frontdesk import topics
from frontdesk.ids import new_id
from frontdesk.masking import mask_phone
from frontdesk.passes import generate_key, save_private_key
from frontdesk.schema import encode_batch, make_event, parse_event_payload

SITE = "garden-court"
TZ = "Asia/Shanghai"
PASSWORD = "correct horse battery"
ROLES = ("desk", "guard", "technician", "manager", "admin")
PERSONAL = ("desk", "manager", "admin")   # PERSONAL_DATA_ROLES, spelled out: the test states the rule

# The resident. The name is four characters so that no masked form (欧***) or shorter string can
# contain it; the number is written as the edges and the desk write it.
NAME = "欧阳晓明"
PHONE = "13987654321"
UNIT = "6-1201"
# Texts that quote the resident, as callers and staff write them.
TRANSCRIPT = f"你好，我是{NAME}，{UNIT}厨房水管漏水，请回电{PHONE}"
DETAILS = f"{NAME}来电：厨房水管漏水，电话 {PHONE}"
NOTE = f"已联系{NAME}（{PHONE}），下午到场"


def config(tmp_path) -> dict[str, Any]:
    """Central's configuration for the seed: the site's pass key (invitations) and its posts, and the
    edge devices whose ticket events central applies."""
    key_path = tmp_path / "keys" / "pass.key"
    key_path.parent.mkdir(parents=True, exist_ok=True)
    save_private_key(generate_key(), key_path)
    return {"tickets": {"pass_keys": {SITE: str(key_path)}, "pass_posts": {SITE: ["gate-1"]}}}


def add_staff(accounts) -> None:
    """One account per role, named after it; the admin sees every site (the quarantine is theirs)."""
    for role in ROLES:
        if accounts.get_user(role) is None:
            accounts.add_user(role, PASSWORD, role, ["*"] if role == "admin" else [SITE], role.title())


def client(app, role: str) -> TestClient:
    c = TestClient(app)
    r = c.post("/api/v1/auth/login", json={"username": role, "password": PASSWORD, "token": True})
    assert r.status_code == 200, r.text
    c.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return c


class Edge:
    """Events of one edge device, in its seq order, ingested as MQTT batches."""

    def __init__(self, store, device: str, site: str = SITE) -> None:
        self.store, self.device, self.site = store, device, site
        self.seq = itertools.count(1)

    def emit(self, type_: str, payload: dict[str, Any], at: datetime | None = None) -> str:
        event = make_event(parse_event_payload(type_, payload), site=self.site, device=self.device,
                           seq=next(self.seq), tz=TZ, occurred_at=at or datetime.now(UTC))
        result = self.store.ingest([(topics.topic(self.site, self.device, topics.EVENTS),
                                     encode_batch([event.to_wire()]))])
        assert result.rejected == 0, result
        return event.id


def night() -> datetime:
    """22:00 at the site last night (in the night register)."""
    local = datetime.now(UTC).astimezone(__import__("zoneinfo").ZoneInfo(TZ)).replace(hour=22, minute=0, second=0,
                                                                                      microsecond=0)
    return (local - timedelta(days=1)).astimezone(UTC)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class Seeded:
    """The ids the walk fills path parameters from."""
    ticket_id: str = ""
    mail_ticket_id: str = ""
    claim_token: str = ""
    attachment_id: str = ""
    visitor_link: str = ""
    commands: dict[str, str] = field(default_factory=dict)   # command type -> id
    privacy_request: str = ""


def _call(desk_edge: Edge) -> str:
    call_id = new_id()
    caller = {"call_id": call_id, "number": PHONE, "number_raw": PHONE, "name": NAME, "unit": UNIT,
              "resident_name": NAME}
    at = night()
    desk_edge.emit("call.ringing", {**caller, "ring": 1, "cadence": "cn", "caller_id_received": True}, at)
    desk_edge.emit("call.answered", {**caller, "by": "agent", "ring": 2}, at)
    desk_edge.emit("call.transcribed", {"job_id": f"j-{call_id}", "text": TRANSCRIPT, "outcome": "text",
                                        "confidence": 0.9, "model": "test", "language": "zh", "audio_s": 4.0,
                                        "call_id": call_id, "category": "inquiry", "category_basis": "keywords"}, at)
    desk_edge.emit("note.transcribed", {"job_id": f"n-{call_id}", "text": NOTE, "outcome": "text", "confidence": 0.9,
                                        "model": "test", "language": "zh", "audio_s": 2.0, "call_id": call_id}, at)
    desk_edge.emit("call.ended", {**caller, "outcome": "message", "rings": 2, "reason": "hangup",
                                  "duration_s": 30.0}, at)
    return call_id


def _edge_events(store) -> None:
    """Visits, a card scan, a kiosk's badge request and an edge's answer: personal data nested at
    several depths of the payloads."""
    kiosk, gate = Edge(store, "kiosk-1"), Edge(store, "gate-1")
    kiosk.emit("visitor.checked_in", {"visit_id": "v-1", "method": "walk_in", "visitor_name": NAME,
                                      "host_unit": "2-101", "post_role": "kiosk", "phone": PHONE,
                                      "phone_masked": mask_phone(PHONE), "purpose": f"送文件给{UNIT}",
                                      "checkout_code": "CO-1"}, night())
    kiosk.emit("print.requested", {"kind": "badge", "data": {"display_name": NAME, "host_unit": "2-101",
                                                             "checkout_code": "CO-1", "visitor": {"phone": PHONE}}})
    gate.emit("card.scanned", {"card_id": "C0001234", "raw": "C0001234", "reader": "usb", "decision": "allow",
                               "reason": "ok", "direction": "in", "post_role": "gate", "holder": NAME, "unit": UNIT})
    gate.emit("command.applied", {"command_id": new_id(), "command_type": "cards.allowlist.replace",
                                  "status": "applied", "result": {"changed": [{"holder": NAME, "phone": PHONE}]}})


def _commands(app, seeded: Seeded) -> None:
    manager, guard = client(app, "manager"), client(app, "guard")
    r = manager.put(f"/api/v1/sites/{SITE}/directory",
                    json={"entries": [{"unit": UNIT, "name": NAME, "phone": PHONE}, {"unit": "2-101", "name": "邻居"}]})
    assert r.status_code == 200, r.text
    r = manager.post(f"/api/v1/sites/{SITE}/directory/push", json={"devices": ["desk-1"]})
    assert r.status_code == 201, r.text
    seeded.commands["directory.replace"] = r.json()[0]["id"]
    sends = {
        "cards.allowlist.replace": (manager, "gate-1", {"version": 1, "entries": [
            {"card_id": "C0001234", "holder": NAME, "unit": UNIT}]}),
        "blocklist.replace": (manager, "desk-1", {"numbers": [PHONE]}),
        "print.slip": (guard, "kiosk-1", {"job_id": "badge-1", "kind": "badge", "data": {
            "display_name": NAME, "host_unit": UNIT, "checkout_code": "CO-2", "purpose": f"探访{UNIT}"}}),
        "passes.revoke": (guard, "gate-1", {"pass_ids": ["p-1"], "reason": "lost"}),
    }
    for type_, (who, device, payload) in sends.items():
        r = who.post(f"/api/v1/sites/{SITE}/commands", json={"device": device, "type": type_, "payload": payload})
        assert r.status_code == 201, r.text
        seeded.commands[type_] = r.json()["id"]


def _tickets(app, seeded: Seeded) -> None:
    desk, guard, tech = client(app, "desk"), client(app, "guard"), client(app, "technician")
    r = desk.post("/api/v1/tickets", json={"site": SITE, "kind": "repair", "title": "厨房水管漏水", "unit": UNIT,
                                           "contact_name": NAME, "contact_phone": PHONE, "details": DETAILS})
    assert r.status_code == 201, r.text
    seeded.ticket_id = tid = r.json()["id"]
    wo = desk.post(f"/api/v1/tickets/{tid}/work-order", json={"device": "desk-1"})
    assert wo.status_code == 200, wo.text
    seeded.commands["print.slip/workorder"] = wo.json()["command"]["id"]
    claim_code = wo.json()["command"]["payload"]["data"]["claim_code"]
    seeded.claim_token = urlsplit(claim_code).path.rpartition("/w/")[2]
    r = tech.post(f"/api/v1/tickets/{tid}/claim", json={"note": NOTE})
    assert r.status_code == 200, r.text
    r = tech.post(f"/api/v1/tickets/{tid}/photos", files={"photo": ("p.jpg", jpeg(), "image/jpeg")},
                  data={"note": NOTE})
    assert r.status_code == 201, r.text
    seeded.attachment_id = r.json()["attachment"]["id"]
    r = guard.post("/api/v1/tickets", json={"site": SITE, "kind": "mail", "title": "EMS 挂号信", "unit": UNIT,
                                            "contact_name": NAME, "contact_phone": PHONE})
    assert r.status_code == 201, r.text
    seeded.mail_ticket_id = r.json()["id"]
    # A correction: the resident's details nested in ticket.updated's `fields`.
    r = desk.patch(f"/api/v1/tickets/{seeded.mail_ticket_id}", json={"details": DETAILS, "note": NOTE})
    assert r.status_code == 200, r.text


def _residents(app, seeded: Seeded) -> None:
    desk = client(app, "desk")
    start = datetime.now(UTC)
    r = desk.post(f"/api/v1/sites/{SITE}/invitations",
                  json={"unit": UNIT, "visitor_name": NAME, "visitor_phone": PHONE, "valid_from": start.isoformat(),
                        "valid_until": (start + timedelta(hours=4)).isoformat()})
    assert r.status_code == 201, r.text
    seeded.visitor_link = urlsplit(r.json()["link"]).path.rpartition("/")[2]
    # A resident asking for a sign-in code: the desk's list of waiting requests holds the number.
    r = TestClient(app).post(f"/api/v1/sites/{SITE}/resident/code", json={"phone": PHONE})
    assert r.status_code == 202, r.text


def _quarantined(store) -> None:
    """An event ingest refuses, whose reason quotes the number it refused."""
    bad = {"id": new_id(), "site": SITE, "device": "desk-1", "seq": 999, "type": "call.ringing", "schema_version": 1,
           "occurred_at": datetime.now(UTC).isoformat(), "tz": TZ,
           "payload": {"call_id": "c", "number": PHONE * 4, "ring": 1, "cadence": "cn", "caller_id_received": True}}
    store.ingest([(topics.topic(SITE, "desk-1", topics.EVENTS), encode_batch([bad]))])


def seed(app, store) -> Seeded:
    """The resident everywhere; the ids of what was made."""
    add_staff(app.state.accounts)
    seeded = Seeded()
    _call(Edge(store, "desk-1"))
    _edge_events(store)
    _commands(app, seeded)
    _tickets(app, seeded)
    _residents(app, seeded)
    _quarantined(store)
    # someone else's erasure request (erasing the seeded resident would leave nothing to walk)
    seeded.privacy_request = client(app, "admin").post("/api/v1/privacy/erase", json={
        "phone": "13700000001", "site": SITE}).json()["request_id"]
    return seeded
