"""How each ticket event changes a ticket row: one function per event type, found through CHANGES.

Each function gets the ticket row (a dict it may change), its milestones (state -> ISO time, also
changed in place), the typed payload and the time of the event, and says what became of the
event: ("applied" | "stale" | "rejected", detail for the ticket's history). The projection
(projection.py) reads the row, calls the function, and stores the row unless it was rejected.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeGuard, get_args

from pydantic import BaseModel

from frontdesk.schema.tickets import (
    TicketAssigned,
    TicketAttachmentAdded,
    TicketCallbackRecorded,
    TicketPaused,
    TicketReopened,
    TicketResumed,
    TicketSlaBreached,
    TicketTransitioned,
    TicketUpdated,
)
from frontdesk.schema.transcript import NoteTranscribed

from . import lifecycle
from .times import iso, utc

# The changes made by hand through the API (SLA breaches come from the writer, notes from the edge).
TicketChange = (TicketTransitioned | TicketAssigned | TicketUpdated | TicketPaused | TicketResumed | TicketReopened
                | TicketCallbackRecorded | TicketAttachmentAdded)

Outcome = tuple[str, dict[str, Any]]
Change = Callable[[dict[str, Any], dict[str, Any], Any, datetime], Outcome]


def transitioned(row: dict[str, Any], ms: dict[str, Any], p: TicketTransitioned, at: datetime) -> Outcome:
    """Forward moves apply; a late move to a state already passed only fills in its time."""
    kind, target = row["kind"], p.to_state
    detail: dict[str, Any] = {"to_state": target}
    try:
        new_rank = lifecycle.rank(kind, target)
    except lifecycle.TransitionError as err:
        return "rejected", {**detail, "reason": str(err)}
    since = utc(ms.get(lifecycle.first_state(kind)))
    if since and at < since:
        return "stale", {**detail, "reason": "before the ticket was (re)opened"}
    closing = lifecycle.is_closed(kind, target) and not lifecycle.is_closed(kind, row["state"])
    if new_rank > lifecycle.rank(kind, row["state"]) or closing:
        row["state"] = target
        ms.setdefault(target, iso(at))
        return "applied", detail
    if target in ms:
        return "stale", {**detail, "reason": f"already {row['state']}"}
    ms[target] = iso(at)
    return "stale", {**detail, "reason": f"already {row['state']}; time filled in"}


CLAIMED = "claimed"


def holder(row: dict[str, Any]) -> str | None:
    """Who holds a work order: its assignee once it has been claimed (签收), else nobody."""
    kind = row["kind"]
    if row.get("assignee") is None or CLAIMED not in lifecycle.states(kind):
        return None
    return row["assignee"] if lifecycle.rank(kind, row["state"]) >= lifecycle.rank(kind, CLAIMED) else None


def is_claim(p: Any) -> TypeGuard[TicketTransitioned]:
    """True for a move to `claimed`: decided by `claimed`, which needs to know who claims."""
    return isinstance(p, TicketTransitioned) and p.to_state == CLAIMED


def claimed(row: dict[str, Any], ms: dict[str, Any], p: TicketTransitioned, at: datetime, by: str) -> Outcome:
    """A claim by `by`: first come, first served. Rejected, naming the holder, when someone else
    holds the order already; otherwise the move to `claimed` as `transitioned` judges it, and the
    claimer becomes the assignee (the one who collects the slip signs for it).

    This runs in the ingest transaction with the ticket row locked (projection.py), so of two
    claims at once the second sees the first's holder: the API turns that rejection into a 409.
    """
    current = holder(row)
    if current is not None and current != by:
        return "rejected", {"to_state": CLAIMED, "reason": f"already claimed by {current}", "holder": current}
    outcome, detail = transitioned(row, ms, p, at)
    # a late claim that only fills in the time still names who took an order nobody held
    if outcome == "applied" or (outcome == "stale" and CLAIMED in ms and row["assignee"] is None):
        row["assignee"] = by
        detail["assignee"] = by
    return outcome, detail


def assigned(row: dict[str, Any], ms: dict[str, Any], p: TicketAssigned, at: datetime) -> Outcome:
    """The ticket is given to the assignee; always applied."""
    row["assignee"] = p.assignee
    return "applied", {"assignee": p.assignee}


def updated(row: dict[str, Any], ms: dict[str, Any], p: TicketUpdated, at: datetime) -> Outcome:
    """The corrected fields are set; a complaint class other than 1, 2 or 3 is rejected."""
    fields = dict(p.fields)
    if "appointment_at" in fields:
        fields["appointment_at"] = utc(fields["appointment_at"])
    if fields.get("complaint_class") not in (None, 1, 2, 3):
        return "rejected", {"reason": "complaint_class must be 1, 2 or 3"}
    row.update(fields)
    return "applied", {"fields": sorted(fields)}


def paused(row: dict[str, Any], ms: dict[str, Any], p: TicketPaused, at: datetime) -> Outcome:
    """A pause opens (and the appointment is set, if given); stale if the ticket is paused already."""
    pauses = [list(x) for x in row["pauses"]]
    if pauses and pauses[-1][1] is None:
        return "stale", {"reason": "already paused"}
    pauses.append([iso(at), None, p.reason])
    row["pauses"], row["paused"] = pauses, True
    if p.appointment_at:
        row["appointment_at"] = utc(p.appointment_at)
    return "applied", {"reason": p.reason}


def resumed(row: dict[str, Any], ms: dict[str, Any], p: TicketResumed, at: datetime) -> Outcome:
    """The open pause ends (not before it began); stale if the ticket is not paused."""
    pauses = [list(x) for x in row["pauses"]]
    if not pauses or pauses[-1][1] is not None:
        return "stale", {"reason": "not paused"}
    pauses[-1][1] = iso(max(at, utc(pauses[-1][0])))
    row["pauses"], row["paused"] = pauses, False
    return "applied", {}


def reopened(row: dict[str, Any], ms: dict[str, Any], p: TicketReopened, at: datetime) -> Outcome:
    """A done or closed ticket starts its lifecycle again: milestones, breaches, pauses and callback
    are cleared (the detail keeps the previous state and milestones); stale otherwise."""
    kind = row["kind"]
    if not (lifecycle.is_closed(kind, row["state"]) or row["done_at"] is not None):
        return "stale", {"reason": "not done or closed"}
    detail = {"previous_state": row["state"], "previous_milestones": dict(ms)}
    ms.clear()
    ms[lifecycle.first_state(kind)] = iso(at)
    row.update(state=lifecycle.first_state(kind), is_open=True, closed_at=None, done_at=None, breaches={},
               pauses=[], paused=False, reopen_count=row["reopen_count"] + 1, callback_reached=None,
               satisfied=None)
    return "applied", detail


def callback_recorded(row: dict[str, Any], ms: dict[str, Any], p: TicketCallbackRecorded, at: datetime) -> Outcome:
    """The callback's outcome is kept; a resident reached moves the ticket on to 'callback' if its
    kind has that state and it is not past it."""
    kind = row["kind"]
    row["callback_reached"], row["satisfied"] = p.reached, p.satisfied
    if p.reached and "callback" in lifecycle.states(kind):
        if lifecycle.rank(kind, "callback") > lifecycle.rank(kind, row["state"]):
            row["state"] = "callback"
        ms.setdefault("callback", iso(at))
    return "applied", {"reached": p.reached, "satisfied": p.satisfied}


def attachment_added(row: dict[str, Any], ms: dict[str, Any], p: TicketAttachmentAdded, at: datetime) -> Outcome:
    """A photo or signature is kept in the ticket's history; state unchanged."""
    return "applied", {"attachment_id": p.attachment_id, "kind": p.kind, "sha256": p.sha256, "bytes": p.bytes}


def sla_breached(row: dict[str, Any], ms: dict[str, Any], p: TicketSlaBreached, at: datetime) -> Outcome:
    """The timer's breach is noted (a repeated report keeps the first time)."""
    breaches = dict(row["breaches"])
    breaches.setdefault(p.timer, iso(at))
    row["breaches"], row["any_breach"] = breaches, True
    return "applied", {"timer": p.timer, "due_at": iso(p.due_at)}


def note_transcribed(row: dict[str, Any], ms: dict[str, Any], p: NoteTranscribed, at: datetime) -> Outcome:
    """A note dictated at the desk for this ticket: kept in its history, state unchanged."""
    return "applied", {"text": p.text[:2000], "confidence": p.confidence}


CHANGES: dict[type[BaseModel], Change] = {
    TicketTransitioned: transitioned, TicketAssigned: assigned, TicketUpdated: updated, TicketPaused: paused,
    TicketResumed: resumed, TicketReopened: reopened, TicketCallbackRecorded: callback_recorded,
    TicketSlaBreached: sla_breached, NoteTranscribed: note_transcribed, TicketAttachmentAdded: attachment_added,
}

# The ticket.* events that change an existing ticket (ticket.opened makes one).
TICKET_CHANGE_TYPES: tuple[str, ...] = tuple(m.TYPE for m in (*get_args(TicketChange), TicketSlaBreached))


def changed_by(p: Any, device: str, *, central: bool) -> str:
    """Who made the change. Central's own events name the staff account, "system" or the edge a
    rule acted for (`author` of a note, else `by`); a change made at an edge is that edge's,
    `edge:<device>`, whatever staff name the edge puts in its payload (nothing at central can
    check that name)."""
    if central:
        return (getattr(p, "author", None) or getattr(p, "by", None) or f"edge:{device}")[:64]
    return f"edge:{device}"[:64]


def claimed_by(p: Any) -> str | None:
    """The staff name an edge's payload claims (`author` or `by`), kept in the history detail as a
    claim only; None when it claims none."""
    claim = getattr(p, "author", None) or getattr(p, "by", None)
    return str(claim)[:64] if claim else None
