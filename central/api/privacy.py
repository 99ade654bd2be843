"""Residents' personal data: erasing one person everywhere, and running the visit retention now."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from frontdesk.topics import ID_PATTERN

from ..auth.accounts import Staff
from ..tickets import privacy
from .deps import Api, sites_for


class Erasure(BaseModel):
    """Whom to erase: a phone number, or a name together with a unit; `site` keeps it to one site."""
    site: str | None = Field(default=None, pattern=f"^{ID_PATTERN}$")
    phone: str | None = Field(default=None, min_length=3, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    unit: str | None = Field(default=None, min_length=1, max_length=32)


def router(api: Api) -> APIRouter:
    """POST /privacy/erase, POST /privacy/retention."""
    r = APIRouter(prefix="/api/v1", tags=["privacy"])
    store, config = api.store, api.system.config

    @r.post("/privacy/erase", summary="Erase one resident's personal data everywhere (privacy.admin)")
    def erase(req: Erasure, staff: Staff = Depends(api.require("privacy.admin"))) -> dict[str, int]:
        try:
            counts = privacy.erase_person(store, sites_for(staff, req.site), phone=req.phone, name=req.name,
                                          unit=req.unit)
        except ValueError as err:
            raise HTTPException(422, str(err)) from None
        api.accounts.audit(staff, "erase", "person", req.unit, req.site,
                           {"counts": counts, "by_phone": bool(req.phone)})
        return counts

    @r.post("/privacy/retention", summary="Anonymise visit records past the retention period now (privacy.admin)")
    def retention(staff: Staff = Depends(api.require("privacy.admin"))) -> dict[str, int]:
        n = privacy.anonymise_visits(store, config.visit_retention_days)
        api.accounts.audit(staff, "anonymise", "visits", None, None, {"visits": n})
        return {"anonymised": n, "retention_days": config.visit_retention_days}

    return r
