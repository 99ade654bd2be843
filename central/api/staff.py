"""Staff as the desk picks them: the technicians of a site, to assign a ticket to."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from ..auth.accounts import Staff
from ..auth.roles import ROLES
from .deps import SITE_Q, Api, sites_for


def router(api: Api) -> APIRouter:
    """GET /staff."""
    r = APIRouter(prefix="/api/v1", tags=["staff"])

    @r.get("/staff", summary="Active staff of a site (or of the account's sites) and their display names, "
           "optionally of one role: the technician picker (tickets.change)")
    def staff_list(site: str | None = SITE_Q, role: str | None = Query(None, pattern="^(" + "|".join(ROLES) + ")$"),
                   staff: Staff = Depends(api.require("tickets.change"))) -> list[dict[str, Any]]:
        return api.accounts.staff_of(sites_for(staff, site), role)

    return r
