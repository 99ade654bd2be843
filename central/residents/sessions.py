"""Resident sessions: what a right code opens. A session is its own cookie, never a staff session,
scoped to one site, one number and the units that number was listed for when it signed in."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select

from ..store import Store
from ..tickets.times import utc
from .codes import SignedIn
from .tables import resident_sessions

COOKIE = "frontdesk_resident"
CSRF_HEADER = "X-CSRF-Token"
SESSION_TTL = timedelta(days=7)


@dataclass(frozen=True)
class ResidentSession:
    """A signed-in resident: site, number key, units, the session's CSRF token and its end (UTC)."""
    site: str
    phone_key: str
    units: tuple[str, ...]
    csrf: str
    expires_at: datetime


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ResidentSessions:
    """Resident sessions in central's database (only the token's hash is kept)."""

    def __init__(self, store: Store, ttl: timedelta = SESSION_TTL) -> None:
        self.store = store
        self.ttl = ttl

    def open(self, who: SignedIn) -> tuple[str, ResidentSession]:
        """A new session for a resident a right code signed in: (the cookie's token, the session)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        session = ResidentSession(who.site, who.phone_key, who.units, csrf, now + self.ttl)
        with self.store.engine.begin() as conn:
            conn.execute(insert(resident_sessions).values(
                id=_token_id(token), site=who.site, phone_key=who.phone_key, units=list(who.units), csrf=csrf,
                created_at=now, expires_at=session.expires_at))
            conn.execute(delete(resident_sessions).where(resident_sessions.c.expires_at < now))
        return token, session

    def get(self, token: str | None) -> ResidentSession | None:
        """The live session of this token, or None."""
        if not token or len(token) > 200:
            return None
        with self.store.engine.connect() as conn:
            row = conn.execute(select(resident_sessions).where(resident_sessions.c.id == _token_id(token))).first()
        if row is None or utc(row.expires_at) <= datetime.now(UTC):
            return None
        return ResidentSession(row.site, row.phone_key, tuple(row.units), row.csrf, utc(row.expires_at))

    def close(self, token: str) -> None:
        """End the session (sign out)."""
        with self.store.engine.begin() as conn:
            conn.execute(delete(resident_sessions).where(resident_sessions.c.id == _token_id(token)))
