"""The rules that turn edge events into ticket events: every ticket central makes or changes on
its own starts here, one function per rule.

A rule looks at one new edge event and its register line (as the projection has just folded the
event into it) and says which ticket events follow from it. The projection writes each as a real event through
the central event writer (device `central-rules`, in the same transaction, id derived from the
cause) and applies it like any other: the audit trail, the ticket's history and a search for
`ticket.opened` all find it, and replaying the cause writes nothing twice.

    a transcribed call with a category opens a ticket of that kind     transcribed_call_opens_ticket
    caller details that arrive after that fill in what the ticket lacks  late_caller_details_fill_ticket
    a check-in opens a visit ticket                                      check_in_opens_visit
    a check-in that arrives after its check-out closes that visit       late_check_in_closes_visit
    a check-out closes the visit's ticket                                check_out_closes_visit
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from frontdesk.schema import Event
from frontdesk.schema.access import VisitorCheckedIn, VisitorCheckedOut
from frontdesk.schema.call import CallAnswered, CallEnded, CallMessageRecorded, CallMissed, CallRinging
from frontdesk.schema.envelope import Payload
from frontdesk.schema.tickets import Kind, TicketOpened, TicketTransitioned, TicketUpdated
from frontdesk.schema.transcript import CallTranscribed

from .tables import tickets
from .times import utc

# Call categories that open a ticket of the same kind ("other" is only a register line).
CATEGORY_KINDS: dict[str, Kind] = {"repair": "repair", "complaint": "complaint", "help_request": "help_request",
                                   "inquiry": "inquiry"}
CALL_TITLES = {"repair": "来电报修 / repair call", "complaint": "来电投诉 / complaint call",
               "help_request": "求助 / help request", "inquiry": "咨询 / inquiry"}
DETAILS_MAX = 4000  # TicketOpened.details


@dataclass(frozen=True)
class Derived:
    """A ticket event a rule derives; `at` None = when the cause happened."""

    payload: Payload
    at: datetime | None = None


@dataclass(frozen=True)
class Fold:
    """An edge event's register line (call or visit) as the projection left it after folding the
    event in, and the columns this event filled for the first time."""

    line: Mapping[str, Any]
    learned: frozenset[str]


# (the ingest transaction, the edge event, its register line) -> the ticket events that follow
Rule = Callable[[Connection, Event, Fold], list[Derived]]
_TICKET_GAPS = select(tickets.c.unit, tickets.c.contact_phone).where(tickets.c.id == bindparam("b_id"),
                                                                     tickets.c.site == bindparam("b_site"))


def call_line_id(event: Event) -> str:
    """The call register line an event belongs to (a transcript without a call gets its own)."""
    return event.payload.get("call_id") or f"transcript:{event.id}"


def _edge(event: Event) -> str:
    return f"edge:{event.device}"


def transcribed_call_opens_ticket(conn: Connection, event: Event, fold: Fold) -> list[Derived]:
    """A call transcribed with category repair / complaint / help_request / inquiry opens a ticket
    of that kind, with the caller's unit, name and number from the call's register line."""
    p = event.payload_as(CallTranscribed)
    kind = CATEGORY_KINDS.get(p.category)
    if kind is None or fold.line.get("ticket_id") is not None:
        return []
    text = p.text.strip()
    return [Derived(TicketOpened(
        ticket_id=event.id, kind=kind, by=_edge(event), title=text[:60] or CALL_TITLES[kind],
        details=text[:DETAILS_MAX] or None, unit=fold.line.get("unit"),
        contact_name=fold.line.get("resident_name") or fold.line.get("caller_name"),
        contact_phone=fold.line.get("number"),
        source="call", source_ref=fold.line["call_id"]))]


def late_caller_details_fill_ticket(conn: Connection, event: Event, fold: Fold) -> list[Derived]:
    """Caller details (unit, number) that reach a call's line after its ticket was opened fill in
    what the ticket lacks; what the ticket already has is never overwritten."""
    offered = {"unit": fold.line.get("unit") if "unit" in fold.learned else None,
               "contact_phone": fold.line.get("number") if "number" in fold.learned else None}
    if fold.line.get("ticket_id") is None or not any(offered.values()):
        return []
    ticket = conn.execute(_TICKET_GAPS, {"b_id": fold.line["ticket_id"], "b_site": event.site}).mappings().first()
    if ticket is None:
        return []
    fill: dict[str, Any] = {k: v for k, v in offered.items() if v is not None and ticket[k] is None}
    if not fill:
        return []
    return [Derived(TicketUpdated(ticket_id=fold.line["ticket_id"], by=_edge(event), fields=fill))]


def check_in_opens_visit(conn: Connection, event: Event, fold: Fold) -> list[Derived]:
    """A visitor's check-in opens a `visit` ticket for the host unit (once per visit)."""
    p = event.payload_as(VisitorCheckedIn)
    if fold.line.get("ticket_id") is not None:
        return []
    return [Derived(TicketOpened(
        ticket_id=event.id, kind="visit", by=_edge(event), title=f"来访 {p.host_unit} / visit", unit=p.host_unit,
        contact_name=p.visitor_name, contact_phone=p.phone, source="kiosk", source_ref=p.visit_id))]


def late_check_in_closes_visit(conn: Connection, event: Event, fold: Fold) -> list[Derived]:
    """A check-in that reaches central after its check-out closes the visit it just opened, at the
    time of the check-out."""
    if fold.line.get("ticket_id") != event.id or fold.line.get("checked_out_at") is None:
        return []
    return [Derived(TicketTransitioned(ticket_id=event.id, by=_edge(event), to_state="closed"),
                    at=utc(fold.line["checked_out_at"]))]


def check_out_closes_visit(conn: Connection, event: Event, fold: Fold) -> list[Derived]:
    """A check-out closes the visit's ticket."""
    if fold.line.get("ticket_id") is None:
        return []
    return [Derived(TicketTransitioned(ticket_id=fold.line["ticket_id"], by=_edge(event), to_state="closed"))]


_CALLER_EVENTS: tuple[type[Payload], ...] = (CallRinging, CallAnswered, CallMissed, CallMessageRecorded, CallEnded)

# Which rules each edge event type runs, in order (a later rule sees what an earlier one did).
RULES: dict[str, tuple[Rule, ...]] = {
    CallTranscribed.TYPE: (transcribed_call_opens_ticket,),
    **{cls.TYPE: (late_caller_details_fill_ticket,) for cls in _CALLER_EVENTS},
    VisitorCheckedIn.TYPE: (check_in_opens_visit, late_check_in_closes_visit),
    VisitorCheckedOut.TYPE: (check_out_closes_visit,),
}
