"""Work orders: issue a ticket's work order (and assign it), and print its slip at an edge."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from frontdesk.schema.printing import PrintSlip
from frontdesk.schema.tickets import TicketAssigned, TicketTransitioned

from ..auth.accounts import Staff
from ..tickets import lifecycle
from ..tickets.workorder import workorder_data
from .deps import SITE, TICKET, Api, check_site, out, shown

ISSUED = "work_order_issued"


class PrintRequest(BaseModel):
    """Where to print a ticket's slip: the edge (device), optionally its printer, and the language."""
    device: str = SITE
    printer: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    language: Literal["zh", "en"] = "zh"


class WorkOrder(PrintRequest):
    """A work order's print request, and optionally who to assign the ticket to."""
    assignee: str | None = Field(default=None, min_length=1, max_length=64)


def print_slip(api: Api, ticket: dict[str, Any], staff: Staff, req: PrintRequest, base_url: str) -> dict[str, Any]:
    """The ticket's print.slip command to `req.device`, made once per ticket and device; the slip's
    QR is the claim address under [tickets] public_url, else under `base_url` (this request's)."""
    check_site(staff, ticket["site"])
    claim = api.system.claim_address(ticket["id"], base_url)
    data = workorder_data(ticket, api.system.config.sla.get(ticket["kind"], []), req.language, claim)
    # One work-order job per ticket, "wo:<ticket>": the edge's print queue ignores a job id it
    # has seen, so asking twice prints once (print.reprint prints again).
    job_id = f"wo:{ticket['id']}"[:80]
    existing = [c for c in api.store.list_commands(sites=(ticket["site"],), device=req.device,
                                                   type_=PrintSlip.TYPE, limit=50)
                if c["payload"].get("job_id") == job_id]
    if existing:
        return existing[0]
    slip = PrintSlip(job_id=job_id, kind="workorder", language=req.language, data=data, printer=req.printer)
    return api.send(ticket["site"], req.device, slip)


def router(api: Api) -> APIRouter:
    """POST /tickets/{id}/work-order, POST /tickets/{id}/print."""
    r = APIRouter(prefix="/api/v1", tags=["work orders"])
    system, require = api.system, api.require

    @r.post("/tickets/{ticket_id}/work-order", summary="Make the work order: issue it (repair), "
            "optionally assign, and print the slip at an edge (tickets.change)")
    def work_order(ticket_id: str, req: WorkOrder, request: Request,
                   staff: Staff = Depends(require("tickets.change"))) -> dict[str, Any]:
        ticket = api.ticket(ticket_id, staff)
        api.refuse_unless(ticket, "work_order")
        kind = ticket["kind"]
        if ISSUED in lifecycle.states(kind) and lifecycle.rank(kind, ticket["state"]) < lifecycle.rank(kind, ISSUED):
            system.change(TicketTransitioned(ticket_id=ticket_id, by=staff.username, to_state=ISSUED))
        if req.assignee:
            system.change(TicketAssigned(ticket_id=ticket_id, by=staff.username, assignee=req.assignee))
        ticket = api.ticket(ticket_id, staff)
        return {"ticket": out(ticket, staff, TICKET),
                "command": shown(print_slip(api, ticket, staff, req, str(request.base_url)), staff)}

    @r.post("/tickets/{ticket_id}/print", summary="Print the ticket's slip on an edge's printer (commands.print)")
    def print_ticket(ticket_id: str, req: PrintRequest, request: Request,
                     staff: Staff = Depends(require("commands.print"))) -> dict[str, Any]:
        return shown(print_slip(api, api.ticket(ticket_id, staff), staff, req, str(request.base_url)), staff)

    return r
