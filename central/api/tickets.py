"""Tickets: the board, opening a ticket by hand, one ticket with its history, a unit's recent
tickets, and the SLA definitions with the lifecycles."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field, field_validator

from frontdesk.ids import new_id
from frontdesk.schema import SchemaError
from frontdesk.schema.tickets import TICKET_ID, Kind, TicketOpened

from ..auth.accounts import Staff
from ..tickets import lifecycle
from ..tickets.system import TicketNotFound
from .deps import SITE, SITE_Q, TICKET, Api, as_json, build, check_site, out, plausible, shown, sites_for

# The board screen shows every open ticket of a site at once (rendered in one pass: board.js).
BOARD_MAX = 5000
BOARD_IDS_MAX = 100
# Guards open these kinds only (the gate's mail and visitors, and help requests).
GUARD_KINDS = ("mail", "visit", "help_request")


class TicketFields(BaseModel):
    """What the desk fills in for a ticket."""

    title: str = Field(min_length=1, max_length=200)
    details: str | None = Field(default=None, max_length=4000)
    unit: str | None = Field(default=None, max_length=32)
    contact_name: str | None = Field(default=None, max_length=120)
    contact_phone: str | None = Field(default=None, max_length=40)
    appointment_at: datetime | None = None
    _a = field_validator("appointment_at")(classmethod(lambda cls, v: plausible(v)))


class NewTicket(TicketFields):
    """A ticket opened by hand: the desk's fields plus site, kind, complaint details, parent and source."""
    site: str = SITE
    kind: Kind
    complaint_class: Literal[1, 2, 3] | None = None
    complaint_valid: bool | None = None
    major: bool = False
    parent_id: str | None = Field(default=None, pattern=TICKET_ID)
    # counter, phone, wechat: how the request reached the desk (the new-ticket form asks)
    source: Literal["desk", "mail", "api", "counter", "phone", "wechat"] = "desk"
    source_ref: str | None = Field(default=None, max_length=64)


def open_ticket(api: Api, staff: Staff, site: str, **fields: Any) -> dict[str, Any]:
    """Open a ticket for `staff` on `site` (a ticket.opened event); 422 if refused."""
    opened = build(TicketOpened, ticket_id=new_id(), by=staff.username, **fields)
    try:
        ticket = api.system.open(site, opened)
    except (TicketNotFound, SchemaError) as err:
        raise HTTPException(422, str(err)) from None
    if opened.contact_name or opened.contact_phone:
        api.accounts.audit(staff, "change", "ticket", ticket["id"], site, {"fields": ["contact"]})
    return out(ticket, staff, TICKET)


def router(api: Api) -> APIRouter:
    """GET/POST /tickets, GET /tickets/search, GET /tickets/{id}, GET /sites/{site}/units/{unit}/tickets,
    GET /sla."""
    r = APIRouter(prefix="/api/v1", tags=["tickets"])
    system, require = api.system, api.require

    @r.get("/tickets", summary="The ticket board: open tickets, soonest due first (tickets.read)")
    def board(site: str | None = SITE_Q, kind: Kind | None = None, state: str | None = Query(None, max_length=32),
              unit: str | None = Query(None, max_length=32), assignee: str | None = Query(None, max_length=64),
              overdue: bool = Query(False, description="only tickets whose next timer is past due"),
              id: list[str] | None = Query(None, max_length=BOARD_IDS_MAX,
                                           description="only these tickets (a screen refreshing the rows an event "
                                                       "named; the other filters still apply)"),
              include_closed: bool = False, limit: int = Query(100, ge=1, le=BOARD_MAX),
              staff: Staff = Depends(require("tickets.read"))) -> list[dict[str, Any]]:
        rows = system.board(sites_for(staff, site), kind=kind, state=state, unit=unit, assignee=assignee,
                            open_only=not include_closed, limit=limit, ids=id,
                            due_before=datetime.now(UTC) if overdue else None)
        return api.board_rows(staff, rows, site)

    @r.post("/tickets", status_code=201, summary="Open a ticket by hand (tickets.create)")
    def create(req: NewTicket, staff: Staff = Depends(require("tickets.create"))) -> dict[str, Any]:
        check_site(staff, req.site)
        if staff.role == "guard" and req.kind not in GUARD_KINDS:
            raise HTTPException(403, "guards open mail, visit and help-request tickets only")
        return open_ticket(api, staff, req.site, **req.model_dump(exclude={"site"}))

    @r.get("/tickets/search", summary="Find tickets by number (BX-20261129-007), unit, phone digits, name or "
           "title, newest first (tickets.read)")
    def search(q: str = Query(min_length=1, max_length=64), site: str | None = SITE_Q,
               limit: int = Query(50, ge=1, le=200),
               staff: Staff = Depends(require("tickets.read"))) -> list[dict[str, Any]]:
        return api.board_rows(staff, system.search(sites_for(staff, site), q, limit), site, via="search")

    @r.get("/tickets/{ticket_id}", summary="One ticket with its timers, history and child tickets (tickets.read)")
    def get(ticket_id: str, staff: Staff = Depends(require("tickets.read"))) -> dict[str, Any]:
        ticket = api.ticket(ticket_id, staff)
        # The history's notes and the children are shown with the ticket: masked and audited with it
        # (the children's titles may quote their own contacts).
        body = {**as_json(ticket), "history": system.history(ticket_id),
                "children": [as_json(c) for c in system.children(ticket_id)],
                "states": list(lifecycle.states(ticket["kind"]))}
        known = system.contacts([c["id"] for c in body["children"]])
        api.audit_read(staff, "ticket", ticket_id, ticket["site"], body, record=TICKET, known=known)
        return shown(body, staff, TICKET, known)

    @r.get("/sites/{site}/units/{unit}/tickets", summary="A unit's recent tickets (tickets.read)")
    def unit_tickets(site: str, unit: str, limit: int = Query(10, ge=1, le=100),
                     staff: Staff = Depends(require("tickets.read"))) -> list[dict[str, Any]]:
        check_site(staff, site)
        return api.board_rows(staff, system.recent_for_unit(site, unit[:32], limit), site, unit=unit[:32])

    @r.get("/sla", summary="The SLA timer definitions per kind, and the lifecycles (tickets.read)")
    def sla(staff: Staff = Depends(require("tickets.read"))) -> dict[str, Any]:
        return {"lifecycles": {k: list(lifecycle.states(k)) for k in lifecycle.KINDS},
                "timers": {k: [t.model_dump() for t in v] for k, v in system.config.sla.items()},
                # the forms say at once which photos are too large (central refuses them anyway)
                "photo_max_mb": system.config.photo_max_mb}

    return r
