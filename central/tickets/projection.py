"""The ticket projection: folds new events into tickets, the call register and the visit
register, inside the ingest transaction (Store.projections), so read models never disagree with
the events table.

Well-defined under any arrival order, and nothing is dropped:
  * call and visit events upsert their register line by call_id / visit_id, each field taking
    the first value seen (a check-out before its check-in gives a line with only the check-out);
  * the ticket rules (rules.py) then say which ticket events follow from the edge event; each is
    written as a real event (CentralEventWriter.emit) and applied like any other;
  * a ticket.* event for a ticket that is not there yet is parked (parked_events) and replayed,
    in occurred_at / seq order, when the ticket.opened arrives;
  * state changes follow lifecycle.py (forward moves apply, late ones fill in missing times);
  * anything that cannot apply (a state the kind does not have, a second ticket.opened for the
    same id) is written to the ticket's history with outcome "rejected" and the reason.

Trust (see README, "Security model"): every ticket, call line and visit line belongs to one site,
and only events of that site change it: each lookup by id is also by site, and an event naming
another site's ticket, call or visit changes nothing and is written as "rejected", with the
reason, to the history of the id it named. ticket.* events change tickets only when central's
own writer vouches for them (writer.py) or [tickets] edge_ticket_devices lists their device for
their site. A change made at an edge is attributed to `edge:<device>`; the staff name its payload
claims is kept in the history detail as `claimed_by`, never as who made it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import Connection, RowMapping, bindparam, delete, insert, select, update

from frontdesk.schema import Event
from frontdesk.schema.access import VisitorCheckedIn, VisitorCheckedOut
from frontdesk.schema.call import CallAnswered, CallEnded, CallMessageRecorded, CallMissed, CallRinging
from frontdesk.schema.envelope import Payload
from frontdesk.schema.tickets import TicketOpened, TicketSlaBreached, TicketUpdated
from frontdesk.schema.transcript import CallTranscribed, NoteTranscribed, TranscriptFailed

from ..tables import events as events_table
from . import lifecycle
from .changes import CHANGES, TICKET_CHANGE_TYPES, TicketChange, changed_by, claimed, claimed_by, is_claim
from .numbers import next_number
from .rules import RULES, Fold, call_line_id
from .settings import TicketsConfig
from .sla import compute_timers, next_check, next_due
from .tables import calls, parked_events, ticket_history, tickets, visits
from .times import iso, utc
from .writer import CentralEventWriter

log = logging.getLogger(__name__)

NIGHT_FROM, NIGHT_UNTIL = time(17, 30), time(8, 30)
# Writes a rule's ticket event inside the ingest transaction: CentralEventWriter.emit.
Emit = Callable[[Connection, Event, Payload, str, "datetime | None"], "Event | None"]
Handler = Callable[[Connection, Event], list[Event]]

# Statements built once: ingest runs them for every event, and building a statement costs more
# than running it on SQLite.
# Every read and write of a row is by id AND site; the *_SITE lookups only tell "another site's"
# apart from "not there yet" when the first misses.
_CALL_BY_ID = select(calls).where(calls.c.call_id == bindparam("b_id"), calls.c.site == bindparam("b_site"))
_CALL_SITE = select(calls.c.site).where(calls.c.call_id == bindparam("b_id"))
_CALL_INSERT = insert(calls)
_CALL_UPDATE = update(calls).where(calls.c.call_id == bindparam("b_id"), calls.c.site == bindparam("b_site"))
_VISIT_BY_ID = select(visits).where(visits.c.visit_id == bindparam("b_id"), visits.c.site == bindparam("b_site"))
_VISIT_SITE = select(visits.c.site).where(visits.c.visit_id == bindparam("b_id"))
_LINK_CALL = (update(calls).where(calls.c.call_id == bindparam("b_ref"), calls.c.site == bindparam("b_site"),
                                  calls.c.ticket_id.is_(None)).values(ticket_id=bindparam("b_ticket")))
_LINK_VISIT = (update(visits).where(visits.c.visit_id == bindparam("b_ref"), visits.c.site == bindparam("b_site"),
                                    visits.c.ticket_id.is_(None)).values(ticket_id=bindparam("b_ticket")))
_TICKET_SITE = select(tickets.c.site).where(tickets.c.id == bindparam("b_id"))
# FOR UPDATE: a change is decided on the row as it is, and two central replicas on PostgreSQL
# deciding two claims at once take turns (SQLite ignores it: its ingest holds the write lock).
_TICKET_BY_ID = (select(tickets).where(tickets.c.id == bindparam("b_id"), tickets.c.site == bindparam("b_site"))
                 .with_for_update())
_TICKET_INSERT = insert(tickets)
_TICKET_UPDATE = update(tickets).where(tickets.c.id == bindparam("b_id"), tickets.c.site == bindparam("b_site"))
_HISTORY_INSERT = insert(ticket_history)
_PARKED_FOR = (select(events_table).join(parked_events, parked_events.c.event_id == events_table.c.id)
               .where(parked_events.c.ticket_id == bindparam("b_id")))

# Caller fields of call events -> the register line's columns (first value seen wins).
_CALLER_COLUMNS = (("number", "number"), ("number_raw", "number_raw"), ("caller_name", "name"), ("unit", "unit"),
                   ("resident_name", "resident_name"), ("menu_choice", "menu_choice"))


def is_night(at: datetime, tz: str) -> bool:
    """Night duty (夜班) is 17:30-08:30 local time: those calls and visits form the night register."""
    local = at.astimezone(ZoneInfo(tz)).time()
    return local >= NIGHT_FROM or local < NIGHT_UNTIL


def _event_from_row(row: RowMapping) -> Event:
    return Event.model_construct(id=row["id"], type=row["type"], schema_version=row["schema_version"],
                                 site=row["site"], device=row["device"], seq=row["seq"],
                                 occurred_at=utc(row["occurred_at"]), tz=row["tz"], payload=row["payload"])


# -- what each call event writes on its register line ------------------------------------------

def _answered(p: CallAnswered, at: datetime, line: RowMapping | None) -> dict[str, Any]:
    return {"answered_at": at, "answered_by": p.by}


def _missed(p: CallMissed, at: datetime, line: RowMapping | None) -> dict[str, Any]:
    return {"outcome": "missed", "rings": p.rings}


def _ended(p: CallEnded, at: datetime, line: RowMapping | None) -> dict[str, Any]:
    return {"ended_at": at, "outcome": p.outcome, "rings": p.rings, "duration_s": p.duration_s}


def _transcribed(p: CallTranscribed, at: datetime, line: RowMapping | None) -> dict[str, Any]:
    return {"category": p.category, "transcript": p.text, "transcript_error": None}


def _transcript_failed(p: TranscriptFailed, at: datetime, line: RowMapping | None) -> dict[str, Any]:
    if p.kind != "call" or (line is not None and line["transcript"] is not None):
        return {}  # a late failure never hides a transcript
    return {"transcript_error": f"{p.reason}: {p.detail}"[:600]}


def _note(p: NoteTranscribed, at: datetime, line: RowMapping | None) -> dict[str, Any]:
    if not p.text:
        return {}
    earlier = (line["notes"] if line is not None else None) or ""
    return {"notes": (earlier + "\n" if earlier else "") + p.text}


CALL_LINE_VALUES: dict[type[BaseModel], Callable[[Any, datetime, RowMapping | None], dict[str, Any]]] = {
    CallAnswered: _answered, CallMissed: _missed, CallEnded: _ended, CallTranscribed: _transcribed,
    TranscriptFailed: _transcript_failed, NoteTranscribed: _note,
}
CALL_EVENTS = (CallRinging, CallAnswered, CallMissed, CallMessageRecorded, CallEnded, CallTranscribed)


class TicketProjection:
    """Store projection for tickets and the call and visit registers (see the module docstring)."""

    def __init__(self, config: TicketsConfig, writer: CentralEventWriter) -> None:
        self.config = config
        self.writer = writer
        self.emit: Emit = writer.emit
        self.routes: dict[str, Handler] = {
            **{cls.TYPE: self._call for cls in CALL_EVENTS},
            NoteTranscribed.TYPE: self._note, TranscriptFailed.TYPE: self._transcript_failed,
            VisitorCheckedIn.TYPE: self._visit, VisitorCheckedOut.TYPE: self._visit,
            TicketOpened.TYPE: self._ticket_from_log,
            **{type_: self._ticket_from_log for type_ in TICKET_CHANGE_TYPES},
        }

    def __call__(self, conn: Connection, new_events: list[Event]) -> list[Event]:
        """Project a batch; returns the ticket events the rules wrote for it."""
        work = [(handler, event) for event in sorted(new_events, key=lambda e: (e.occurred_at, e.device, e.seq))
                if (handler := self.routes.get(event.type)) is not None]
        if not work:
            return []
        # One event the read models cannot take (a bug, an absurd value) must not stop the batch
        # from being stored and acknowledged. The whole batch is tried under one savepoint (the
        # fast path); if anything fails, it is redone with a savepoint per event, and each failure
        # is written to the ticket history (the event itself is safe in `events`).
        try:
            with conn.begin_nested():
                return [d for handler, event in work for d in handler(conn, event)]
        except Exception:
            log.warning("tickets: a batch of %d event(s) did not project as a whole; one by one now", len(work))
        derived: list[Event] = []
        for handler, event in work:
            try:
                with conn.begin_nested():
                    derived.extend(handler(conn, event))
            except Exception as err:
                log.exception("tickets: could not project event %s (%s)", event.id, event.type)
                self._failed(conn, event, err)
        return derived

    def _failed(self, conn: Connection, event: Event, err: Exception, what: str = "") -> None:
        p = event.payload
        ref = p.get("ticket_id") or p.get("call_id") or p.get("visit_id")
        self._history(conn, str(ref or event.id)[:64], event, event.occurred_at, f"edge:{event.device}"[:64],
                      "error", {"reason": f"{what}{type(err).__name__}: {err}"[:500]})

    # -- who may change what ---------------------------------------------------------------------

    def _from_central(self, event: Event) -> bool:
        """True for central's own events (its writer's, its rules'): they name who made the change.

        Only the device is looked at: a central event reaches the projection only through
        _ticket_from_log (vouched for by the writer), straight from emit(), or parked after one of those.
        """
        return event.device in (self.writer.device, self.writer.rules_device)

    def _not_allowed(self, event: Event) -> str | None:
        """Why `event` (a ticket.* event from the log) may not change tickets, or None if it may."""
        if self.writer.vouches(event) or self.config.edge_may_write_tickets(event.site, event.device):
            return None
        if self._from_central(event):
            return f"{event.site}/{event.device} speaks as central, but central's writer did not write it"
        return (f"ticket events are accepted only from central or from the devices [tickets.edge_ticket_devices] "
                f"lists; {event.device} is not listed for site {event.site}")

    def _refuse(self, conn: Connection, ref: str, event: Event, reason: str) -> list[Event]:
        """Record that `event` changed nothing, and why, in the history of the id it named."""
        log.warning("tickets: refused %s %s from %s/%s: %s", event.type, event.id, event.site, event.device, reason)
        self._history(conn, str(ref)[:64], event, event.occurred_at, f"edge:{event.site}/{event.device}"[:64],
                      "rejected", {"reason": reason[:500]})
        return []

    def _refuse_foreign(self, conn: Connection, what: str, ref: str, event: Event) -> list[Event]:
        # The reason does not name the other site: it is not the sender's business.
        return self._refuse(conn, ref, event, f"{event.type} from site {event.site} names {what} {ref}, which "
                                              f"belongs to another site")

    def _ticket_from_log(self, conn: Connection, event: Event) -> list[Event]:
        """A ticket.* event as ingest delivers it: applied only if allowed (_not_allowed)."""
        if (reason := self._not_allowed(event)) is not None:
            return self._refuse(conn, str(event.payload.get("ticket_id") or event.id), event, reason)
        return self._ticket_event(conn, event)

    # -- the ticket rules ------------------------------------------------------------------------

    def _run_rules(self, conn: Connection, event: Event, fold: Fold,
                   reload: Callable[[], Mapping[str, Any]]) -> list[Event]:
        """Write and apply the ticket events the rules derive from `event` and its register line
        (`reload` reads the line again for the next rule after one changed it).

        A rule that cannot decide (a bug, a value its payload model refuses) is that event's
        problem, written to the history as an error; the line and the other rules go on. Writing
        or applying what a rule decided fails the event as a whole, like any projection error.
        """
        written: list[Event] = []
        rules = RULES.get(event.type, ())
        for n_rule, rule in enumerate(rules):
            try:
                derived = rule(conn, event, fold)
            except Exception as err:
                log.exception("tickets: rule %s failed on event %s", rule.__name__, event.id)
                self._failed(conn, event, err, f"rule {rule.__name__}: ")
                continue
            for n, item in enumerate(derived):
                made = self.emit(conn, event, item.payload, f"{rule.__name__}/{n}", item.at)
                if made is not None:
                    self._ticket_event(conn, made)
                    written.append(made)
            if derived and n_rule + 1 < len(rules):
                fold = Fold(reload(), fold.learned)
        return written

    # -- call register -------------------------------------------------------------------------

    def _note(self, conn: Connection, event: Event) -> list[Event]:
        # a dictated note belongs on its call's line, else in its ticket's history
        note = event.payload_as(NoteTranscribed)
        if note.call_id:
            return self._call(conn, event)
        if note.ticket_id:
            self._to_ticket(conn, note.ticket_id, event)
        return []

    def _transcript_failed(self, conn: Connection, event: Event) -> list[Event]:
        return self._call(conn, event) if event.payload_as(TranscriptFailed).call_id else []

    def _call(self, conn: Connection, event: Event) -> list[Event]:
        p, at = event.typed_payload(), event.occurred_at
        call_id = call_line_id(event)
        row = conn.execute(_CALL_BY_ID, {"b_id": call_id, "b_site": event.site}).mappings().first()
        if row is None and conn.execute(_CALL_SITE, {"b_id": call_id}).first() is not None:
            return self._refuse_foreign(conn, "call", call_id, event)
        values: dict[str, Any] = {}
        for column, key in _CALLER_COLUMNS:
            value = getattr(p, key, None)
            if value is not None and (row is None or row[column] is None):
                values[column] = value
        if getattr(p, "blocked", False):
            values["blocked"] = True
        if (line_values := CALL_LINE_VALUES.get(type(p))) is not None:
            values.update(line_values(p, at, row))
        if row is None:
            values.update(call_id=call_id, site=event.site, device=event.device, started_at=at, tz=event.tz,
                          night=is_night(at, event.tz))
            values.setdefault("blocked", False)
            conn.execute(_CALL_INSERT, values)
            line: dict[str, Any] = values
        else:
            if isinstance(p, CallRinging) and utc(row["started_at"]) > at:
                # the ring came after another event of the same call: the call started at the ring
                values.update(started_at=at, night=is_night(at, event.tz))
            if values:
                conn.execute(_CALL_UPDATE, {"b_id": call_id, "b_site": event.site, **values})
            line = {**row, **values}
        return self._run_rules(conn, event, Fold(line, frozenset(values)),
                               lambda: dict(conn.execute(_CALL_BY_ID, {"b_id": call_id, "b_site": event.site})
                                            .mappings().one()))

    # -- visit register ------------------------------------------------------------------------

    def _visit(self, conn: Connection, event: Event) -> list[Event]:
        p: VisitorCheckedIn | VisitorCheckedOut = event.typed_payload()  # type: ignore[assignment]
        at = event.occurred_at
        row = conn.execute(_VISIT_BY_ID, {"b_id": p.visit_id, "b_site": event.site}).mappings().first()
        if row is None and conn.execute(_VISIT_SITE, {"b_id": p.visit_id}).first() is not None:
            return self._refuse_foreign(conn, "visit", p.visit_id, event)
        values: dict[str, Any] = {}
        for field in ("visitor_name", "phone", "phone_masked", "host_unit", "purpose", "pass_id", "single_use"):
            value = getattr(p, field, None)
            if value is not None and (row is None or row[field] is None):
                values[field] = value
        if isinstance(p, VisitorCheckedIn):
            values.update(checked_in_at=at, method=p.method)
        else:
            values.update(checked_out_at=at)
        if row is None:
            values.update(visit_id=p.visit_id, site=event.site, device=event.device, first_seen_at=at,
                          tz=event.tz, night=is_night(at, event.tz))
            conn.execute(insert(visits).values(**values))
            line: dict[str, Any] = values
        else:
            if row["first_seen_at"] is not None and utc(row["first_seen_at"]) > at:
                values.update(first_seen_at=at, night=is_night(at, event.tz))
            conn.execute(update(visits).where(visits.c.visit_id == p.visit_id, visits.c.site == event.site)
                         .values(**values))
            line = {**row, **values}
        if isinstance(p, VisitorCheckedIn) and p.single_use and p.pass_id:
            self._flag_double_use(conn, event.site, p.pass_id)
        return self._run_rules(conn, event, Fold(line, frozenset(values)),
                               lambda: dict(conn.execute(_VISIT_BY_ID, {"b_id": p.visit_id, "b_site": event.site})
                                            .mappings().one()))

    @staticmethod
    def _flag_double_use(conn: Connection, site: str, pass_id: str) -> None:
        """Mark every visit of a single-use pass once it let people in at more than one post."""
        uses = conn.execute(select(visits.c.device).where(visits.c.site == site, visits.c.pass_id == pass_id,
                                                          visits.c.checked_in_at.is_not(None))).scalars().all()
        if len(set(uses)) > 1:
            conn.execute(update(visits).where(visits.c.site == site, visits.c.pass_id == pass_id)
                         .values(double_use=True))
            log.warning("site %s: single-use pass %s was used at %s", site, pass_id, ", ".join(sorted(set(uses))))

    # -- tickets ---------------------------------------------------------------------------------

    def _ticket_event(self, conn: Connection, event: Event) -> list[Event]:
        change = event.typed_payload()
        if isinstance(change, TicketOpened):
            self._open(conn, event, change)
        elif isinstance(change, TicketChange | TicketSlaBreached):
            self._to_ticket(conn, change.ticket_id, event)
        else:  # the routes table sends only ticket events here
            raise TypeError(f"{event.type} is not a ticket event")
        return []

    def _to_ticket(self, conn: Connection, ticket_id: str, event: Event) -> None:
        """Apply a change to its ticket, or park it until the ticket's ticket.opened arrives
        (refused if the ticket is another site's)."""
        site = conn.execute(_TICKET_SITE, {"b_id": ticket_id}).scalar()
        if site is None:
            conn.execute(insert(parked_events).values(event_id=event.id, ticket_id=ticket_id,
                                                      parked_at=datetime.now(UTC)))
        elif site != event.site:
            self._refuse_foreign(conn, "ticket", ticket_id, event)
        else:
            self._apply(conn, ticket_id, event)

    def _open(self, conn: Connection, event: Event, p: TicketOpened) -> None:
        at = event.occurred_at
        by = changed_by(p, event.device, central=self._from_central(event))
        site = conn.execute(_TICKET_SITE, {"b_id": p.ticket_id}).scalar()
        if site is not None and site != event.site:
            self._refuse_foreign(conn, "ticket", p.ticket_id, event)
            return
        if site is not None:
            self._history(conn, p.ticket_id, event, at, by, "rejected",
                          {"reason": "a ticket with this id is already open"})
            return
        if self._foreign_parent(conn, p.parent_id, event.site):
            self._refuse(conn, p.ticket_id, event, f"parent ticket {p.parent_id} belongs to another site")
            return
        first = lifecycle.first_state(p.kind)
        milestones = {first: iso(at)}
        if p.kind == "visit":
            milestones["on_site"] = iso(at)
        row = {
            "id": p.ticket_id, "site": event.site, "kind": p.kind, "state": "on_site" if p.kind == "visit" else first,
            "is_open": True, "title": p.title, "details": p.details, "unit": p.unit,
            "contact_name": p.contact_name, "contact_phone": p.contact_phone,
            "complaint_class": p.complaint_class, "complaint_valid": p.complaint_valid,
            "major": p.major, "parent_id": p.parent_id, "owner": by,
            "assignee": None, "source": p.source, "source_ref": p.source_ref,
            "created_at": at, "updated_at": at, "closed_at": None, "done_at": None, "reopen_count": 0,
            "appointment_at": utc(p.appointment_at), "paused": False, "milestones": milestones,
            "pauses": [], "breaches": {}, "tz": event.tz, "version": 1, "callback_reached": None, "satisfied": None,
        }
        row["number"] = next_number(conn, event.site, p.kind, at, event.tz)
        self._recompute(row)
        conn.execute(_TICKET_INSERT, row)
        self._history(conn, p.ticket_id, event, at, by, "applied",
                      {"kind": p.kind, "title": p.title, "source": p.source, "number": row["number"],
                       **self._claim(event, p, by)})
        self._link_line(conn, event.site, p)
        parked = conn.execute(_PARKED_FOR, {"b_id": p.ticket_id}).mappings().all()
        if parked:
            waiting = sorted((_event_from_row(r) for r in parked), key=lambda e: (e.occurred_at, e.device, e.seq))
            conn.execute(delete(parked_events).where(parked_events.c.ticket_id == p.ticket_id))
            for ev in waiting:
                # the allow-list as it is now decides (and parked rows from before it existed are checked)
                if ev.type != NoteTranscribed.TYPE and not self._from_central(ev) and \
                        (reason := self._not_allowed(ev)) is not None:
                    self._refuse(conn, p.ticket_id, ev, reason)
                else:
                    self._apply(conn, p.ticket_id, ev)

    @staticmethod
    def _foreign_parent(conn: Connection, parent_id: str | None, site: str) -> bool:
        """True if `parent_id` is a ticket of another site (a parent not there yet is not refused)."""
        if not parent_id:
            return False
        parent_site = conn.execute(_TICKET_SITE, {"b_id": parent_id}).scalar()
        return parent_site is not None and parent_site != site

    def _claim(self, event: Event, p: Any, by: str) -> dict[str, Any]:
        """{"claimed_by": name} when an edge's payload names someone other than who the change is
        attributed to: kept as a claim for the record, never as who made it."""
        claim = None if self._from_central(event) else claimed_by(p)
        return {"claimed_by": claim} if claim and claim != by else {}

    @staticmethod
    def _link_line(conn: Connection, site: str, p: TicketOpened) -> None:
        """A ticket opened for a call or a visit shows on that register line (if it has none yet)."""
        if p.source_ref is None:
            return
        link = {"call": _LINK_CALL, "desk": _LINK_CALL, "kiosk": _LINK_VISIT}.get(p.source)
        if link is not None:
            conn.execute(link, {"b_ref": p.source_ref, "b_site": site, "b_ticket": p.ticket_id})

    def _apply(self, conn: Connection, ticket_id: str, event: Event) -> None:
        at = event.occurred_at
        found = conn.execute(_TICKET_BY_ID, {"b_id": ticket_id, "b_site": event.site}).mappings().first()
        if found is None:  # parked by one site, and the ticket that came is another site's
            self._refuse_foreign(conn, "ticket", ticket_id, event)
            return
        row = dict(found)
        p = event.typed_payload()
        ms = dict(row["milestones"])
        change = CHANGES.get(type(p))
        by = changed_by(p, event.device, central=self._from_central(event))
        if is_claim(p):
            outcome, detail = claimed(row, ms, p, at, by)
        elif change is None:
            outcome, detail = "rejected", {"reason": f"{event.type} does not change tickets"}
        elif isinstance(p, TicketUpdated) and self._foreign_parent(conn, p.fields.get("parent_id"), event.site):
            outcome, detail = "rejected", {"reason": f"parent ticket {p.fields['parent_id']} belongs to another site"}
        else:
            outcome, detail = change(row, ms, p, at)
        if outcome != "rejected":
            kind = row["kind"]
            row["milestones"] = ms
            row["is_open"] = not lifecycle.is_closed(kind, row["state"])
            if not row["is_open"] and row["closed_at"] is None:
                row["closed_at"] = utc(ms.get(row["state"])) or at
            row["updated_at"] = max(utc(row["updated_at"]), at)
            row["version"] = row["version"] + 1
            self._recompute(row)
            conn.execute(_TICKET_UPDATE, {"b_id": ticket_id, "b_site": event.site,
                                          **{k: v for k, v in row.items() if k != "id"}})
        note = getattr(p, "note", None)
        self._history(conn, ticket_id, event, at, by, outcome,
                      {**detail, **({"note": note} if note else {}), **self._claim(event, p, by)})

    def _recompute(self, row: dict[str, Any]) -> None:
        kind = row["kind"]
        ms = {k: utc(v) for k, v in row["milestones"].items()}
        done_state = lifecycle.DONE_STATES[kind]
        done_rank = lifecycle.rank(kind, done_state)
        reached = [v for k, v in ms.items() if lifecycle.rank(kind, k) >= done_rank and k != "closed"]
        row["done_at"] = min(reached) if reached else (ms.get("closed") if done_state == "closed" else None)
        pauses = [(utc(a), utc(b), r) for a, b, r in row["pauses"]]
        timers = compute_timers(kind, self.config.sla.get(kind, []), ms, [(a, b) for a, b, _ in pauses],
                                appointment_at=utc(row["appointment_at"]), major=bool(row["major"]),
                                breaches=row["breaches"], calendar=self.config.calendar_for(row["site"]), tz=row["tz"])
        if not row["is_open"]:
            row["next_due_at"], row["next_due_timer"], row["next_check_at"] = None, None, None
        else:
            row["next_due_at"], row["next_due_timer"] = next_due(timers)
            row["next_check_at"] = next_check(timers)
        row["any_breach"] = bool(row["breaches"]) or any(t["met_in_time"] is False for t in timers)
        row["timers"] = [{**t, "start_at": iso(t["start_at"]), "due_at": iso(t["due_at"]), "met_at": iso(t["met_at"])}
                         for t in timers]

    def _history(self, conn: Connection, ticket_id: str, event: Event, at: datetime, by: str, outcome: str,
                 detail: dict[str, Any]) -> None:
        conn.execute(_HISTORY_INSERT, {"ticket_id": ticket_id, "event_id": event.id, "type": event.type, "at": at,
                                       "by": by, "outcome": outcome, "detail": detail})
