"""Changes to a ticket: lifecycle moves, assignment, corrections, pauses, reopening, the callback.
Each is one ticket.* event written as device `central` with the staff member as `by`."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field, field_validator

from frontdesk.schema.tickets import (
    TICKET_ID,
    PauseReason,
    TicketAssigned,
    TicketCallbackRecorded,
    TicketPaused,
    TicketReopened,
    TicketResumed,
    TicketTransitioned,
    TicketUpdated,
)

from ..auth.accounts import Staff
from ..auth.roles import TECHNICIAN_STATES, allowed
from .deps import EVENT_ID_FIELD, PERSONAL, Api, EventId, plausible

NOTE = Field(default=None, max_length=2000)


class Transition(BaseModel):
    """A move to another state of the ticket's lifecycle, with an optional note (and event_id)."""
    to_state: str = Field(pattern=r"^[a-z_]{1,32}$")
    note: str | None = NOTE
    event_id: EventId = EVENT_ID_FIELD


class Assign(BaseModel):
    """Who the ticket is given to, with an optional note."""
    assignee: str = Field(min_length=1, max_length=64)
    note: str | None = NOTE


class Patch(BaseModel):
    """Corrected fields (only those sent change), with an optional note."""
    title: str | None = Field(default=None, min_length=1, max_length=200)
    details: str | None = Field(default=None, max_length=4000)
    unit: str | None = Field(default=None, max_length=32)
    contact_name: str | None = Field(default=None, max_length=120)
    contact_phone: str | None = Field(default=None, max_length=40)
    complaint_class: Literal[1, 2, 3] | None = None
    complaint_valid: bool | None = None
    major: bool | None = None
    appointment_at: datetime | None = None
    parent_id: str | None = Field(default=None, pattern=TICKET_ID)
    note: str | None = NOTE
    _a = field_validator("appointment_at")(classmethod(lambda cls, v: plausible(v)))


class Pause(BaseModel):
    """Why the timers stop, the appointment agreed (if any), and an optional note (and event_id)."""
    reason: PauseReason
    appointment_at: datetime | None = None
    note: str | None = NOTE
    event_id: EventId = EVENT_ID_FIELD
    _a = field_validator("appointment_at")(classmethod(lambda cls, v: plausible(v)))


class Note(BaseModel):
    """An optional note (resume, reopen)."""
    note: str | None = NOTE


class Resume(Note):
    """An optional note and event_id (resume)."""
    event_id: EventId = EVENT_ID_FIELD


class Callback(BaseModel):
    """The callback's outcome: whether the resident was reached and satisfied, and an optional note."""
    reached: bool
    satisfied: bool | None = None
    note: str | None = NOTE


def correct(api: Api, staff: Staff, ticket_id: str, fields: dict[str, Any], note: str | None = None) -> dict[str, Any]:
    """Correct a ticket's fields (a ticket.updated event); changes to contact details are audited."""
    fields = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in fields.items()}
    if not fields:
        raise HTTPException(422, "nothing to change")
    ticket = api.change(staff, TicketUpdated, ticket_id, fields=fields, note=note)
    if changed := sorted(set(fields) & set(PERSONAL)):
        api.accounts.audit(staff, "change", "ticket", ticket_id, ticket["site"], {"fields": changed})
    return ticket


def router(api: Api) -> APIRouter:
    """POST /tickets/{id}/transition|assign|pause|resume|reopen|callback, PATCH /tickets/{id}."""
    r = APIRouter(prefix="/api/v1", tags=["tickets"])
    require = api.require

    @r.post("/tickets/{ticket_id}/transition", summary="Move to another state of the lifecycle "
            "(tickets.change; technicians: claimed, on_site, done)")
    def transition(ticket_id: str, req: Transition, staff: Staff = Depends(require("tickets.read"))) -> dict[str, Any]:
        need = "tickets.work" if req.to_state in TECHNICIAN_STATES else "tickets.change"
        if not allowed(staff.role, need):
            raise HTTPException(403, f"the {staff.role} role may not move a ticket to {req.to_state}")
        # event_id included; a move the ticket's state makes meaningless (back, or to where it is) is a 409
        return api.change(staff, TicketTransitioned, ticket_id, must_apply=True, **req.model_dump())

    @r.post("/tickets/{ticket_id}/assign", summary="Give the ticket to a technician (tickets.change)")
    def assign(ticket_id: str, req: Assign, staff: Staff = Depends(require("tickets.change"))) -> dict[str, Any]:
        api.refuse_unless(api.ticket(ticket_id, staff), "assign")
        return api.change(staff, TicketAssigned, ticket_id, **req.model_dump())

    @r.patch("/tickets/{ticket_id}", summary="Correct fields (tickets.change)")
    def patch(ticket_id: str, req: Patch, staff: Staff = Depends(require("tickets.change"))) -> dict[str, Any]:
        if req.model_fields_set & {"complaint_class", "complaint_valid"}:
            api.refuse_unless(api.ticket(ticket_id, staff), "complaint")
        return correct(api, staff, ticket_id, req.model_dump(exclude_unset=True, exclude={"note"}), req.note)

    @r.post("/tickets/{ticket_id}/pause", summary="Stop pausable timers: waiting for the resident, "
            "or an agreed appointment (tickets.work)")
    def pause(ticket_id: str, req: Pause, staff: Staff = Depends(require("tickets.work"))) -> dict[str, Any]:
        return api.change(staff, TicketPaused, ticket_id, must_apply=True, **req.model_dump())  # event_id included

    @r.post("/tickets/{ticket_id}/resume", summary="Timers count again (tickets.work)")
    def resume(ticket_id: str, req: Resume, staff: Staff = Depends(require("tickets.work"))) -> dict[str, Any]:
        return api.change(staff, TicketResumed, ticket_id, must_apply=True, **req.model_dump())

    @r.post("/tickets/{ticket_id}/reopen", summary="Reopen a done or closed ticket (tickets.change)")
    def reopen(ticket_id: str, req: Note, staff: Staff = Depends(require("tickets.change"))) -> dict[str, Any]:
        api.refuse_unless(api.ticket(ticket_id, staff), "reopen")
        return api.change(staff, TicketReopened, ticket_id, **req.model_dump())

    @r.post("/tickets/{ticket_id}/callback", summary="Record the callback (回访) (tickets.change)")
    def callback(ticket_id: str, req: Callback, staff: Staff = Depends(require("tickets.change"))) -> dict[str, Any]:
        api.refuse_unless(api.ticket(ticket_id, staff), "callback")
        return api.change(staff, TicketCallbackRecorded, ticket_id, **req.model_dump())

    return r
