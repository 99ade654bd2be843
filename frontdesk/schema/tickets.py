"""Tickets: every change to a ticket is an event, with who made it.

Central writes these as device "central" of the site (its own gap-free seq, in the same events
table as the edges' facts); an edge may write them too (a technician claiming a work order by
scanning its slip). Central's ticket projection folds them into the ticket read model.

`by` is the staff account (or "edge:<device>") that made the change: the audit trail and the
first-contact owner (首问负责制) both come from it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from .envelope import Payload, register_event

Kind = Literal["repair", "complaint", "help_request", "inquiry", "paid_service", "mail", "visit"]
PauseReason = Literal["waiting_resident", "appointment"]
TICKET_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
BY = Field(min_length=1, max_length=64)


def _plausible(value: datetime | None) -> datetime | None:
    # Timers add minutes and days to these; a year 1 or 9999 date would overflow, not help.
    if value is not None and not (2000 <= value.year <= 2100):
        raise ValueError("must be between the years 2000 and 2100")
    return value


class _TicketChange(Payload):
    ticket_id: str = Field(pattern=TICKET_ID)
    by: str = BY
    note: str | None = Field(default=None, max_length=2000)


@register_event("ticket.opened")
class TicketOpened(Payload):
    """A new ticket, with its kind, title, contact and where it came from (`source`, `source_ref`)."""

    ticket_id: str = Field(pattern=TICKET_ID)
    kind: Kind
    by: str = BY
    title: str = Field(min_length=1, max_length=200)
    details: str | None = Field(default=None, max_length=4000)
    unit: str | None = Field(default=None, max_length=32)
    contact_name: str | None = Field(default=None, max_length=120)
    contact_phone: str | None = Field(default=None, max_length=40)
    # Complaints: class 1 (our service), 2 (developer / building defect), 3 (outside our control).
    complaint_class: Literal[1, 2, 3] | None = None
    complaint_valid: bool | None = None
    major: bool = False
    parent_id: str | None = Field(default=None, pattern=TICKET_ID)
    # counter / phone / wechat: how a request reached the desk when a clerk types it in
    source: Literal["call", "kiosk", "desk", "mail", "api", "edge", "counter", "phone", "wechat"] = "desk"
    # The call_id / visit_id / mail number this ticket came from.
    source_ref: str | None = Field(default=None, max_length=64)
    appointment_at: datetime | None = None

    _appointment = field_validator("appointment_at")(classmethod(lambda cls, v: _plausible(v)))


@register_event("ticket.transitioned")
class TicketTransitioned(_TicketChange):
    """The ticket moved to `to_state` of its kind's lifecycle."""

    to_state: str = Field(pattern=r"^[a-z_]{1,32}$")


@register_event("ticket.assigned")
class TicketAssigned(_TicketChange):
    """The ticket was given to `assignee`."""

    assignee: str = Field(min_length=1, max_length=64)


@register_event("ticket.updated")
class TicketUpdated(_TicketChange):
    """Corrected fields (title, details, unit, contact, complaint class...)."""

    fields: dict[str, Any] = Field(min_length=1, max_length=12)

    @field_validator("fields")
    @classmethod
    def _known(cls, value: dict[str, Any]) -> dict[str, Any]:
        allowed = {"title", "details", "unit", "contact_name", "contact_phone", "complaint_class",
                   "complaint_valid", "major", "appointment_at", "parent_id"}
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValueError(f"fields not editable: {', '.join(unknown)}")
        for key, item in value.items():
            if isinstance(item, str) and len(item) > 4000:
                raise ValueError(f"{key} is longer than 4000 characters")
        if value.get("appointment_at") is not None:
            try:
                _plausible(datetime.fromisoformat(str(value["appointment_at"]).replace("Z", "+00:00")))
            except ValueError as err:
                raise ValueError(f"appointment_at: {err}") from None
        return value


@register_event("ticket.paused")
class TicketPaused(_TicketChange):
    """Timers that allow it stop counting: waiting for the resident, or an agreed appointment."""

    reason: PauseReason
    appointment_at: datetime | None = None

    _appointment = field_validator("appointment_at")(classmethod(lambda cls, v: _plausible(v)))


@register_event("ticket.resumed")
class TicketResumed(_TicketChange):
    """The pause ends: the ticket's timers count again."""
    pass


@register_event("ticket.reopened")
class TicketReopened(_TicketChange):
    """A done or closed ticket opened again, back at the first state of its kind."""
    pass


@register_event("ticket.callback_recorded")
class TicketCallbackRecorded(_TicketChange):
    """The callback (回访): reached the resident or not, satisfied or not."""

    reached: bool
    satisfied: bool | None = None


@register_event("ticket.attachment_added")
class TicketAttachmentAdded(_TicketChange):
    """Evidence added to the ticket: a photo of the work or the resident's signature. The image
    itself is kept at central (ticket_attachments); the event names it and its SHA-256."""

    attachment_id: str = Field(pattern=TICKET_ID)
    kind: Literal["photo", "signature"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=1, le=100 * 1024 * 1024)


@register_event("ticket.sla_breached")
class TicketSlaBreached(Payload):
    """One of the ticket's timers passed its due time unmet (written once per timer by central)."""

    ticket_id: str = Field(pattern=TICKET_ID)
    timer: str = Field(min_length=1, max_length=40)
    due_at: datetime
    by: str = BY
