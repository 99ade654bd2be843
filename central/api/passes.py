"""Visitor passes: central signs a pass for a site, and revokes passes at the named posts."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field, field_validator

from frontdesk.passes import load_private_key
from frontdesk.schema.access import PassesRevoke

from ..auth.accounts import Staff
from ..fleet.registry import site_pass_key
from ..passes import PassCapExceeded, check_pass_cap, issue_pass
from ..residents.invitations import LONGEST
from .deps import Api, build, check_site, plausible


class PassRequest(BaseModel):
    """A visitor pass to sign: the host unit, the visitor's name, hours valid, single use or not."""
    host_unit: str = Field(min_length=1, max_length=32)
    visitor_name: str = Field(min_length=1, max_length=64)
    hours: float = Field(default=24.0, gt=0, le=24 * 366)
    single_use: bool = True


class PassRevoke(BaseModel):
    """Passes to revoke at the named posts, with a reason and, optionally, when the revocation ends."""
    pass_ids: list[str] = Field(min_length=1, max_length=10_000)
    devices: list[str] = Field(min_length=1, max_length=100, description="the posts that must refuse them")
    reason: str | None = Field(default=None, max_length=200)
    until: datetime | None = None
    _u = field_validator("until")(classmethod(lambda cls, v: plausible(v)))


def router(api: Api) -> APIRouter:
    """GET /passes/caps, POST /sites/{site}/passes, POST /sites/{site}/passes/revoke."""
    r = APIRouter(prefix="/api/v1", tags=["passes"])
    require = api.require

    @r.get("/passes/caps", summary="The longest passes the signed-in user's role may issue, and every "
           "role's ([tickets.pass_caps]; commands.passes)")
    def caps(staff: Staff = Depends(require("commands.passes"))) -> dict[str, Any]:
        table = api.system.config.pass_caps
        mine = table.get(staff.role)
        return {"role": staff.role,
                "single_use_hours": mine.single_use_hours if mine else 0,
                "multi_use_hours": mine.multi_use_hours if mine else 0,
                # Invitations are single-use and end at most this far ahead, whoever makes them.
                "invitation_days_ahead": LONGEST.days,
                "roles": {role: cap.model_dump() for role, cap in table.items()}}

    @r.post("/sites/{site}/passes", status_code=201, summary="Issue a signed visitor pass for the "
            "site (commands.passes); the token goes into the visitor's QR code. Longer than the user's "
            "role may issue ([tickets.pass_caps], GET /passes/caps): 403 naming the cap")
    def issue(site: str, req: PassRequest, staff: Staff = Depends(require("commands.passes"))) -> dict[str, Any]:
        check_site(staff, site)
        try:
            check_pass_cap(api.system.config.pass_caps, staff.role, req.hours, req.single_use)
        except PassCapExceeded as err:
            raise HTTPException(403, err.to_json()) from None
        path = api.system.config.pass_keys.get(site) or site_pass_key(api.fleet_dir, site)
        if path is None:
            raise HTTPException(409, f"site {site!r} has no pass signing key ([tickets.pass_keys] in the config, "
                                "or `frontdesk central site add`)")
        try:
            key = load_private_key(path)
            pass_id, token = issue_pass(key, site=site, host_unit=req.host_unit, visitor_name=req.visitor_name,
                                        hours=req.hours, single_use=req.single_use)
        except (OSError, ValueError) as err:
            raise HTTPException(409, f"cannot issue the pass: {err}") from None
        api.accounts.audit(staff, "change", "pass", pass_id, site,
                           {"host_unit": req.host_unit, "hours": req.hours, "single_use": req.single_use})
        return {"pass_id": pass_id, "token": token, "site": site, "host_unit": req.host_unit}

    @r.post("/sites/{site}/passes/revoke", status_code=201, summary="Revoke passes at the named posts: "
            "one passes.revoke command each, sent until acknowledged (commands.passes)")
    def revoke(site: str, req: PassRevoke, staff: Staff = Depends(require("commands.passes"))) -> list[dict[str, Any]]:
        check_site(staff, site)
        revocation = build(PassesRevoke, pass_ids=req.pass_ids, reason=req.reason, until=req.until)
        return [api.send(site, device, revocation) for device in dict.fromkeys(req.devices)]

    return r
