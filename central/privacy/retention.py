"""Retention at central: each kind of personal data (frontdesk.schema.privacy.RETENTION_KINDS) loses
its personal fields once older than its site's period ([privacy] in the central TOML, settings.py).

  visits       visit rows keep their times, unit and method (the registers and monthly statistics
               count them) and lose visitor name, phone, purpose; so do their events and the visit's
               ticket contact (as before, when this was [tickets] visit_retention_days)
  calls        call rows keep times, unit, outcome, category and lose number, raw number and names;
               so do the call.* events
  transcripts  the transcript and dictated notes leave call rows; the text leaves call.transcribed and
               note.transcribed events and the notes in ticket histories
  commands     answered commands (applied or rejected) lose their body's payload. They are kept, not
               deleted: the delivery record (what was sent where, when it was applied) is what the
               desk and an audit ask about later, and retention.set / privacy.erase bookkeeping reads
               them (those two carry no personal data once answered and keep their bodies)
  print_jobs   print.slip commands (work-order slips) answered, and print.requested events (badges),
               lose the slip's data
  quarantine   rows received longer ago are deleted (kept for inspection only; nothing replays them)
  recordings   nothing at central: the audio stays on the edges (retention.set tells them)

Each kind runs per site: the default period for every site without its own, then each site's own.
Rows are done in batches of BATCH, each batch its own transaction, and every update removes the rows
from what the next batch selects, so a round ends and a second round finds nothing.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, or_, select, update

from frontdesk import topics

from ..store import Store
from ..tables import commands, events, quarantine
from ..tickets.tables import calls, ticket_history, tickets, visits
from .settings import PrivacyConfig
from .storage import compact

log = logging.getLogger(__name__)

ANONYMISED = "(anonymised)"
REMOVED = {"removed": "retention"}
BATCH = 500
VISIT_EVENTS = ("visitor.checked_in", "visitor.checked_out")
TRANSCRIPT_EVENTS = ("call.transcribed", "note.transcribed")
PRINT_COMMANDS = ("print.slip",)
# Commands whose bodies hold no personal data once answered, and that later decisions read.
KEEP_COMMANDS = ("retention.set", "privacy.erase", "command_keys.update", "edge.ping")
CALL_PERSONAL = ("number", "number_raw", "name", "resident_name")

Where = Callable[[Any], ColumnElement[bool]]


def _periods(config: PrivacyConfig, kind: str) -> Iterator[tuple[Where, int, str]]:
    """(site condition on a site column, days, label) for the default and each site's own period."""
    own = {site: getattr(p, kind) for site, p in config.sites.items() if getattr(p, kind) is not None}
    default = getattr(config, kind)
    yield (lambda col: col.not_in(sorted(own))) if own else (lambda col: col.is_not(None)), default, "default"
    for site, days in sorted(own.items()):
        yield _site_is(site), days, site


def _site_is(site: str) -> Where:
    return lambda col: col == site


def _bound(step: Callable[..., int], where: Where, cutoff: datetime, now: datetime) -> Callable[[Connection], int]:
    return lambda conn: step(conn, where, cutoff, now)


def _batches(store: Store, step: Callable[[Connection], int]) -> int:
    total = 0
    while True:
        with store.engine.begin() as conn:
            n = step(conn)
        total += n
        if n < BATCH:
            return total


def _visits(conn: Connection, where: Where, cutoff: datetime, now: datetime) -> int:
    v = visits.c
    rows = conn.execute(select(v.visit_id, v.ticket_id).where(
        v.first_seen_at < cutoff, v.anonymised_at.is_(None), where(v.site)).limit(BATCH)).all()
    if not rows:
        return 0
    ids = [r.visit_id for r in rows]
    conn.execute(update(visits).where(v.visit_id.in_(ids)).values(
        visitor_name=ANONYMISED, phone=None, phone_masked=None, purpose=None, anonymised_at=now))
    tids = [r.ticket_id for r in rows if r.ticket_id]
    if tids:
        conn.execute(update(tickets).where(tickets.c.id.in_(tids)).values(
            contact_name=ANONYMISED, contact_phone=None, details=None))
    e = events.c
    for ev in conn.execute(select(e.id, e.type, e.payload).where(
            or_(e.payload["visit_id"].as_string().in_(ids), e.payload["source_ref"].as_string().in_(ids)),
            e.type.in_((*VISIT_EVENTS, "ticket.opened")))).all():
        p = dict(ev.payload)
        if ev.type == "ticket.opened":
            p.update(contact_name=ANONYMISED, contact_phone=None, details=None)
        else:
            p.update({k: None for k in ("phone", "phone_masked", "purpose") if p.get(k) is not None})
            if p.get("visitor_name") is not None:
                p["visitor_name"] = ANONYMISED
        conn.execute(update(events).where(e.id == ev.id).values(payload=p))
    return len(rows)


def _calls(conn: Connection, where: Where, cutoff: datetime, now: datetime) -> int:
    c = calls.c
    personal = or_(c.number.is_not(None), c.number_raw.is_not(None), c.caller_name.is_not(None),
                   c.resident_name.is_not(None))
    ids = list(conn.execute(select(c.call_id).where(c.started_at < cutoff, personal, where(c.site))
                            .limit(BATCH)).scalars())
    if not ids:
        return 0
    conn.execute(update(calls).where(c.call_id.in_(ids)).values(number=None, number_raw=None, caller_name=None,
                                                                resident_name=None))
    e = events.c
    for ev in conn.execute(select(e.id, e.payload).where(e.type.like("call.%"),
                                                         e.payload["call_id"].as_string().in_(ids))).all():
        p = {k: (None if k in CALL_PERSONAL else v) for k, v in ev.payload.items()}
        if p != ev.payload:
            conn.execute(update(events).where(e.id == ev.id).values(payload=p))
    return len(ids)


def _transcripts(conn: Connection, where: Where, cutoff: datetime, now: datetime) -> int:
    c, e, h = calls.c, events.c, ticket_history.c
    ids = list(conn.execute(select(c.call_id).where(
        c.started_at < cutoff, or_(c.transcript.is_not(None), c.notes.is_not(None)), where(c.site)).limit(BATCH))
        .scalars())
    if ids:
        conn.execute(update(calls).where(c.call_id.in_(ids)).values(transcript=None, notes=None))
    evs = conn.execute(select(e.id, e.payload).where(
        e.type.in_(TRANSCRIPT_EVENTS), e.occurred_at < cutoff, where(e.site),
        func.coalesce(e.payload["text"].as_string(), "") != ANONYMISED).limit(BATCH)).all()
    for ev in evs:
        conn.execute(update(events).where(e.id == ev.id).values(payload={**ev.payload, "text": ANONYMISED}))
    notes = conn.execute(select(h.id, h.detail).where(h.type == "note.transcribed", h.at < cutoff).limit(BATCH)
                         ).all()
    done_notes = 0
    for row in notes:
        detail = {k: (ANONYMISED if k in ("text", "note") and isinstance(v, str) else v)
                  for k, v in (row.detail or {}).items()}
        if detail != row.detail:
            conn.execute(update(ticket_history).where(h.id == row.id).values(detail=detail))
            done_notes += 1
    return max(len(ids), len(evs), done_notes)


def _answered_commands(types: Callable[[Any], ColumnElement[bool]]) -> Callable[..., int]:
    def step(conn: Connection, where: Where, cutoff: datetime, now: datetime) -> int:
        c = commands.c
        rows = conn.execute(select(c.id, c.body).where(
            c.state != "pending", func.coalesce(c.acked_at, c.created_at) < cutoff, types(c.type), where(c.site),
            c.body[("payload", "removed")].as_string().is_(None)).limit(BATCH)).all()
        for row in rows:
            conn.execute(update(commands).where(c.id == row.id).values(body={**row.body, "payload": REMOVED}))
        return len(rows)
    return step


def _print_requests(conn: Connection, where: Where, cutoff: datetime, now: datetime) -> int:
    e = events.c
    rows = conn.execute(select(e.id, e.payload).where(
        e.type == "print.requested", e.occurred_at < cutoff, where(e.site),
        e.payload[("data", "removed")].as_string().is_(None)).limit(BATCH)).all()
    for row in rows:
        conn.execute(update(events).where(e.id == row.id).values(payload={**row.payload, "data": REMOVED}))
    return len(rows)


def _print_jobs(conn: Connection, where: Where, cutoff: datetime, now: datetime) -> int:
    return max(_answered_commands(lambda col: col.in_(PRINT_COMMANDS))(conn, where, cutoff, now),
               _print_requests(conn, where, cutoff, now))


STEPS: dict[str, Callable[..., int]] = {
    "visits": _visits,
    "calls": _calls,
    "transcripts": _transcripts,
    "commands": _answered_commands(lambda col: col.not_in((*KEEP_COMMANDS, *PRINT_COMMANDS))),
    "print_jobs": _print_jobs,
}


def _quarantine(store: Store, config: PrivacyConfig, now: datetime) -> int:
    """Delete quarantine rows older than their site's period (the site as the topic names it)."""
    q = quarantine.c
    periods = [d for d in [config.quarantine, *(p.quarantine for p in config.sites.values())] if d]
    if not periods:
        return 0
    oldest_cutoff = now - timedelta(days=min(periods))
    gone = 0
    with store.engine.begin() as conn:
        for row in conn.execute(select(q.id, q.topic, q.received_at).where(q.received_at < oldest_cutoff)).all():
            where = topics.parse(row.topic)
            days = config.days_for(where[0])["quarantine"] if where else config.quarantine
            received = row.received_at if row.received_at.tzinfo else row.received_at.replace(tzinfo=UTC)
            if days and received < now - timedelta(days=days):
                conn.execute(delete(quarantine).where(q.id == row.id))
                gone += 1
    return gone


def apply_retention(store: Store, config: PrivacyConfig, now: datetime | None = None) -> dict[str, int]:
    """One retention round over every kind and site; rows changed per kind (0 kinds left out)."""
    now = now or datetime.now(UTC)
    counts: Counter[str] = Counter()
    for kind, step in STEPS.items():
        for where, days, _label in _periods(config, kind):
            if days > 0:
                cutoff = now - timedelta(days=days)
                counts[kind] += _batches(store, _bound(step, where, cutoff, now))
    counts["quarantine"] += _quarantine(store, config, now)
    done = {k: v for k, v in counts.items() if v}
    if done:
        compact(store, ("visits", "tickets", "events", "calls", "ticket_history", "commands", "quarantine"))
        log.info("privacy: retention round: %s", done)
    return done
