"""Residents' personal data: erasing one person at central and on the site's edges, following a
request, and the retention periods (run now, or look at them)."""
from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import Field, model_validator

from frontdesk.schema.privacy import Subject
from frontdesk.topics import ID_PATTERN

from ..auth.accounts import Staff
from .deps import Api, sites_for

REQUEST_ID = re.compile(r"[0-9a-f-]{1,64}")


class ErasureRequest(Subject):
    """Whom to erase (a phone number, a name together with its unit, a card id or a visit id) and,
    optionally, the one site to erase on (else every site the account sees)."""
    site: str | None = Field(default=None, pattern=f"^{ID_PATTERN}$")

    @model_validator(mode="after")
    def _storable(self) -> ErasureRequest:
        # Text no database column can hold names nobody (and must not reach a query as a NUL byte).
        for name in ("phone", "name", "unit", "card_id", "visit_id"):
            value = getattr(self, name)
            if value is None:
                continue
            if "\x00" in value:
                raise ValueError(f"{name} holds a NUL character")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(f"{name} is not valid Unicode text") from None
        return self

    def subject(self) -> Subject:
        return Subject(**self.model_dump(exclude={"site"}))


def router(api: Api) -> APIRouter:
    """POST /privacy/erase, GET /privacy/requests/{id}, GET|POST /privacy/retention."""
    r = APIRouter(prefix="/api/v1", tags=["privacy"])
    privacy = api.privacy

    @r.post("/privacy/erase", status_code=201, summary="Erase one person's personal data at central and on "
            "every edge of the site(s): central's counts per table and one privacy.erase command per edge "
            "(privacy.admin)")
    def erase(req: ErasureRequest, staff: Staff = Depends(api.require("privacy.admin"))) -> dict[str, Any]:
        sites = sites_for(staff, req.site)
        try:
            return privacy.requests.erase(staff, req.subject(), req.site, sites)
        except ValueError as err:
            raise HTTPException(422, str(err)) from None

    @r.get("/privacy/requests/{request_id}", summary="An erasure request: central's counts, each edge's state "
           "and answer (privacy.admin)")
    def request(request_id: str, staff: Staff = Depends(api.require("privacy.admin"))) -> dict[str, Any]:
        found = privacy.requests.get(request_id, staff) if REQUEST_ID.fullmatch(request_id) else None
        if found is None:
            raise HTTPException(404, "no such privacy request")
        return found

    @r.get("/privacy/retention", summary="The retention days per kind, by default and per site (privacy.admin)")
    def periods(staff: Staff = Depends(api.require("privacy.admin"))) -> dict[str, Any]:
        cfg = privacy.config
        return {"defaults": cfg.defaults(), "sites": {s: cfg.days_for(s) for s in sorted(cfg.sites)
                                                      if staff.can_see_site(s)}}

    @r.post("/privacy/retention", summary="Apply the retention periods now (also run by the service every "
            "[privacy] run_every_s) and bring the edges' retention.set up to date (privacy.admin)")
    def retention(staff: Staff = Depends(api.require("privacy.admin"))) -> dict[str, Any]:
        done = privacy.run_retention()
        api.accounts.audit(staff, "anonymise", "retention", None, None, done)
        return done

    return r
