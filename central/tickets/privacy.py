"""Residents' personal data: anonymising old visit records, and erasing one person on request.

Both change the read models and also the stored events that carry the same data (the events
are otherwise immutable, but a person's right to erasure outweighs that): matching string values
in those events' payloads are replaced, nothing else is touched.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Text, and_, cast, or_, select, update

from frontdesk.schema.access import VisitorCheckedIn, VisitorCheckedOut
from frontdesk.schema.tickets import TicketOpened

from ..store import Store
from ..tables import events
from .tables import calls, tickets, visits

ANONYMISED = "(anonymised)"
ERASED = "(erased)"
VISIT_PERSONAL = ("visitor_name", "phone", "phone_masked", "purpose")
# Payload keys that hold a person's number or name (call, visit and ticket events).
PERSON_KEYS = {"number", "number_raw", "name", "resident_name", "phone", "phone_masked", "contact_phone",
               "contact_name", "visitor_name"}


def _redact(value: Any, targets: set[str], replacement: str) -> Any:
    if isinstance(value, str):
        return replacement if value in targets else value
    if isinstance(value, dict):
        return {k: _redact(v, targets, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, targets, replacement) for v in value]
    return value


def anonymise_visits(store: Store, retention_days: int, now: datetime | None = None, batch: int = 1000) -> int:
    """Visits first seen more than `retention_days` ago lose the visitor's personal data."""
    if retention_days <= 0:
        return 0
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=retention_days)
    done = 0
    while True:
        with store.engine.begin() as conn:
            rows = conn.execute(select(visits.c.visit_id, visits.c.ticket_id, visits.c.visitor_name, visits.c.phone)
                                .where(visits.c.first_seen_at < cutoff, visits.c.anonymised_at.is_(None))
                                .limit(batch)).mappings().all()
            if not rows:
                return done
            ids = [r["visit_id"] for r in rows]
            conn.execute(update(visits).where(visits.c.visit_id.in_(ids))
                         .values(visitor_name=ANONYMISED, phone=None, phone_masked=None, purpose=None,
                                 anonymised_at=now))
            tids = [r["ticket_id"] for r in rows if r["ticket_id"]]
            if tids:
                conn.execute(update(tickets).where(tickets.c.id.in_(tids))
                             .values(contact_name=ANONYMISED, contact_phone=None, details=None))
            for ev in conn.execute(select(events.c.id, events.c.payload).where(
                    events.c.type.in_([VisitorCheckedIn.TYPE, VisitorCheckedOut.TYPE, TicketOpened.TYPE]),
                    events.c.occurred_at < cutoff + timedelta(days=1))).mappings():
                new = _anonymised_visit_payload(ev["payload"], set(ids))
                if new is not None:
                    conn.execute(update(events).where(events.c.id == ev["id"]).values(payload=new))
            done += len(rows)


def _anonymised_visit_payload(p: dict[str, Any], visit_ids: set[str]) -> dict[str, Any] | None:
    """The payload of a visit's event (check-in, check-out, or the ticket.opened the check-in
    made) without the visitor's personal data; None if it is not one of `visit_ids`' events."""
    if p.get("visit_id") in visit_ids:
        return {k: (None if k in ("phone", "phone_masked", "purpose") else ANONYMISED)
                if k in VISIT_PERSONAL and p.get(k) is not None else v for k, v in p.items()}
    if p.get("source") == "kiosk" and p.get("source_ref") in visit_ids:
        return {**p, "contact_name": ANONYMISED, "contact_phone": None, "details": None}
    return None


def erase_person(store: Store, sites: tuple[str, ...] | None, *, phone: str | None = None,
                 name: str | None = None, unit: str | None = None) -> dict[str, int]:
    """Erase one resident: every record with their phone number, and records naming them in
    their unit. Other people's records (another number, the same name in another unit) stay."""
    if not phone and not (name and unit):
        raise ValueError("give the phone number, or the name together with the unit")
    counts = {"tickets": 0, "calls": 0, "visits": 0, "events": 0}
    targets = {x for x in (phone, name) if x}
    with store.engine.begin() as conn:
        def scoped(q, col):
            return q.where(col.in_(sites)) if sites is not None else q

        t_cond = []
        if phone:
            t_cond.append(tickets.c.contact_phone == phone)
        if name and unit:
            t_cond.append(and_(tickets.c.contact_name == name, tickets.c.unit == unit))
        counts["tickets"] = conn.execute(scoped(update(tickets).where(or_(*t_cond)), tickets.c.site)
                                         .values(contact_phone=None, contact_name=ERASED)).rowcount
        c_cond = []
        if phone:
            c_cond += [calls.c.number == phone, calls.c.number_raw == phone]
        if name and unit:
            c_cond.append(and_(or_(calls.c.resident_name == name, calls.c.caller_name == name), calls.c.unit == unit))
        counts["calls"] = conn.execute(scoped(update(calls).where(or_(*c_cond)), calls.c.site)
                                       .values(number=None, number_raw=None, caller_name=None,
                                               resident_name=None, transcript=None, notes=None)).rowcount
        v_cond = [visits.c.phone == phone] if phone else []
        if name and unit:
            v_cond.append(and_(visits.c.visitor_name == name, visits.c.host_unit == unit))
        counts["visits"] = conn.execute(scoped(update(visits).where(or_(*v_cond)), visits.c.site)
                                        .values(visitor_name=ERASED, phone=None, phone_masked=None)).rowcount
        counts["events"] = _erase_in_events(conn, sites, phone, name, unit, targets)
    return counts


def _erase_in_events(conn: Connection, sites, phone, name, unit, targets: set[str]) -> int:
    needles = [x for x in (phone, name) if x]
    # JSON columns may hold non-ASCII text \u-escaped (PostgreSQL keeps the JSON text as written)
    needles += [json.dumps(x)[1:-1] for x in needles if json.dumps(x)[1:-1] != x]
    q = select(events.c.id, events.c.payload).where(
        or_(*[cast(events.c.payload, Text).contains(n, autoescape=True) for n in needles]))
    if sites is not None:
        q = q.where(events.c.site.in_(sites))
    n = 0
    for ev in conn.execute(q).mappings().all():
        p = ev["payload"]
        text_values = set(_strings(p))
        if phone and phone in text_values:
            hit = True
        else:
            # a name alone is only this person's within their unit
            units = {p.get("unit"), p.get("host_unit")}
            hit = bool(name) and name in text_values and unit in units
        if hit:
            # the matched record is this person's: its contact fields go too, whatever they hold
            cleaned = {k: (ERASED if k in PERSON_KEYS and isinstance(v, str) else v)
                       for k, v in _redact(p, targets, ERASED).items()}
            conn.execute(update(events).where(events.c.id == ev["id"]).values(payload=cleaned))
            n += 1
    return n


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
