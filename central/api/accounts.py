"""Accounts: login, logout, who am I, staff accounts (admin) and the audit log (manager, admin)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from ..auth.accounts import AccountError, Session, Staff
from ..auth.roles import PERMISSIONS, ROLES
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
    """A new staff account: a password of 8 or more characters, a role, its sites (* for all)."""
    username: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
    password: str = Field(min_length=8, max_length=200)
    role: str = Field(pattern="^(" + "|".join(ROLES) + ")$")
    sites: list[str] = Field(min_length=1, max_length=100)
    display_name: str = Field(default="", max_length=120)


def router(api: Api) -> APIRouter:
    """POST /auth/login, POST /auth/logout, GET /auth/me, GET and POST /users, GET /audit."""
    router = APIRouter(prefix="/api/v1", tags=["accounts"])
    accounts, cfg, current_session, require = api.accounts, api.auth_config, api.current_session, api.require

    @router.post("/auth/login", response_model=LoginResponse, responses={401: {"description": "wrong credentials"}})
    def login(req: LoginRequest, response: Response) -> LoginResponse:
        lasts = timedelta(days=cfg.remember_days) if req.remember else timedelta(minutes=cfg.session_ttl_min)
        got = accounts.login(req.username, req.password, "token" if req.token else "cookie", lasts)
        if got is None:
            raise HTTPException(401, "wrong user name or password")
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
        response.delete_cookie(cfg.cookie_name, path="/")
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
