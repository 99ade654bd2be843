"""FastAPI dependencies: who is asking (cookie session or bearer token), may they, and CSRF.

Cookie sessions are what browsers send by themselves, so every state-changing request made with
one must also carry the session's CSRF token in the X-CSRF-Token header (the login response gives
it; GET /api/v1/auth/me repeats it). Bearer tokens are never sent by a browser on its own and need
no CSRF token.
"""
from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from .accounts import Accounts, Session, Staff
from .roles import allowed

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "X-CSRF-Token"

_bearer = HTTPBearer(auto_error=False, description="a token from POST /api/v1/auth/login with token=true")


def make_deps(accounts: Accounts, cookie_name: str):
    """The dependencies (current_session, require): the session of the bearer token or cookie (CSRF
    checked on unsafe methods; else HTTP 401/403), and require(permission) -> Staff or HTTP 403."""
    cookie = APIKeyCookie(name=cookie_name, auto_error=False, description="session cookie set by login")

    def current_session(request: Request, bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
                        cookie_token: str | None = Depends(cookie)) -> Session:
        if bearer is not None:
            session = accounts.session(bearer.credentials)
            if session is None:
                raise HTTPException(401, "session expired or unknown; log in again",
                                    headers={"WWW-Authenticate": "Bearer"})
            return session
        if cookie_token:
            session = accounts.session(cookie_token)
            if session is None:
                raise HTTPException(401, "session expired or unknown; log in again")
            if request.method not in SAFE_METHODS:
                sent = request.headers.get(CSRF_HEADER, "")
                if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                    raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header (CSRF protection)")
            return session
        raise HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})

    def require(permission: str) -> Callable[..., Staff]:
        def check(session: Session = Depends(current_session)) -> Staff:
            if not allowed(session.staff.role, permission):
                raise HTTPException(403, f"the {session.staff.role} role may not do this ({permission})")
            return session.staff
        return check

    return current_session, require


def request_token(request: Request, cookie_name: str) -> str:
    """The session token a request carries: its bearer token, else its session cookie ('' if none)."""
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else request.cookies.get(cookie_name, "")


def check_site(staff: Staff, site: str | None) -> None:
    """Raise HTTP 403 unless the account may see `site` (None: nothing to check)."""
    if site is not None and not staff.can_see_site(site):
        raise HTTPException(403, f"no access to site {site!r}")


def sites_for(staff: Staff, site: str | None) -> tuple[str, ...] | None:
    """The sites a query may cover: the one asked for (if allowed), else the account's scope."""
    if site is not None:
        check_site(staff, site)
        return (site,)
    return staff.site_filter()
