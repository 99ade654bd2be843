"""Monthly statistics per site: rates and complaint counts, as JSON or a bar chart."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Response

from frontdesk.topics import ID_PATTERN

from ..auth.accounts import Staff
from ..tickets import stats
from .deps import Api, check_site

MONTH = r"^(20\d\d)-(0[1-9]|1[0-2])$"


def router(api: Api) -> APIRouter:
    """GET /stats/monthly, GET /stats/monthly.png."""
    r = APIRouter(prefix="/api/v1", tags=["statistics"])
    system = api.system
    site_q = Query(..., pattern=f"^{ID_PATTERN}$")
    month_q = Query(..., pattern=MONTH, description="YYYY-MM, in the site's time zone")

    def monthly_of(staff: Staff, site: str, month: str) -> dict[str, Any]:
        check_site(staff, site)
        return stats.monthly(system.store, site, month, system.tz_for(site))

    @r.get("/stats/monthly", summary="Monthly rates and complaint counts per kind (stats.read)")
    def monthly(site: str = site_q, month: str = month_q,
                staff: Staff = Depends(api.require("stats.read"))) -> dict[str, Any]:
        return monthly_of(staff, site, month)

    @r.get("/stats/monthly.png", summary="The month's rates as a bar chart (stats.read)",
           responses={200: {"content": {"image/png": {}}}}, response_class=Response)
    def monthly_png(site: str = site_q, month: str = month_q,
                    staff: Staff = Depends(api.require("stats.read"))) -> Response:
        return Response(stats.plot_png(monthly_of(staff, site, month)), media_type="image/png")

    return r
