"""Erasing one person from central's store, in one transaction.

The events are otherwise immutable; a person's right to erasure outweighs that: matching values in
their payloads are replaced (matching.py says what matches), and the read models built from them
are changed the same way, so a rebuild from the events gives the same erased rows.

Every table central has (grep `Table(` under central/), and why it is or is not touched:

  events               touched: every payload naming the person (any depth, lists too), and every
                       event of their calls, visits and tickets (links); transcript text goes whole
  tickets              touched: contact name and phone; the person's number and name leave title and
                       details (the row stays: statistics count it)
  ticket_history       touched: notes and details of the person's tickets; their number elsewhere
  parked_events        not touched: only (event id, ticket id, time); the events they point at are erased
  calls                touched: number, raw number, caller-ID and resident names, transcript, notes
  visits               touched: visitor name, phone (and masked phone), purpose
  ticket_counters      not touched: numbers per site, kind and day; nobody's data
  link_keys            not touched: central's signing keys for claim links
  ticket_attachments   touched: the photos and signatures of the person's tickets are deleted (the
                       ticket.attachment_added events keep only a sha256)
  commands             touched: body payload and result (directory pushes, work-order slips, card
                       lists); a pending one that carried the person is withdrawn (its signature no
                       longer fits). privacy.erase commands keep their subject until answered
                       (edges.py scrubs them then)
  quarantine           touched: raw bytes decoded and redacted; a row that cannot be redacted
                       safely (not UTF-8, or the needle survives) is deleted
  quarantine_quota     not touched: counts per sending device
  directory            touched: the person's lines are deleted
  resident_codes, resident_code_requests, resident_sessions
                       touched: rows of the person's phone key are deleted (signs them out)
  resident_attempts, resident_locks
                       touched: rows of the hash of the person's number are deleted
  resident_invitations touched: invitations for the person lose visitor name and phone; those the
                       person made lose who made them
  audit_log            touched: lines quoting the person lose it; the erasure itself is logged without
                       identifiers (requests.py)
  users, sessions      not touched: staff accounts, not residents
  fleet_sites, fleet_devices, fleet_credentials
                       not touched: sites and devices
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, Text, cast, delete, false, or_, select, update

from frontdesk.schema.privacy import Subject

from ..auth.tables import audit_log
from ..directory.tables import directory
from ..residents.codes import phone_hash
from ..residents.tables import (
    resident_attempts,
    resident_code_requests,
    resident_codes,
    resident_invitations,
    resident_locks,
    resident_sessions,
)
from ..store import Store
from ..tables import commands, events
from ..tickets.tables import calls, ticket_attachments, ticket_history, tickets, visits
from .matching import ERASED, PERSON_KEYS, Matcher, Redaction, redact
from .quarantine import erase_in_quarantine

Sites = tuple[str, ...] | None
PAGE = 500
# Events whose text is what somebody said: the person's go whole, not word by word.
TRANSCRIPT_TYPES = ("call.transcribed", "note.transcribed")
TRANSCRIPT_KEYS = PERSON_KEYS | {"text", "transcript", "notes", "purpose", "content"}
# A command carrying the subject on purpose until it is answered.
ERASE_COMMAND = "privacy.erase"


def text_matches(m: Matcher, *columns: ColumnElement[Any]) -> ColumnElement[bool]:
    """SQL that is true where any column's text may hold the subject (a superset: the caller confirms
    each row with the matcher). Wildcards and quotes in a name are plain text (autoescape)."""
    conds: list[ColumnElement[bool]] = []
    pattern, tail = m.like_pattern(), m.tail()
    for col in columns:
        text = cast(col, Text)
        if pattern and tail:
            conds.append(text.contains(tail) & text.like(pattern))  # the cheap test first (Matcher.tail)
        elif pattern:
            conds.append(text.like(pattern))
        conds += [text.contains(n, autoescape=True) for n in m.needles()]
    return or_(*conds) if conds else false()


def paged(conn: Connection, table: Table, key: Any, cols: list[Any], cond: ColumnElement[bool]) -> Iterator[Any]:
    """Rows matching `cond`, PAGE at a time in key order (so updates while reading are safe)."""
    last = None
    while True:
        q = select(key, *cols).where(cond).order_by(key).limit(PAGE)
        if last is not None:
            q = q.where(key > last)
        rows = conn.execute(q).all()
        yield from rows
        if len(rows) < PAGE:
            return
        last = rows[-1][0]


def _scoped(col: Any, sites: Sites) -> ColumnElement[bool]:
    return col.in_(sites) if sites is not None else col.is_not(None)


def _same_unit(m: Matcher, unit: str | None) -> bool:
    return m.unit is not None and unit is not None and unit.strip().casefold() == m.unit


def _name_is(m: Matcher, *values: str | None) -> bool:
    return m.name is not None and any(v is not None and v.strip() == m.name for v in values)


class Erasure:
    """One person's erasure at central; `counts` says how many rows each table had changed."""

    def __init__(self, conn: Connection, subject: Subject, sites: Sites, request_id: str) -> None:
        self.conn, self.sites, self.request_id = conn, sites, request_id
        self.m = Matcher.of(subject)
        self.counts: Counter[str] = Counter()
        self.tickets: set[str] = set()

    def run(self) -> dict[str, int]:
        """Erase everywhere (see the module docstring); the counts per table."""
        self._expand_visit()
        self._calls()
        self._visits()
        self._tickets()
        self._history()
        self._events()
        self._commands()
        self.counts.update(erase_in_quarantine(self.conn, self.m, self.sites))
        self._directory()
        self._residents()
        self._invitations()
        self._attachments()
        self._audit()
        return {k: v for k, v in sorted(self.counts.items()) if v}

    # -- the registers and tickets ------------------------------------------------------------------

    def _expand_visit(self) -> None:
        """A visit id names its visitor: their number and name (within the host unit) count too."""
        if not self.m.visit_id:
            return
        row = self.conn.execute(select(visits.c.phone, visits.c.visitor_name, visits.c.host_unit).where(
            visits.c.visit_id == self.m.visit_id, _scoped(visits.c.site, self.sites))).first()
        self.m = self.m.with_links(self.m.visit_id)
        if row is not None:
            self.m = self.m.with_person(row.phone, row.visitor_name if row.visitor_name != ERASED else None,
                                        row.host_unit)

    def _calls(self) -> None:
        m, c = self.m, calls.c
        cond = text_matches(m, c.number, c.number_raw)
        if m.name:
            cond = or_(cond, c.resident_name == m.name, c.caller_name == m.name)
        found = []
        for row in paged(self.conn, calls, c.call_id, [c.number, c.number_raw, c.caller_name, c.resident_name,
                                                         c.unit, c.ticket_id], cond & _scoped(c.site, self.sites)):
            if m.is_phone(row.number) or m.is_phone(row.number_raw) or (
                    _name_is(m, row.caller_name, row.resident_name) and _same_unit(m, row.unit)):
                found.append(row.call_id)
                if row.ticket_id:
                    self.tickets.add(row.ticket_id)
        for call_id in found:
            self.conn.execute(update(calls).where(c.call_id == call_id).values(
                number=None, number_raw=None, caller_name=None, resident_name=None, transcript=None, notes=None))
        self.counts["calls"] += len(found)
        self.m = self.m.with_links(*found)

    def _visits(self) -> None:
        m, v = self.m, visits.c
        cond = text_matches(m, v.phone)
        if m.name:
            cond = or_(cond, v.visitor_name == m.name)
        if m.visit_id:
            cond = or_(cond, v.visit_id == m.visit_id)
        found = []
        for row in paged(self.conn, visits, v.visit_id, [v.phone, v.visitor_name, v.host_unit, v.ticket_id],
                         cond & _scoped(v.site, self.sites)):
            if row.visit_id == m.visit_id or m.is_phone(row.phone) or (
                    _name_is(m, row.visitor_name) and _same_unit(m, row.host_unit)):
                found.append(row.visit_id)
                if row.ticket_id:
                    self.tickets.add(row.ticket_id)
        for visit_id in found:
            self.conn.execute(update(visits).where(v.visit_id == visit_id).values(
                visitor_name=ERASED, phone=None, phone_masked=None, purpose=None))
        self.counts["visits"] += len(found)
        self.m = self.m.with_links(*found)

    def _tickets(self) -> None:
        m, t = self.m, tickets.c
        cond = text_matches(m, t.contact_phone, t.details, t.title)
        if m.name:
            cond = or_(cond, t.contact_name == m.name)
        links = sorted(m.links | self.tickets)
        if links:
            cond = or_(cond, t.id.in_(links), t.source_ref.in_(links))
        for row in paged(self.conn, tickets, t.id, [t.contact_phone, t.contact_name, t.unit, t.details, t.title,
                                                     t.source_ref], cond & _scoped(t.site, self.sites)):
            mine = (row.id in self.tickets or row.id in m.links or row.source_ref in m.links
                    or m.is_phone(row.contact_phone) or (_name_is(m, row.contact_name) and _same_unit(m, row.unit)))
            if mine:
                self.tickets.add(row.id)
                values: dict[str, Any] = {"contact_phone": None,
                                          "contact_name": ERASED if row.contact_name else None}
            else:
                values = {}
            name_here = mine or _same_unit(m, row.unit)
            for col in ("details", "title"):
                old = getattr(row, col)
                if old:
                    new = m.scrub_text(old, name_here=name_here)
                    if new != old:
                        values[col] = new
            if values:
                self.conn.execute(update(tickets).where(t.id == row.id).values(**values))
                self.counts["tickets"] += 1
        self.m = self.m.with_links(*self.tickets)

    def _history(self) -> None:
        h = ticket_history.c
        cond = text_matches(self.m, h.detail)
        if self.tickets:
            cond = or_(cond, h.ticket_id.in_(sorted(self.tickets)))
        for row in paged(self.conn, ticket_history, h.id, [h.ticket_id, h.detail], cond):
            out = Redaction()
            new = redact(self.m, row.detail, whole=row.ticket_id in self.tickets, full_keys=TRANSCRIPT_KEYS, out=out)
            if out.changed:
                self.conn.execute(update(ticket_history).where(h.id == row.id).values(detail=new))
                self.counts["ticket_history"] += 1

    # -- events and commands --------------------------------------------------------------------------

    def _link_cond(self, col: Any) -> ColumnElement[bool]:
        links = sorted(self.m.links)
        if not links:
            return false()
        return or_(*[col[k].as_string().in_(links) for k in ("call_id", "visit_id", "ticket_id", "source_ref")])

    def _events(self) -> None:
        e = events.c
        cond = or_(text_matches(self.m, e.payload), self._link_cond(e.payload)) & _scoped(e.site, self.sites)
        for row in paged(self.conn, events, e.id, [e.type, e.payload], cond):
            out = Redaction()
            keys = TRANSCRIPT_KEYS if row.type in TRANSCRIPT_TYPES else PERSON_KEYS
            new = redact(self.m, row.payload, full_keys=keys, out=out)
            if out.changed:
                self.conn.execute(update(events).where(e.id == row.id).values(payload=new))
                self.counts["events"] += 1

    def _commands(self) -> None:
        c = commands.c
        cond = (or_(text_matches(self.m, c.body, c.result, c.detail)) & (c.type != ERASE_COMMAND)
                & _scoped(c.site, self.sites))
        for row in paged(self.conn, commands, c.id, [c.body, c.result, c.detail, c.state], cond):
            out = Redaction()
            body = {**row.body, "payload": redact(self.m, row.body.get("payload"), out=out)}
            result = redact(self.m, row.result, out=out) if row.result is not None else None
            detail = self.m.scrub_text(row.detail, name_here=False) if row.detail else row.detail
            if not out.changed and detail == row.detail:
                continue
            values: dict[str, Any] = {"body": body, "result": result, "detail": detail}
            if row.state == "pending":
                # A pending command changed here would reach the edge with a signature that no longer
                # fits: it is withdrawn instead (a directory or card list is pushed again whole).
                values.update(state="rejected", detail=f"withdrawn: it carried personal data erased by "
                                                       f"privacy request {self.request_id}")
                self.counts["commands_withdrawn"] += 1
            self.conn.execute(update(commands).where(c.id == row.id).values(**values))
            self.counts["commands"] += 1

    # -- the directory and the residents' sign-in --------------------------------------------------

    def _directory(self) -> None:
        m, d = self.m, directory.c
        cond = d.phone_key == m.key if m.key else false()
        if m.name:
            cond = or_(cond, d.name == m.name)
        gone = [r.id for r in self.conn.execute(select(d.id, d.phone_key, d.name, d.unit).where(
            cond, _scoped(d.site, self.sites)))
            if (m.key and r.phone_key == m.key) or (_name_is(m, r.name) and _same_unit(m, r.unit))]
        if gone:
            self.conn.execute(delete(directory).where(d.id.in_(gone)))
        self.counts["directory"] += len(gone)

    def _residents(self) -> None:
        key = self.m.key
        if key is None:
            return
        for table in (resident_codes, resident_code_requests, resident_sessions):
            n = self.conn.execute(delete(table).where(table.c.phone_key == key,
                                                      _scoped(table.c.site, self.sites))).rowcount
            self.counts[table.name] += n
        sites = self.sites or tuple(self.conn.execute(
            select(resident_attempts.c.site).union(select(resident_locks.c.site))).scalars())
        hashes = [phone_hash(site, key) for site in sites]
        if hashes:
            self.counts["resident_attempts"] += self.conn.execute(delete(resident_attempts).where(
                resident_attempts.c.phone_hash.in_(hashes))).rowcount
            self.counts["resident_locks"] += self.conn.execute(delete(resident_locks).where(
                resident_locks.c.scope == "phone", resident_locks.c.subject.in_(hashes))).rowcount

    def _invitations(self) -> None:
        m, i = self.m, resident_invitations.c
        cond = text_matches(m, i.visitor_phone)
        if m.name:
            cond = or_(cond, i.visitor_name == m.name)
        if m.key:
            cond = or_(cond, (i.made_by_kind == "resident") & (i.made_by == m.key))
        for row in paged(self.conn, resident_invitations, i.id,
                         [i.visitor_phone, i.visitor_name, i.unit, i.made_by_kind, i.made_by],
                         cond & _scoped(i.site, self.sites)):
            values: dict[str, Any] = {}
            if m.is_phone(row.visitor_phone) or (_name_is(m, row.visitor_name) and _same_unit(m, row.unit)):
                values.update(visitor_name=ERASED, visitor_phone=None)
            if m.key and row.made_by_kind == "resident" and row.made_by == m.key:
                values["made_by"] = ERASED
            if values:
                self.conn.execute(update(resident_invitations).where(i.id == row.id).values(**values))
                self.counts["resident_invitations"] += 1

    def _attachments(self) -> None:
        if not self.tickets:
            return
        a = ticket_attachments.c
        self.counts["ticket_attachments"] += self.conn.execute(delete(ticket_attachments).where(
            a.ticket_id.in_(sorted(self.tickets)))).rowcount

    def _audit(self) -> None:
        a = audit_log.c
        cond = text_matches(self.m, a.detail, a.entity_id)
        if self.sites is not None:
            cond = cond & a.site.in_(self.sites)
        for row in paged(self.conn, audit_log, a.id, [a.entity_id, a.detail], cond):
            out = Redaction()
            # An audit line has no unit to judge a name by, and should hold no resident's name at all.
            new = redact(self.m, {"entity_id": row.entity_id, "detail": row.detail}, units={self.m.unit or ""},
                         out=out)
            if out.changed:
                self.conn.execute(update(audit_log).where(a.id == row.id).values(
                    entity_id=new["entity_id"], detail=new["detail"]))
                self.counts["audit_log"] += 1


def with_directory(store: Store, subject: Subject, sites: Sites) -> Subject:
    """`subject` with the name and unit the site's resident directory lists for its number, when
    it gives none itself. A request by phone alone would otherwise leave the resident's name in the
    prose of the very records it erased ("我是张三，3-201 厨房漏水"), at central and on the edges. Only
    when the directory gives exactly one person for the number: a shared family line names nobody
    in particular. Looked up once, before anything is erased (the entry goes with the erasure), and
    sent to the edges as part of the subject."""
    if subject.name or not subject.phone:
        return subject
    key = Matcher.of(subject).key
    d = directory.c
    with store.engine.connect() as conn:
        people = {(r.name, r.unit) for r in conn.execute(select(d.name, d.unit).where(
            d.phone_key == key, _scoped(d.site, sites))) if r.name and r.name != ERASED}
    if len(people) != 1:
        return subject
    name, unit = people.pop()
    return subject.model_copy(update={"name": name, "unit": unit})


def erase_person(store: Store, subject: Subject, sites: Sites, request_id: str) -> dict[str, int]:
    """Erase one person at central (one transaction); the number of rows changed per table.
    ValueError if the subject cannot be matched (a phone number with fewer than 3 digits)."""
    with store.engine.begin() as conn:
        return Erasure(conn, subject, sites, request_id).run()
