"""The desk home's panels: what needs the clerk now (central/tickets/attention.py)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ..auth.accounts import Staff
from ..tickets.attention import attention
from .deps import SITE_Q, TICKET, Api, out, sites_for


def router(api: Api) -> APIRouter:
    """GET /desk/attention."""
    r = APIRouter(prefix="/api/v1", tags=["desk"])

    @r.get("/desk/attention", summary="What needs the desk now: tickets falling due within 30 minutes, "
           "overdue tickets, callbacks due (board columns, at most 50 each), visitors on site and mail "
           "waiting (counts) (tickets.read)")
    def desk_attention(site: str | None = SITE_Q,
                       staff: Staff = Depends(api.require("tickets.read"))) -> dict[str, Any]:
        found = attention(api.store, sites_for(staff, site))
        panels = ("due_soon", "overdue", "callbacks")
        api.audit_read(staff, "tickets", None, site, [row for p in panels for row in found[p]], record=TICKET,
                       via="desk-attention")
        for panel in panels:
            found[panel] = [out(row, staff, TICKET) for row in found[panel]]
        return found

    return r
