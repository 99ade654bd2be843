"""The desk home's panels: what needs the clerk now (central/tickets/attention.py)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ..auth.accounts import Staff
from ..tickets.attention import attention
from .deps import SITE_Q, Api, sites_for


def router(api: Api) -> APIRouter:
    """GET /desk/attention."""
    r = APIRouter(prefix="/api/v1", tags=["desk"])

    @r.get("/desk/attention", summary="What needs the desk now: tickets falling due within 30 minutes, "
           "overdue tickets, callbacks due (board columns, at most 50 each), visitors on site and mail "
           "waiting (counts) (tickets.read)")
    def desk_attention(site: str | None = SITE_Q,
                       staff: Staff = Depends(api.require("tickets.read"))) -> dict[str, Any]:
        found = attention(api.store, sites_for(staff, site))
        for panel in ("due_soon", "overdue", "callbacks"):
            found[panel] = api.board_rows(staff, found[panel], site, via="desk-attention", panel=panel)
        return found

    return r
