"""The technician's side: the slip's claim address, claiming a work order, a technician's list,
and the evidence of the work (photos, the resident's signed confirmation).

`GET /w/{token}` is the only route here that needs no login: it is what a phone's camera app
opens from the slip's QR, and it only sends the phone on to the technician's page, which logs in
and then resolves the token through `GET /api/v1/claim-links/{token}`.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, HTTPException, Path
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from frontdesk.schema.tickets import TicketTransitioned
from frontdesk.web.headers import SecureRoute

from ..auth.accounts import Staff
from ..tickets import lifecycle
from ..tickets.changes import CLAIMED, holder
from ..tickets.links import FORGED, LinkError
from ..tickets.times import iso
from .deps import EVENT_ID_FIELD, TICKET, Api, EventId, as_json, out, shown

NOTE = Field(default=None, max_length=2000)
# Where the claim address sends a phone: the technician's page, which resolves the token after login.
TECH_PAGE = "/dashboard/tech"
TOKEN_PATH = Path(max_length=200)


class Claim(BaseModel):
    """A claim (签收) of a work order: an optional note and event_id."""
    note: str | None = NOTE
    event_id: EventId = EVENT_ID_FIELD


def claim(api: Api, staff: Staff, ticket_id: str, req: Claim) -> dict[str, Any]:
    """Claim the work order for `staff`: 200 with the ticket (also when they hold it already),
    409 {"message", "holder"} when someone else does. The decision is the projection's
    (changes.claimed, in the ingest transaction with the ticket row locked), not a read here."""
    ticket = api.ticket(ticket_id, staff)
    if CLAIMED not in lifecycle.states(ticket["kind"]):
        raise HTTPException(422, f"{ticket['kind']} tickets are not work orders to claim")
    if not ticket["is_open"]:
        raise HTTPException(422, "the ticket is closed")
    resent = req.event_id is not None and api.already_written(staff, TicketTransitioned(
        ticket_id=ticket_id, by=staff.username, to_state=CLAIMED), req.event_id)
    if holder(ticket) == staff.username and not resent:
        return out(ticket, staff, TICKET)  # already yours: nothing to write
    ticket, line = api.write(staff, TicketTransitioned, ticket_id, req.event_id, to_state=CLAIMED, note=req.note)
    if holder(ticket) != staff.username:
        reason = (line or {}).get("detail", {}).get("reason") or "the work order was not claimed"
        raise HTTPException(409, {"message": reason, "holder": holder(ticket)})
    return out(ticket, staff, TICKET)


def router(api: Api) -> APIRouter:
    """GET /w/{token}, GET /claim-links/{token}, GET /work-orders/mine, POST /tickets/{id}/claim."""
    r = APIRouter(tags=["technicians"], route_class=SecureRoute)
    system, require = api.system, api.require

    @r.get("/w/{token}", include_in_schema=False, status_code=303)
    def claim_address(token: str = TOKEN_PATH) -> RedirectResponse:
        # No lookup and no login here: the page checks the token after its login. The token goes
        # back out only percent-encoded in the Location header, never into a page.
        return RedirectResponse(f"{TECH_PAGE}?{urlencode({'claim': token})}", status_code=303,
                                headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    @r.get("/api/v1/claim-links/{token}", summary="The work order a slip's claim token names, with who holds it "
           "(tickets.read): 400 forged, 410 expired, 404 no such ticket (or not on the account's sites)")
    def claim_link(token: str = TOKEN_PATH, staff: Staff = Depends(require("tickets.read"))) -> dict[str, Any]:
        try:
            ticket_id, expires_at = system.links.check(token)
        except LinkError as err:
            raise HTTPException(400 if err.reason == FORGED else 410, err.reason) from None
        ticket = system.get(ticket_id)
        if ticket is None or not staff.can_see_site(ticket["site"]):
            raise HTTPException(404, "no such ticket")
        body = {**as_json(ticket), "holder": holder(ticket), "link_expires_at": iso(expires_at)}
        api.audit_read(staff, "ticket", ticket_id, ticket["site"], body, record=TICKET, via="claim-link")
        return shown(body, staff, TICKET)

    @r.get("/api/v1/work-orders/mine", summary="A technician's list: open tickets assigned to the caller, and "
           "unclaimed work orders on the caller's sites, each soonest due first (tickets.work)")
    def mine(staff: Staff = Depends(require("tickets.work"))) -> dict[str, list[dict[str, Any]]]:
        lists = system.work_orders(staff.username, staff.site_filter())
        return {name: api.board_rows(staff, rows, None, via="work-orders", list=name) for name, rows in lists.items()}

    @r.post("/api/v1/tickets/{ticket_id}/claim", summary="Claim (签收) a work order: it becomes the caller's and "
            "the claim timer stops (tickets.work); 409 naming the holder if someone else has it")
    def claim_order(ticket_id: str, req: Claim | None = Body(None),
                    staff: Staff = Depends(require("tickets.work"))) -> dict[str, Any]:
        return claim(api, staff, ticket_id, req or Claim())

    return r
