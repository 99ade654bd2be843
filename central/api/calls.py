"""A call's ticket: the desk says what the ticket of a call should hold, and central decides
whether that means opening one or correcting the one the call already has (the rules open a
ticket when the transcript is classified; the desk may get there first, or the call may have no
category)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Response
from pydantic import Field

from frontdesk.schema.tickets import Kind

from ..auth.accounts import Staff
from ..auth.roles import allowed
from ..tickets.times import utc
from .deps import TICKET, Api, out
from .ticket_changes import correct
from .tickets import GUARD_KINDS, TicketFields, open_ticket

# Fields the desk's form corrects on a ticket the call already has (kind and title stay as opened).
CORRECTABLE = ("details", "unit", "contact_name", "contact_phone", "appointment_at")


class CallTicket(TicketFields):
    """The desk's ticket for a call: opens one of `kind`, or corrects the one the call has
    (its kind and title stay as opened)."""
    kind: Kind = Field(description="the kind of the ticket, if one is opened")


def call_ticket(api: Api, staff: Staff, call_id: str, req: CallTicket) -> tuple[dict[str, Any], bool]:
    """The call's ticket with the desk's fields applied, and whether it was opened now."""
    line = api.system.call_line(call_id)
    if line is None or not staff.can_see_site(line["site"]):
        raise HTTPException(404, "no such call")
    ticket = api.system.ticket_of_call(line)
    if ticket is None:
        if staff.role == "guard" and req.kind not in GUARD_KINDS:
            raise HTTPException(403, "guards open mail, visit and help-request tickets only")
        return open_ticket(api, staff, line["site"], source="desk", source_ref=call_id, **req.model_dump()), True
    if not allowed(staff.role, "tickets.change"):
        raise HTTPException(403, f"the {staff.role} role may not change this call's ticket")
    wanted = req.model_dump(include=set(CORRECTABLE), exclude_none=True)
    fields = {k: v for k, v in wanted.items() if not _same(v, ticket.get(k))}
    if not fields:
        return out(ticket, staff, TICKET), False
    return correct(api, staff, ticket["id"], fields), False


def _same(new: Any, old: Any) -> bool:
    if isinstance(new, datetime):
        return old is not None and utc(new) == utc(old)
    return bool(new == old)


def router(api: Api) -> APIRouter:
    """PUT /calls/{call_id}/ticket."""
    r = APIRouter(prefix="/api/v1", tags=["calls"])

    @r.put("/calls/{call_id}/ticket", summary="Open the call's ticket, or correct the one it has, with "
           "the desk's fields (tickets.create; correcting: tickets.change)",
           responses={201: {"description": "a ticket was opened for the call"},
                      200: {"description": "the call's ticket, corrected where the fields differ"}})
    def put_call_ticket(call_id: str, req: CallTicket, response: Response,
                        staff: Staff = Depends(api.require("tickets.create"))) -> dict[str, Any]:
        ticket, opened = call_ticket(api, staff, call_id, req)
        response.status_code = 201 if opened else 200
        return {**ticket, "opened": opened}

    return r
