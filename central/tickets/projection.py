"""The ticket projection: folds new events into tickets, the call register and the visit
register, inside the ingest transaction (Store.projections), so read models never disagree with
the events table.

Well-defined under any arrival order, and nothing is dropped:
  * call and visit events upsert their register line by call_id / visit_id, each field taking
    the first value seen (a check-out before its check-in gives a line with only the check-out);
  * a ticket.* event for a ticket that is not there yet is parked (parked_events) and replayed,
    in occurred_at / seq order, when the ticket.opened arrives;
  * state changes follow lifecycle.py (forward moves apply, late ones fill in missing times);
  * anything that cannot apply (a state the kind does not have, a second ticket.opened for the
    same id) is written to the ticket's history with outcome "rejected" and the reason.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from frontdesk.schema import Event

from ..tables import events as events_table
from . import lifecycle
from .settings import TicketsConfig
from .sla import compute_timers, next_check, next_due
from .tables import calls, parked_events, ticket_history, tickets, visits

log = logging.getLogger(__name__)

CALL_TYPES = {"call.ringing", "call.answered", "call.missed", "call.message_recorded", "call.ended",
              "call.transcribed"}
# Transcription outcomes that belong on a call's register line when they name a call.
CALL_NOTE_TYPES = {"note.transcribed", "transcript.failed"}
VISIT_TYPES = {"visitor.checked_in", "visitor.checked_out"}
# Call categories that open a ticket of the same kind ("other" is only a register line).
CATEGORY_KINDS = {"repair": "repair", "complaint": "complaint", "help_request": "help_request",
                  "inquiry": "inquiry"}
NIGHT_FROM, NIGHT_UNTIL = time(17, 30), time(8, 30)

# Statements built once: ingest runs them for every event, and building a statement costs more
# than running it on SQLite.
_CALL_BY_ID = select(calls).where(calls.c.call_id == bindparam("b_id"))
_CALL_INSERT = insert(calls)
_CALL_UPDATE = update(calls).where(calls.c.call_id == bindparam("b_id"))
_TICKET_EXISTS = select(tickets.c.id).where(tickets.c.id == bindparam("b_id"))
_TICKET_BY_ID = select(tickets).where(tickets.c.id == bindparam("b_id"))
_TICKET_INSERT = insert(tickets)
_TICKET_UPDATE = update(tickets).where(tickets.c.id == bindparam("b_id"))
_HISTORY_INSERT = insert(ticket_history)
_PARKED_FOR = (select(events_table).join(parked_events, parked_events.c.event_id == events_table.c.id)
               .where(parked_events.c.ticket_id == bindparam("b_id")))


def utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    return None if value is None else utc(value).isoformat()


def is_night(at: datetime, tz: str) -> bool:
    """Night duty (夜班) is 17:30-08:30 local time: those calls and visits form the night register."""
    local = at.astimezone(ZoneInfo(tz)).time()
    return local >= NIGHT_FROM or local < NIGHT_UNTIL


def _event_from_row(row) -> Event:
    return Event.model_construct(id=row["id"], type=row["type"], schema_version=row["schema_version"],
                                 site=row["site"], device=row["device"], seq=row["seq"],
                                 occurred_at=utc(row["occurred_at"]), tz=row["tz"], payload=row["payload"])


class TicketProjection:
    def __init__(self, config: TicketsConfig) -> None:
        self.config = config

    def __call__(self, conn: Connection, new_events: list[Event]) -> None:
        work = []
        for event in sorted(new_events, key=lambda e: (e.occurred_at, e.device, e.seq)):
            if event.type in CALL_TYPES or (event.type in CALL_NOTE_TYPES and event.payload.get("call_id")):
                work.append((self._call, event))
            elif event.type in VISIT_TYPES:
                work.append((self._visit, event))
            elif event.type.startswith("ticket.") or (event.type == "note.transcribed" and event.payload.get("ticket_id")):
                work.append((self._ticket_event, event))
        if not work:
            return
        # One event the read models cannot take (a bug, an absurd value) must not stop the batch
        # from being stored and acknowledged. The whole batch is tried under one savepoint (the
        # fast path); if anything fails, it is redone with a savepoint per event, and each failure
        # is written to the ticket history (the event itself is safe in `events`).
        try:
            with conn.begin_nested():
                for handler, event in work:
                    handler(conn, event)
            return
        except Exception:
            log.warning("tickets: a batch of %d event(s) did not project as a whole; one by one now", len(work))
        for handler, event in work:
            try:
                with conn.begin_nested():
                    handler(conn, event)
            except Exception as err:
                log.exception("tickets: could not project event %s (%s)", event.id, event.type)
                ref = event.payload.get("ticket_id") or event.payload.get("call_id") or event.payload.get("visit_id")
                self._history(conn, str(ref or event.id)[:64], event, event.occurred_at, f"edge:{event.device}"[:64],
                              "error", {"reason": f"{type(err).__name__}: {err}"[:500]})

    # -- call register -------------------------------------------------------------------------

    def _call(self, conn: Connection, event: Event) -> None:
        p, at = event.payload, event.occurred_at
        call_id = p.get("call_id") or f"transcript:{event.id}"
        row = conn.execute(_CALL_BY_ID, {"b_id": call_id}).mappings().first()
        values: dict[str, Any] = {}
        for field, key in (("number", "number"), ("number_raw", "number_raw"), ("caller_name", "name"),
                           ("unit", "unit"), ("resident_name", "resident_name"), ("menu_choice", "menu_choice")):
            if p.get(key) is not None and (row is None or row[field] is None):
                values[field] = p[key]
        if p.get("blocked"):
            values["blocked"] = True
        if event.type == "call.answered":
            values.update(answered_at=at, answered_by=p.get("by"))
        elif event.type == "call.missed":
            values.update(outcome=values.get("outcome") or "missed", rings=p.get("rings"))
        elif event.type == "call.ended":
            values.update(ended_at=at, outcome=p.get("outcome"), rings=p.get("rings"), duration_s=p.get("duration_s"))
        elif event.type == "call.transcribed":
            values.update(category=p.get("category"), transcript=p.get("text"), transcript_error=None)
        elif event.type == "transcript.failed" and p.get("kind") == "call":
            if row is None or row["transcript"] is None:  # a late failure never hides a transcript
                values["transcript_error"] = f"{p['reason']}: {p['detail']}"[:600]
        elif event.type == "note.transcribed" and p.get("text"):
            earlier = (row["notes"] if row is not None else None) or ""
            values["notes"] = (earlier + "\n" if earlier else "") + p["text"]
        if row is None:
            values.update(call_id=call_id, site=event.site, device=event.device, started_at=at, tz=event.tz,
                          night=is_night(at, event.tz))
            values.setdefault("blocked", False)
            conn.execute(_CALL_INSERT, values)
        else:
            if event.type == "call.ringing" and utc(row["started_at"]) > at:
                # the ring came after another event of the same call: the call started at the ring
                values.update(started_at=at, night=is_night(at, event.tz))
            if values:
                conn.execute(_CALL_UPDATE, {"b_id": call_id, **values})
        if event.type == "call.transcribed" and p.get("category") in CATEGORY_KINDS:
            line = conn.execute(_CALL_BY_ID, {"b_id": call_id}).mappings().first()
            if line["ticket_id"] is None:
                text = (p.get("text") or "").strip()
                title = text[:60] or {"repair": "来电报修 / repair call", "complaint": "来电投诉 / complaint call",
                                      "help_request": "求助 / help request", "inquiry": "咨询 / inquiry"}[p["category"]]
                payload = {"ticket_id": event.id, "kind": CATEGORY_KINDS[p["category"]], "by": f"edge:{event.device}",
                           "title": title, "details": text or None, "unit": line["unit"],
                           "contact_name": line["resident_name"] or line["caller_name"],
                           "contact_phone": line["number"], "source": "call", "source_ref": call_id}
                self._open(conn, event, payload)
                conn.execute(_CALL_UPDATE, {"b_id": call_id, "ticket_id": event.id})
        elif line_ticket := (row["ticket_id"] if row is not None else None):
            # caller details that arrived after the ticket was opened fill in what it lacks
            fill = {k: v for k, v in (("unit", values.get("unit")), ("contact_phone", values.get("number")))
                    if v is not None}
            if fill:
                t = conn.execute(select(tickets.c.unit, tickets.c.contact_phone)
                                 .where(tickets.c.id == line_ticket)).mappings().first()
                fill = {k: v for k, v in fill.items() if t is not None and t[k] is None}
                if fill:
                    conn.execute(update(tickets).where(tickets.c.id == line_ticket).values(**fill))

    # -- visit register ------------------------------------------------------------------------

    def _visit(self, conn: Connection, event: Event) -> None:
        p, at = event.payload, event.occurred_at
        row = conn.execute(select(visits).where(visits.c.visit_id == p["visit_id"])).mappings().first()
        values: dict[str, Any] = {}
        for field in ("visitor_name", "phone", "phone_masked", "host_unit", "purpose", "pass_id", "single_use"):
            if p.get(field) is not None and (row is None or row[field] is None):
                values[field] = p[field]
        if event.type == "visitor.checked_in":
            values.update(checked_in_at=at, method=p.get("method"))
        else:
            values.update(checked_out_at=at)
        if row is None:
            values.update(visit_id=p["visit_id"], site=event.site, device=event.device, first_seen_at=at,
                          tz=event.tz, night=is_night(at, event.tz))
            conn.execute(insert(visits).values(**values))
            ticket_id = None
        else:
            if row["first_seen_at"] is not None and utc(row["first_seen_at"]) > at:
                values.update(first_seen_at=at, night=is_night(at, event.tz))
            conn.execute(update(visits).where(visits.c.visit_id == p["visit_id"]).values(**values))
            ticket_id = row["ticket_id"]
        if event.type == "visitor.checked_in" and p.get("single_use") and p.get("pass_id"):
            self._flag_double_use(conn, event.site, p["pass_id"])
        if event.type == "visitor.checked_in" and ticket_id is None:
            payload = {"ticket_id": event.id, "kind": "visit", "by": f"edge:{event.device}",
                       "title": f"来访 {p['host_unit']} / visit", "unit": p["host_unit"],
                       "contact_name": p["visitor_name"], "contact_phone": p.get("phone"),
                       "source": "kiosk", "source_ref": p["visit_id"]}
            self._open(conn, event, payload)
            conn.execute(update(visits).where(visits.c.visit_id == p["visit_id"]).values(ticket_id=event.id))
            if row is not None and row["checked_out_at"] is not None:
                self._apply(conn, event.id, event, {"ticket_id": event.id, "by": f"edge:{event.device}",
                                                    "to_state": "closed"}, "ticket.transitioned",
                            at=utc(row["checked_out_at"]))
        elif event.type == "visitor.checked_out" and ticket_id is not None:
            self._apply(conn, ticket_id, event, {"ticket_id": ticket_id, "by": f"edge:{event.device}",
                                                 "to_state": "closed"}, "ticket.transitioned")

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

    def _ticket_event(self, conn: Connection, event: Event) -> None:
        p = event.payload
        if event.type == "ticket.opened":
            self._open(conn, event, p)
            return
        exists = conn.execute(_TICKET_EXISTS, {"b_id": p["ticket_id"]}).first()
        if exists is None:
            conn.execute(insert(parked_events).values(event_id=event.id, ticket_id=p["ticket_id"],
                                                      parked_at=datetime.now(UTC)))
            return
        self._apply(conn, p["ticket_id"], event, p, event.type)

    def _open(self, conn: Connection, event: Event, p: dict[str, Any]) -> None:
        at = event.occurred_at
        ticket_id = p["ticket_id"]
        if conn.execute(_TICKET_EXISTS, {"b_id": ticket_id}).first() is not None:
            self._history(conn, ticket_id, event, at, p.get("by", "?"), "rejected",
                          {"reason": "a ticket with this id is already open"})
            return
        kind = p["kind"]
        first = lifecycle.first_state(kind)
        milestones = {first: iso(at)}
        if kind == "visit":
            milestones["on_site"] = iso(at)
        row = {
            "id": ticket_id, "site": event.site, "kind": kind, "state": "on_site" if kind == "visit" else first,
            "is_open": True, "title": p["title"], "details": p.get("details"), "unit": p.get("unit"),
            "contact_name": p.get("contact_name"), "contact_phone": p.get("contact_phone"),
            "complaint_class": p.get("complaint_class"), "complaint_valid": p.get("complaint_valid"),
            "major": bool(p.get("major")), "parent_id": p.get("parent_id"), "owner": p.get("by") or f"edge:{event.device}",
            "assignee": None, "source": p.get("source", "desk"), "source_ref": p.get("source_ref"),
            "created_at": at, "updated_at": at, "closed_at": None, "done_at": None, "reopen_count": 0,
            "appointment_at": utc(p.get("appointment_at")), "paused": False, "milestones": milestones,
            "pauses": [], "breaches": {}, "tz": event.tz, "version": 1, "callback_reached": None, "satisfied": None,
        }
        self._recompute(row)
        conn.execute(_TICKET_INSERT, row)
        self._history(conn, ticket_id, event, at, row["owner"], "applied",
                      {"kind": kind, "title": p["title"], "source": row["source"]})
        parked = conn.execute(_PARKED_FOR, {"b_id": ticket_id}).mappings().all()
        if parked:
            waiting = sorted((_event_from_row(r) for r in parked), key=lambda e: (e.occurred_at, e.device, e.seq))
            conn.execute(delete(parked_events).where(parked_events.c.ticket_id == ticket_id))
            for ev in waiting:
                self._apply(conn, ticket_id, ev, ev.payload, ev.type)

    def _apply(self, conn: Connection, ticket_id: str, event: Event, p: dict[str, Any], type_: str,
               at: datetime | None = None) -> None:
        at = at or event.occurred_at
        row = dict(conn.execute(_TICKET_BY_ID, {"b_id": ticket_id}).mappings().one())
        by = p.get("by", f"edge:{event.device}")
        kind = row["kind"]
        ms = dict(row["milestones"])
        first = lifecycle.first_state(kind)
        since = utc(ms.get(first))
        outcome, detail = "applied", {}
        if type_ == "ticket.transitioned":
            target = p["to_state"]
            detail = {"to_state": target}
            try:
                new_rank = lifecycle.rank(kind, target)
            except lifecycle.TransitionError as err:
                outcome, detail["reason"] = "rejected", str(err)
            else:
                cur_rank = lifecycle.rank(kind, row["state"])
                if since and at < since:
                    outcome, detail["reason"] = "stale", "before the ticket was (re)opened"
                elif new_rank > cur_rank or (lifecycle.is_closed(kind, target) and not lifecycle.is_closed(kind, row["state"])):
                    row["state"] = target
                    ms.setdefault(target, iso(at))
                elif target in ms:
                    outcome, detail["reason"] = "stale", f"already {row['state']}"
                else:
                    ms[target] = iso(at)
                    outcome, detail["reason"] = "stale", f"already {row['state']}; time filled in"
        elif type_ == "ticket.assigned":
            row["assignee"] = p["assignee"]
            detail = {"assignee": p["assignee"]}
        elif type_ == "ticket.updated":
            fields = dict(p["fields"])
            if "appointment_at" in fields:
                fields["appointment_at"] = utc(fields["appointment_at"])
            for key in ("complaint_class",):
                if key in fields and fields[key] not in (None, 1, 2, 3):
                    outcome, detail["reason"] = "rejected", "complaint_class must be 1, 2 or 3"
            if outcome == "applied":
                row.update(fields)
                detail = {"fields": sorted(fields)}
        elif type_ == "ticket.paused":
            pauses = [list(x) for x in row["pauses"]]
            if pauses and pauses[-1][1] is None:
                outcome, detail = "stale", {"reason": "already paused"}
            else:
                pauses.append([iso(at), None, p["reason"]])
                row["pauses"], row["paused"] = pauses, True
                if p.get("appointment_at"):
                    row["appointment_at"] = utc(p["appointment_at"])
                detail = {"reason": p["reason"]}
        elif type_ == "ticket.resumed":
            pauses = [list(x) for x in row["pauses"]]
            if not pauses or pauses[-1][1] is not None:
                outcome, detail = "stale", {"reason": "not paused"}
            else:
                pauses[-1][1] = iso(max(at, utc(pauses[-1][0])))
                row["pauses"], row["paused"] = pauses, False
        elif type_ == "ticket.reopened":
            if not (lifecycle.is_closed(kind, row["state"]) or row["done_at"] is not None):
                outcome, detail = "stale", {"reason": "not done or closed"}
            else:
                detail = {"previous_state": row["state"], "previous_milestones": ms}
                ms = {first: iso(at)}
                row.update(state=first, is_open=True, closed_at=None, done_at=None, breaches={}, pauses=[],
                           paused=False, reopen_count=row["reopen_count"] + 1, callback_reached=None, satisfied=None)
        elif type_ == "ticket.callback_recorded":
            row["callback_reached"], row["satisfied"] = p["reached"], p.get("satisfied")
            detail = {"reached": p["reached"], "satisfied": p.get("satisfied")}
            if p["reached"] and "callback" in lifecycle.states(kind):
                if lifecycle.rank(kind, "callback") > lifecycle.rank(kind, row["state"]):
                    row["state"] = "callback"
                ms.setdefault("callback", iso(at))
        elif type_ == "ticket.sla_breached":
            breaches = dict(row["breaches"])
            breaches.setdefault(p["timer"], iso(at))
            row["breaches"], row["any_breach"] = breaches, True
            detail = {"timer": p["timer"], "due_at": p["due_at"]}
        elif type_ == "note.transcribed":
            # a note dictated at the desk for this ticket: kept in its history, state unchanged
            by = (p.get("author") or by)[:64]
            detail = {"text": p["text"][:2000], "confidence": p.get("confidence")}
        else:
            outcome, detail = "rejected", {"reason": f"{type_} does not change tickets"}
        if outcome != "rejected":
            row["milestones"] = ms
            row["is_open"] = not lifecycle.is_closed(kind, row["state"])
            if not row["is_open"] and row["closed_at"] is None:
                row["closed_at"] = utc(ms.get(row["state"])) or at
            row["updated_at"] = max(utc(row["updated_at"]), at)
            row["version"] = row["version"] + 1
            self._recompute(row)
            conn.execute(_TICKET_UPDATE, {"b_id": ticket_id, **{k: v for k, v in row.items() if k != "id"}})
        self._history(conn, ticket_id, event, at, by, outcome, {**detail, **({"note": p["note"]} if p.get("note") else {})})

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
