"""[auth] in the central TOML file."""
from __future__ import annotations

from pydantic import Field

from frontdesk.config import Section


class AuthConfig(Section):
    """The [auth] section: how long sessions last (and remembered phone logins), and the session
    cookie's name and Secure flag."""
    # A session (cookie or bearer token) ends this long after login.
    session_ttl_min: int = Field(default=12 * 60, ge=1, le=60 * 24 * 30)
    cookie_name: str = Field(default="frontdesk_session", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    # A login with `remember: true` (a technician's phone: log in once) lasts this many days.
    remember_days: int = Field(default=30, ge=1, le=365)
    # Send the cookie only over HTTPS; turn on when central is behind TLS.
    cookie_secure: bool = False
