"""Accounts: login, logout, who am I, staff accounts (admin) and the audit log (manager, admin)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from ..auth.accounts import AccountError, Accounts, Session, Staff
from ..auth.clients import client_address, networks
from ..auth.policy import MIN_LENGTH
from ..auth.roles import PERMISSIONS, ROLES
from ..auth.throttle import Lockout
from .deps import Api


class LoginRequest(BaseModel):
    """Credentials; `token` true asks for a bearer token instead of a session cookie, `remember` true
    for a long session ([auth] remember_days)."""
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    # true: return a bearer token (scripts, other services) instead of setting a cookie
    token: bool = False
    # true: a session of [auth] remember_days (a technician's phone logs in once), not the desk's hours
    remember: bool = False


class LoginResponse(BaseModel):
    """Who logged in, the session's CSRF token and end (and the bearer token, if asked for)."""
    username: str
    display_name: str
    role: str
    sites: list[str]
    csrf_token: str = Field(description="send as X-CSRF-Token on state-changing requests (cookie sessions)")
    token: str | None = Field(default=None, description="bearer token, when asked for")
    expires_at: str


class NewUser(BaseModel):
    """A new staff account: a password the policy accepts, a role, its sites (* for all)."""
    username: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
    password: str = Field(min_length=1, max_length=200, description=f"at least {MIN_LENGTH} characters, without the "
                          "user name, not a common password nor a repeat, sequence or keyboard pattern (422 says why)")
    role: str = Field(pattern="^(" + "|".join(ROLES) + ")$")
    sites: list[str] = Field(min_length=1, max_length=100)
    display_name: str = Field(default="", max_length=120)


def router(api: Api) -> APIRouter:
    """POST /auth/login, POST /auth/logout, GET /auth/me, GET and POST /users, GET /audit."""
    router = APIRouter(prefix="/api/v1", tags=["accounts"])
    accounts, cfg, current_session, require = api.accounts, api.auth_config, api.current_session, api.require
    proxies = networks(cfg.trusted_proxies)

    @router.post("/auth/login", response_model=LoginResponse, responses={
        401: {"description": "wrong credentials"},
        429: {"description": "too many failed logins (for this account, from this address, or both): the "
              "Retry-After header says how many seconds until the next attempt is taken; the same for any name"}})
    def login(req: LoginRequest, request: Request, response: Response) -> LoginResponse:
        address = client_address(request, proxies)
        wait = accounts.throttle.wait(req.username, address)
        if wait:  # the password is not even checked
            raise HTTPException(429, f"too many failed logins; try again in {wait} s",
                                headers={"Retry-After": str(wait)})
        lasts = timedelta(days=cfg.remember_days) if req.remember else timedelta(minutes=cfg.session_ttl_min)
        got = accounts.login(req.username, req.password, "token" if req.token else "cookie", lasts, req.remember)
        if got is None:
            _audit_lockouts(accounts, accounts.throttle.failed(req.username, address))
            raise HTTPException(401, "wrong user name or password")
        accounts.throttle.succeeded(req.username, address)
        token, session = got
        if not req.token:
            response.set_cookie(cfg.cookie_name, token, httponly=True, samesite="strict", secure=cfg.cookie_secure,
                                max_age=int(lasts.total_seconds()), path="/")
        s = session.staff
        return LoginResponse(username=s.username, display_name=s.display_name, role=s.role, sites=list(s.sites),
                             csrf_token=session.csrf, token=token if req.token else None,
                             expires_at=session.expires_at.isoformat())

    @router.post("/auth/logout", status_code=204)
    def logout(request: Request, session: Session = Depends(current_session)) -> Response:
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else request.cookies.get(cfg.cookie_name, "")
        accounts.expire(token)
        response = Response(status_code=204)
        response.delete_cookie(cfg.cookie_name, path="/", secure=cfg.cookie_secure, httponly=True, samesite="strict")
        return response

    @router.get("/auth/me")
    def me(session: Session = Depends(current_session)) -> dict[str, Any]:
        s = session.staff
        return {"username": s.username, "display_name": s.display_name, "role": s.role, "sites": list(s.sites),
                "csrf_token": session.csrf, "expires_at": session.expires_at.isoformat(),
                # what the screens may offer this account (the API checks each request anyway)
                "permissions": sorted(p for p, roles in PERMISSIONS.items() if s.role in roles)}

    @router.get("/users")
    def list_users(staff: Staff = Depends(require("users.admin"))) -> list[dict[str, Any]]:
        return accounts.list_users()

    @router.post("/users", status_code=201)
    def add_user(req: NewUser, staff: Staff = Depends(require("users.admin"))) -> dict[str, Any]:
        try:
            new = accounts.add_user(req.username, req.password, req.role, req.sites, req.display_name)
        except AccountError as err:
            raise HTTPException(409 if "exists" in str(err) else 422, str(err)) from None
        accounts.audit(staff, "change", "user", new.username, None, {"role": new.role, "sites": list(new.sites)})
        return {"username": new.username, "role": new.role, "sites": list(new.sites)}

    @router.get("/audit")
    def audit(limit: int = Query(200, ge=1, le=1000), username: str | None = Query(None, max_length=64),
              staff: Staff = Depends(require("audit.read"))) -> list[dict[str, Any]]:
        return accounts.list_audit(sites=staff.site_filter(), limit=limit, username=username)

    return router


def _audit_lockouts(accounts: Accounts, locks: list[Lockout]) -> None:
    """A lock that holds back a real account goes into its audit log (every lock is also logged)."""
    mine = [lock for lock in locks if lock.scope != "address"]
    staff = accounts.get_user(mine[0].username) if mine else None
    if staff is not None:
        accounts.audit(staff, "login.locked", "account", staff.username, None,
                       {lock.scope: {"address": lock.address, "failures": lock.failures, "seconds": lock.seconds}
                        for lock in mine})
