"""Residents invite visitors: signing in with a phone number and a one-time code, invitations and
their cancelling, the visitor's link, the desk's side (codes it reads out, passes it issues for a
resident), and the resident and visitor pages under /r/.

Residents are not staff: their endpoints (/api/v1/resident/...) take only the resident session
cookie, and staff endpoints never take it (they read only the staff cookie or a bearer token).
"""
from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse
from fastapi.security import APIKeyCookie
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select

from frontdesk.masking import mask_phone
from frontdesk.passes import load_private_key
from frontdesk.schema.access import PassesRevoke
from frontdesk.topics import ID_PATTERN
from frontdesk.web import SecureRoute, static_file, static_router, toolkit_router

from ..auth.accounts import Staff
from ..auth.clients import client_address, networks
from ..directory.residents import phone_key
from ..directory.tables import directory
from ..fleet.registry import site_pass_key
from ..passes import PassCapExceeded, check_pass_cap
from ..residents.codes import Locked, NotAPhoneNumber, NotListed, RateLimited, SignIn, WrongCode
from ..residents.invitations import InvitationError, Invitations, NewInvitation
from ..residents.qr import pass_svg
from ..residents.sessions import COOKIE, CSRF_HEADER, ResidentSession, ResidentSessions
from ..tickets.times import iso
from .deps import Api, build, check_site, out, plausible

STATIC = Path(__file__).resolve().parents[1] / "residents" / "static"
PAGES = ("signin", "invitations", "invite")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SITE_PATH = f"^{ID_PATTERN}$"
SITE_P = PathParam(pattern=SITE_PATH)


def _clean_name(value: str) -> str:
    value = value.strip()
    if not value or not value.isprintable():
        raise ValueError("must be printable text, not blank")
    return value


def _phone(value: str | None) -> str | None:
    value = (value or "").strip() or None
    if value is not None and phone_key(value) is None:
        raise ValueError("is not a phone number")
    return value


class CodeAsk(BaseModel):
    """A phone number that asks for a sign-in code."""
    phone: str = Field(min_length=3, max_length=40)


class CodeTry(BaseModel):
    """A phone number and the code it got."""
    phone: str = Field(min_length=3, max_length=40)
    code: str = Field(min_length=1, max_length=12)


class InvitationAsk(BaseModel):
    """A visitor to invite: the unit, the visitor's name (phone optional) and the time window."""
    unit: str = Field(min_length=1, max_length=32)
    visitor_name: str = Field(min_length=1, max_length=32)
    visitor_phone: str | None = Field(default=None, max_length=32)
    valid_from: datetime
    valid_until: datetime
    _n = field_validator("visitor_name")(classmethod(lambda cls, v: _clean_name(v)))
    _p = field_validator("visitor_phone")(classmethod(lambda cls, v: _phone(v)))
    _t = field_validator("valid_from", "valid_until")(classmethod(lambda cls, v: plausible(v)))


@dataclass
class Residents:
    """What the resident routes share."""
    api: Api
    signin: SignIn
    sessions: ResidentSessions
    invitations: Invitations

    def listed_units(self, site: str, key: str) -> set[str]:
        """The units the directory lists this number key for now."""
        with self.api.store.engine.connect() as conn:
            return {u for (u,) in conn.execute(select(directory.c.unit).where(directory.c.site == site,
                                                                            directory.c.phone_key == key))}

    def unit_exists(self, site: str, unit: str) -> bool:
        with self.api.store.engine.connect() as conn:
            return conn.execute(select(directory.c.id).where(directory.c.site == site, directory.c.unit == unit)
                                .limit(1)).first() is not None

    def key(self, site: str) -> Ed25519PrivateKey:
        """The site's pass-signing key, or 409 saying how to give it one."""
        path = self.api.system.config.pass_keys.get(site) or site_pass_key(self.api.fleet_dir, site)
        if path is None:
            raise HTTPException(409, f"site {site!r} has no pass signing key ([tickets.pass_keys] in the config, "
                                "or `frontdesk central site add`)")
        try:
            return load_private_key(path)
        except (OSError, ValueError) as err:
            raise HTTPException(409, f"cannot load the site's pass signing key: {err}") from None

    def create(self, new: NewInvitation, request: Request) -> dict[str, Any]:
        try:
            invitation, token = self.invitations.create(new, self.key(new.site))
        except InvitationError as err:
            raise HTTPException(422, str(err)) from None
        base = self.api.system.public_base(str(request.base_url))
        return {**invitation, "link": f"{base.rstrip('/')}/r/v/{token}"}

    def cancel(self, invitation: dict[str, Any], by: str) -> dict[str, Any]:
        """Cancel, then revoke the pass at the site's kiosks and gates until it would have ended."""
        try:
            done = self.invitations.cancel(invitation, by)
        except InvitationError as err:
            raise HTTPException(409, str(err)) from None
        site = done["site"]
        posts = self.invitations.pass_posts(site, self.api.system.config.pass_posts.get(site, ()))
        revocation = build(PassesRevoke, pass_ids=[done["pass_id"]], reason="invitation cancelled",
                           until=done["valid_until"])
        commands = [self.api.send(site, device, revocation)["id"] for device in posts]
        answer = {**done, "revoked_at": posts, "commands": commands}
        if not posts:
            answer["warning"] = (f"no kiosk or gate is known for site {site!r} (fleet registry or [tickets] "
                                 "pass_posts): the pass is not revoked at any post")
        return answer


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (iso(v) if isinstance(v, datetime) else v) for k, v in row.items()}


def _for_resident(row: dict[str, Any], session: ResidentSession) -> dict[str, Any]:
    """An invitation as a resident sees it: never another resident's number."""
    mine = row["made_by_kind"] == "resident" and row["made_by"] == session.phone_key
    return {**_json({k: v for k, v in row.items() if k != "made_by"}), "mine": mine}


def _for_staff(row: dict[str, Any], staff: Staff) -> dict[str, Any]:
    """An invitation as staff see it: the visitor's name and phone (visitor_phone) masked unless
    their role may see personal data (auth/masking.py)."""
    made_by = row["made_by"] if row["made_by_kind"] == "desk" else "resident"
    return out({**row, "made_by": made_by}, staff)


def _client(request: Request, res: Residents) -> str:
    # the socket's peer, or the client a trusted proxy names ([auth] trusted_proxies)
    return client_address(request, networks(res.api.auth_config.trusted_proxies))


def resident_dependency(res: Residents):
    """The resident session of the request's cookie (CSRF checked on unsafe methods), with its units
    narrowed to those the directory still lists the number for; else 401/403."""
    cookie = APIKeyCookie(name=COOKIE, auto_error=False, description="resident session cookie")

    def current(request: Request, token: str | None = Depends(cookie)) -> ResidentSession:
        session = res.sessions.get(token)
        if session is None:
            raise HTTPException(401, "sign in with your phone number first")
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header (CSRF protection)")
        units = tuple(u for u in session.units if u in res.listed_units(session.site, session.phone_key))
        if not units:
            raise HTTPException(401, "this number is no longer listed for a unit; ask the service centre")
        return ResidentSession(session.site, session.phone_key, units, session.csrf, session.expires_at)

    return current


def _session_json(session: ResidentSession, api: Api) -> dict[str, Any]:
    return {"site": session.site, "units": list(session.units), "csrf_token": session.csrf,
            "expires_at": iso(session.expires_at), "tz": api.system.tz_for(session.site)}


def _sign_in_routes(r: APIRouter, res: Residents, current) -> None:
    @r.post("/sites/{site}/resident/code", status_code=202, summary="A resident asks for a sign-in code "
            "(public). The same answer whether or not the number is in the directory; 429 past the rate limit")
    def ask_code(req: CodeAsk, request: Request, site: str = SITE_P) -> dict[str, Any]:
        try:
            res.signin.request_code(site, req.phone, _client(request, res))
        except NotAPhoneNumber as err:
            raise HTTPException(422, str(err)) from None
        except RateLimited as err:
            raise HTTPException(429, str(err), headers={"Retry-After": str(err.retry_after)}) from None
        return {"accepted": True, "message": "if this number is listed for a unit, a code is on its way: "
                "by SMS where the site has it, else ask the service centre, who reads it out"}

    @r.post("/sites/{site}/resident/session", summary="Sign in with the number and its code (public): sets the "
            "resident session cookie. 401 wrong or expired code; 429 while sign-in is locked")
    def sign_in(req: CodeTry, request: Request, response: Response, site: str = SITE_P) -> dict[str, Any]:
        try:
            who = res.signin.sign_in(site, req.phone, req.code, _client(request, res))
        except NotAPhoneNumber as err:
            raise HTTPException(422, str(err)) from None
        except Locked as err:
            wait = max(1, int((err.until - datetime.now(err.until.tzinfo)).total_seconds()))
            raise HTTPException(429, str(err), headers={"Retry-After": str(wait)}) from None
        except WrongCode as err:
            raise HTTPException(401, str(err)) from None
        token, session = res.sessions.open(who)
        secure = request.url.scheme == "https" or res.api.auth_config.cookie_secure
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/",
                            max_age=int(res.sessions.ttl.total_seconds()))
        return _session_json(session, res.api)

    @r.get("/resident/me", summary="The signed-in resident: site, units, CSRF token (resident session)")
    def me(session: ResidentSession = Depends(current)) -> dict[str, Any]:
        return _session_json(session, res.api)

    @r.post("/resident/signout", status_code=204, summary="Sign out (resident session)")
    def sign_out(request: Request, session: ResidentSession = Depends(current)) -> Response:
        res.sessions.close(request.cookies.get(COOKIE, ""))
        response = Response(status_code=204)
        response.delete_cookie(COOKIE, path="/")
        return response


def _resident_routes(r: APIRouter, res: Residents, current) -> None:
    @r.get("/resident/invitations", summary="The invitations of the resident's units, newest first "
           "(state upcoming, used, cancelled or expired)")
    def mine(session: ResidentSession = Depends(current)) -> list[dict[str, Any]]:
        return [_for_resident(x, session) for x in res.invitations.of_units(session.site, session.units)]

    @r.post("/resident/invitations", status_code=201, summary="Invite a visitor to one of the resident's units: "
            "central signs a single-use pass for the window; the answer's link shows it to the visitor")
    def invite(req: InvitationAsk, request: Request, session: ResidentSession = Depends(current)) -> dict[str, Any]:
        if req.unit not in session.units:
            raise HTTPException(403, f"unit {req.unit!r} is not one of yours")
        new = NewInvitation(session.site, req.unit, req.visitor_name, req.visitor_phone, req.valid_from,
                            req.valid_until, "resident", session.phone_key)
        made = res.create(new, request)
        return {**_for_resident(made, session), "link": made["link"]}

    @r.post("/resident/invitations/{invitation_id}/cancel", summary="Cancel an invitation: the link says "
            "cancelled and the pass is revoked at the site's kiosks and gates")
    def cancel(invitation_id: str, session: ResidentSession = Depends(current)) -> dict[str, Any]:
        found = res.invitations.get(session.site, invitation_id)
        if found is None or found["unit"] not in session.units:
            raise HTTPException(404, "no such invitation")
        done = res.cancel(found, "resident")
        return {**_for_resident(done, session), "revoked_at": done["revoked_at"], "warning": done.get("warning")}


def _visitor_routes(r: APIRouter, res: Residents) -> None:
    @r.get("/visitor-links/{token}", summary="What a visitor link shows (public): the host unit, the window "
           "and the state; 404 for a link that does not exist")
    def visit(token: str) -> dict[str, Any]:
        found = res.invitations.by_link(token)
        if found is None:
            raise HTTPException(404, "this link is not valid")
        return {"state": found["state"], "site": found["site"], "unit": found["unit"],
                "visitor_name": found["visitor_name"], "valid_from": iso(found["valid_from"]),
                "valid_until": iso(found["valid_until"]), "tz": res.api.system.tz_for(found["site"])}

    @r.get("/visitor-links/{token}/qr.svg", summary="The visitor's signed pass as a QR code (public); 410 once "
           "cancelled or expired", response_class=Response)
    def qr(token: str) -> Response:
        found = res.invitations.by_link(token)
        if found is None:
            raise HTTPException(404, "this link is not valid")
        if found["state"] in ("cancelled", "expired"):
            raise HTTPException(410, f"this invitation is {found['state']}")
        svg = pass_svg(res.invitations.pass_token(found, res.key(found["site"])))
        return Response(svg, media_type="image/svg+xml")


def _desk_routes(r: APIRouter, res: Residents) -> None:
    api, require = res.api, res.api.require

    @r.get("/sites/{site}/resident-codes", summary="Residents waiting for a sign-in code the desk reads out, "
           "oldest first, each with its number also masked (phone_masked) for the screen (residents.codes)")
    def waiting(site: str, staff: Staff = Depends(require("residents.codes"))) -> list[dict[str, Any]]:
        check_site(staff, site)
        rows = res.signin.pending(site)
        api.audit_read(staff, "resident_code_request", None, site, rows)
        # The desk's panel shows the masked form (the screen faces the counter); the full number
        # is what "make code" sends back.
        return [{**out(x, staff), "phone_masked": mask_phone(x["phone"])} for x in rows]

    @r.post("/sites/{site}/resident-codes", status_code=201, summary="Make a sign-in code for a resident who "
            "calls or stands at the counter; the desk reads it out (residents.codes; audited, the code is not)")
    def make_code(site: str, req: CodeAsk, staff: Staff = Depends(require("residents.codes"))) -> dict[str, Any]:
        check_site(staff, site)
        try:
            code, expires, units = res.signin.make_code(site, req.phone, staff.username)
        except NotAPhoneNumber as err:
            raise HTTPException(422, str(err)) from None
        except NotListed as err:
            raise HTTPException(404, str(err)) from None
        api.accounts.audit(staff, "change", "resident_code", None, site,
                           {"phone": mask_phone(req.phone), "units": units})
        return {"code": code, "expires_at": iso(expires), "units": units}

    @r.get("/sites/{site}/invitations", summary="The site's invitations, newest first (commands.passes)")
    def listing(site: str, staff: Staff = Depends(require("commands.passes"))) -> list[dict[str, Any]]:
        check_site(staff, site)
        rows = [_json(x) for x in res.invitations.of_site(site)]
        api.audit_read(staff, "invitation", None, site, rows)
        return [_for_staff(x, staff) for x in rows]

    @r.post("/sites/{site}/invitations", status_code=201, summary="Issue a pass for a resident's visitor: the "
            "same invitation and link a resident makes, marked as made by this desk user (commands.passes)")
    def issue(site: str, req: InvitationAsk, request: Request,
              staff: Staff = Depends(require("commands.passes"))) -> dict[str, Any]:
        check_site(staff, site)
        if not res.unit_exists(site, req.unit):
            raise HTTPException(422, f"unit {req.unit!r} is not in the site's directory")
        if req.valid_from.tzinfo is not None and req.valid_until.tzinfo is not None:
            # An invitation is a single-use pass: the desk's role caps its window like any pass.
            hours = (req.valid_until - req.valid_from).total_seconds() / 3600
            try:
                check_pass_cap(api.system.config.pass_caps, staff.role, hours, single_use=True)
            except PassCapExceeded as err:
                raise HTTPException(403, err.to_json()) from None
        new = NewInvitation(site, req.unit, req.visitor_name, req.visitor_phone, req.valid_from, req.valid_until,
                            "desk", staff.username)
        made = res.create(new, request)
        api.accounts.audit(staff, "change", "invitation", made["id"], site, {"unit": req.unit})
        return {**_for_staff(made, staff), "link": made["link"]}

    @r.post("/sites/{site}/invitations/{invitation_id}/cancel", summary="Cancel an invitation and revoke its "
            "pass at the site's kiosks and gates (commands.passes)")
    def cancel(site: str, invitation_id: str, staff: Staff = Depends(require("commands.passes"))) -> dict[str, Any]:
        check_site(staff, site)
        found = res.invitations.get(site, invitation_id)
        if found is None:
            raise HTTPException(404, "no such invitation")
        done = res.cancel(found, staff.username)
        api.accounts.audit(staff, "change", "invitation", invitation_id, site, {"cancelled": True})
        return {**_for_staff(done, staff), "revoked_at": done["revoked_at"], "warning": done.get("warning")}


def _pages() -> APIRouter:
    pages = APIRouter(route_class=SecureRoute)
    pages.include_router(static_router("/r/static", STATIC))
    pages.include_router(toolkit_router("/r/shared"))

    @pages.get("/r/v/{token}", include_in_schema=False)
    def visitor_page(token: str) -> Any:
        return static_file(STATIC, "visitor.html")

    @pages.get("/r/{site}", include_in_schema=False)
    def home(site: str) -> RedirectResponse:
        if not re.match(SITE_PATH, site):
            raise HTTPException(404, "no such site")
        return RedirectResponse(f"/r/{site}/invitations", status_code=307)

    @pages.get("/r/{site}/{page}", include_in_schema=False)
    def page(site: str, page: str) -> Any:
        if page not in PAGES:
            raise HTTPException(404, "no such page")
        return static_file(STATIC, f"{page}.html")

    return pages


def router(api: Api) -> APIRouter:
    """The resident and visitor endpoints (/api/v1/sites/{site}/resident/..., /api/v1/resident/...,
    /api/v1/visitor-links/...), the desk's (/api/v1/sites/{site}/resident-codes, .../invitations) and
    the pages under /r/."""
    res = Residents(api, SignIn(api.store), ResidentSessions(api.store), Invitations(api.store))
    current = resident_dependency(res)
    r = APIRouter(prefix="/api/v1", tags=["residents"], route_class=SecureRoute)
    _sign_in_routes(r, res, current)
    _resident_routes(r, res, current)
    _visitor_routes(r, res)
    _desk_routes(r, res)
    top = APIRouter()
    top.include_router(r)
    top.include_router(_pages())
    return top
