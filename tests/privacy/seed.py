"""One resident's data in every central table (and a namesake's, and a neighbour's): what the
privacy tests erase, retain and find."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from frontdesk import topics
from frontdesk.central.directory.residents import phone_key
from frontdesk.central.fleet.tables import fleet_devices
from frontdesk.central.residents.codes import phone_hash
from frontdesk.central.residents.tables import (
    resident_attempts,
    resident_code_requests,
    resident_codes,
    resident_invitations,
    resident_locks,
    resident_sessions,
)
from frontdesk.central.tickets.tables import ticket_attachments
from frontdesk.ids import new_id
from frontdesk.schema.call import DirectoryEntry, DirectoryReplace
from frontdesk.schema.printing import PrintSlip
from frontdesk.schema.tickets import TicketAssigned

from ..central.helpers import SITE, Edge, call_events


@dataclass(frozen=True)
class Person:
    phone: str          # as the edges send it
    typed: str          # as somebody typed it at the desk
    name: str
    unit: str
    card: str
    visit: str
    slug: str           # names their edges


ZHANG = Person("+8613812345678", "138-1234-5678", "张三", "3-201", "CARD-A1B2", "visit-zhang", "a")
# Same name, another unit: another person.
NAMESAKE = Person("+8613987654321", "139 8765 4321", "张三", "9-901", "CARD-C3D4", "visit-namesake", "b")
# Same unit, another name and number: another person.
NEIGHBOUR = Person("+8613700001111", "137 0000 1111", "李四", "3-201", "CARD-E5F6", "visit-neighbour", "c")
PEOPLE = (ZHANG, NAMESAKE, NEIGHBOUR)


def register_device(central, device: str, role: str = "desk", site: str = SITE) -> None:
    """A registered, active device of the site (as `frontdesk central device add` leaves it)."""
    with central.store.engine.begin() as conn:
        conn.execute(insert(fleet_devices).values(site=site, device=device, role=role, state="active",
                                                  created_at=datetime.now(UTC)))


def _events(central, p: Person, at: datetime | None) -> dict[str, Any]:
    desk, kiosk = Edge(central.store, device=f"desk-{p.slug}"), Edge(central.store, device=f"kiosk-{p.slug}")
    call_id = new_id()
    desk.send(*call_events(desk, call_id, number=p.phone, name=p.name, unit=p.unit, at=at,
                           text=f"我是{p.name}，{p.unit} 厨房漏水，电话 {p.typed}"))
    desk.emit("note.transcribed", {"job_id": "n-" + call_id, "text": f"{p.name} 要求明天上午来", "outcome": "text",
                                   "confidence": 0.8, "model": "t", "language": "zh", "audio_s": 2.0,
                                   "call_id": call_id}, at)
    desk.emit("desk.note", {"text": f"{p.name} 来电 {p.typed}", "unit": p.unit}, at)
    kiosk.emit("visitor.checked_in", {"visit_id": p.visit, "method": "walk_in", "visitor_name": p.name,
                                      "host_unit": p.unit, "post_role": "kiosk", "phone": p.typed,
                                      "purpose": f"探访 {p.name}", "checkout_code": p.visit}, at)
    kiosk.emit("print.requested", {"kind": "badge", "data": {
        "visit": {"visitor_name": p.name, "host": {"host_unit": p.unit}},
        "lines": [{"text": f"访客 {p.name}"}, {"text": f"电话 {p.typed}"}, {"text": "请佩戴"}]}}, at)
    kiosk.emit("card.scanned", {"card_id": p.card, "raw": p.card, "reader": "evdev:/dev/input/x", "decision": "allow",
                                "reason": "ok", "direction": "in", "post_role": "kiosk", "holder": p.name,
                                "unit": p.unit}, at)
    return {"call_id": call_id, "desk": desk, "kiosk": kiosk}


def _residents(central, p: Person) -> None:
    key, now = phone_key(p.phone), datetime.now(UTC)
    with central.store.engine.begin() as conn:
        conn.execute(insert(resident_codes).values(site=SITE, phone_key=key, code_hash="0" * 64, salt="s",
                                                   created_at=now, expires_at=now, made_by="desk"))
        conn.execute(insert(resident_code_requests).values(site=SITE, phone=p.typed, phone_key=key, units=[p.unit],
                                                           requested_at=now))
        conn.execute(insert(resident_attempts).values(site=SITE, kind="request", phone_hash=phone_hash(SITE, key),
                                                      client="127.0.0.1", at=now))
        conn.execute(insert(resident_locks).values(site=SITE, scope="phone", subject=phone_hash(SITE, key),
                                                   until=now + timedelta(minutes=5)))
        conn.execute(insert(resident_sessions).values(id=hashlib.sha256(p.slug.encode()).hexdigest(), site=SITE,
                                                      phone_key=key, units=[p.unit], csrf="c", created_at=now,
                                                      expires_at=now + timedelta(hours=1)))
        conn.execute(insert(resident_invitations).values(
            id=new_id(), site=SITE, unit=p.unit, pass_id=new_id(),
            link_hash=hashlib.sha256(p.visit.encode()).hexdigest(),
            visitor_name=p.name, visitor_phone=p.typed, valid_from=now, valid_until=now + timedelta(hours=4),
            created_at=now, made_by_kind="resident", made_by=key))


def seed_person(central, p: Person, at: datetime | None = None) -> dict[str, Any]:
    """Everything central can hold of `p`; returns their call id, ticket id and edges."""
    made = _events(central, p, at)
    ticket = central.tickets.ticket_of_call(central.tickets.call_line(made["call_id"]))
    central.tickets.change(TicketAssigned(ticket_id=ticket["id"], by="desk", assignee="wang",
                                          note=f"联系 {p.name} {p.typed}"))
    store = central.store
    store.create_command(SITE, "desk-1", PrintSlip(kind="workorder", job_id="wo-" + p.slug, data={
        "caller_name": p.name, "caller_phone": p.typed, "building": p.unit.split("-")[0],
        "unit": p.unit.split("-")[1], "content": "厨房漏水"}))
    store.quarantine(topics.topic(SITE, "kiosk-1", topics.EVENTS),
                     json.dumps({"v": 1, "items": [{"bad": {"visitor_name": p.name, "host_unit": p.unit,
                                                            "phone": p.phone}}]}, ensure_ascii=True).encode(),
                     "test: not an event")
    store.quarantine(topics.topic(SITE, "kiosk-1", topics.EVENTS),
                     b"\xff\xfe not json " + p.phone.encode() + b" " + p.card.encode(), "test: unreadable")
    with store.engine.begin() as conn:
        conn.execute(insert(ticket_attachments).values(
            id=new_id(), ticket_id=ticket["id"], site=SITE, kind="signature", mime="image/png",
            data=b"PNG-SIGNATURE-OF-" + p.typed.encode(), size=20, sha256="0" * 64, width=1, height=1, by="tech",
            created_at=datetime.now(UTC), event_id=new_id()))
    _residents(central, p)
    central.accounts.audit(central.accounts.get_user(central.user("desk")), "read", "call", made["call_id"], SITE,
                           {"looked_up": p.typed})
    return {**made, "ticket_id": ticket["id"]}


def seed_everyone(central) -> dict[str, dict[str, Any]]:
    """All three people, the directory with their lines, and a directory push to desk-1."""
    out = {p.card: seed_person(central, p) for p in PEOPLE}
    admin = central.client("admin")
    r = admin.put(f"/api/v1/sites/{SITE}/directory", json={"entries": [
        {"unit": p.unit, "name": p.name, "phone": p.typed} for p in PEOPLE]})
    assert r.status_code == 200, r.text
    central.store.create_command(SITE, "desk-1", DirectoryReplace(entries=[
        DirectoryEntry(number=p.phone, unit=p.unit, name=p.name) for p in PEOPLE]))
    return out
