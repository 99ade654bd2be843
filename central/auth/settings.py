"""[auth] in the central TOML file."""
from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from frontdesk.config import Section


class AuthConfig(Section):
    """The [auth] section: how long sessions last and how long they may stay unused, the session
    cookie, which proxies' X-Forwarded-For is believed, and whether the API documentation is served."""
    # A session (cookie or bearer token) ends this long after login.
    session_ttl_min: int = Field(default=12 * 60, ge=1, le=60 * 24 * 30)
    # ... and earlier when no request used it for this long: a desk PC left logged in at an
    # unattended counter stops showing residents' details.
    idle_timeout_min: int = Field(default=30, ge=1, le=60 * 24 * 30)
    cookie_name: str = Field(default="frontdesk_session", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    # A login with `remember: true` (a technician's phone: log in once) lasts this many days.
    remember_days: int = Field(default=30, ge=1, le=365)
    # A remembered session ends after this many days unused (never later than remember_days).
    # The default equals remember_days: such a session exists so that a phone logs in once a
    # month, and a technician back from two weeks' leave should not be stopped at a lift door
    # typing a password; a lost phone is handled by disabling the account or a new password,
    # which end its sessions at once.
    remember_idle_days: int = Field(default=30, ge=1, le=365)
    # Send the session cookie only over HTTPS. Unset: on whenever central listens beyond loopback
    # ([central] http_host) or [tickets] public_url is https (central/config.py secure_cookies).
    cookie_secure: bool = False
    # Needed to set cookie_secure = false while http_host is not loopback: only right when a TLS
    # front end on the same machine or the same trusted segment speaks to central over plain HTTP
    # and the browsers only ever reach it through that front end.
    allow_insecure_cookie: bool = False
    # Addresses (or networks, "10.0.0.0/8") of reverse proxies whose X-Forwarded-For header names
    # the client. Empty: the socket's peer is the client, whatever a request claims.
    trusted_proxies: list[str] = Field(default_factory=list, max_length=100)
    # Serve /docs, /redoc and /openapi.json. Off by default: the schema is a map of every endpoint
    # (the admin ones included) for anyone who reaches the port, and no screen needs it; turn it on
    # on an integration or test install.
    api_docs: bool = False

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value
