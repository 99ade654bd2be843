"""Staff accounts, sessions (cookie or bearer token) and the personal-data audit log."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from .passwords import hash_password, verify_password
from .policy import WeakPassword, check_password
from .roles import ROLES
from .tables import audit_log, sessions, users
from .throttle import LoginThrottle

# A session's last use is written at most this often: not a database write per request, and
# the idle timeout is kept to within this much.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Staff:
    """A staff account as the API sees it (no password hash); '*' in `sites` means every site."""
    id: int
    username: str
    display_name: str
    role: str
    sites: tuple[str, ...]

    def can_see_site(self, site: str) -> bool:
        """True if the account may see `site` (its sites name it, or '*')."""
        return "*" in self.sites or site in self.sites

    def site_filter(self) -> tuple[str, ...] | None:
        """None = every site; else the sites this account may see."""
        return None if "*" in self.sites else self.sites


@dataclass(frozen=True)
class Session:
    """A live session: its account, kind ('cookie' or 'token'), CSRF token and end (UTC)."""
    staff: Staff
    kind: str
    csrf: str
    expires_at: datetime


class AccountError(ValueError):
    """An account change refused: unknown role, no sites, a name taken, a weak password (why)."""
    pass


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Accounts:
    """Staff accounts, their sessions and the audit log, in the central database. A session ends
    `session_ttl` after login, or when unused for `idle` (`remember_idle` for a remembered one).
    `clock` gives the current time (UTC); tests move it."""
    def __init__(self, engine: Engine, session_ttl: timedelta, idle: timedelta = timedelta(minutes=30),
                 remember_idle: timedelta = timedelta(days=30)) -> None:
        self.engine = engine
        self.ttl = session_ttl
        self.idle = idle
        self.remember_idle = remember_idle
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.throttle = LoginThrottle(engine, lambda: self.clock())

    def add_user(self, username: str, password: str, role: str, sites: list[str], display_name: str = "") -> Staff:
        """Create an active account and return it; raises AccountError (unknown role, no sites, the name
        taken, a password the policy refuses, saying why)."""
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
        if not sites:
            raise AccountError("give at least one site (or * for all)")
        _check(password, username, display_name)
        with self.engine.begin() as conn:
            if conn.execute(select(users.c.id).where(users.c.username == username)).first():
                raise AccountError(f"user {username!r} exists already")
            hashed = hash_password(password)
            conn.execute(insert(users).values(username=username, display_name=display_name or username,
                                              password_hash=hashed, role=role, sites=list(sites), active=True,
                                              created_at=datetime.now(UTC)))
        made = self.get_user(username)
        assert made is not None  # inserted just now
        return made

    def set_password(self, username: str, password: str) -> None:
        """Set a new password and end the user's sessions; AccountError (a ValueError) for a password
        the policy refuses, saying why. An unknown user name changes nothing."""
        current = self.get_user(username)
        _check(password, username, current.display_name if current else "")
        with self.engine.begin() as conn:
            conn.execute(update(users).where(users.c.username == username)
                         .values(password_hash=hash_password(password)))
            uid = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
            conn.execute(delete(sessions).where(sessions.c.user_id == uid))

    def set_active(self, username: str, active: bool) -> None:
        """Enable or disable an account; disabling ends its sessions. An unknown user name changes nothing."""
        with self.engine.begin() as conn:
            conn.execute(update(users).where(users.c.username == username).values(active=active))
            if not active:
                uid = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
                conn.execute(delete(sessions).where(sessions.c.user_id == uid))

    def get_user(self, username: str) -> Staff | None:
        """The account with this user name (active or not), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
        return _staff(row) if row else None

    def list_users(self) -> list[dict[str, Any]]:
        """Every account's username, display_name, role, sites and active flag, by user name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(users.c.username, users.c.display_name, users.c.role, users.c.sites,
                                       users.c.active).order_by(users.c.username)).mappings().all()
        return [dict(r) for r in rows]

    def staff_of(self, sites: tuple[str, ...] | None, role: str | None = None) -> list[dict[str, Any]]:
        """Active accounts (username, display_name, role) working on any of `sites` (None = every
        site; an account of every site, "*", works on each), of `role` if given, by display name."""
        q = select(users.c.username, users.c.display_name, users.c.role, users.c.sites).where(users.c.active.is_(True))
        if role is not None:
            q = q.where(users.c.role == role)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        # Sites are a JSON list (its SQL differs per database); the staff list is short.
        wanted = None if sites is None else set(sites)
        found = [{"username": r["username"], "display_name": r["display_name"], "role": r["role"]} for r in rows
                 if wanted is None or "*" in r["sites"] or wanted & set(r["sites"])]
        return sorted(found, key=lambda r: (r["display_name"], r["username"]))

    def login(self, username: str, password: str, kind: str = "cookie", ttl: timedelta | None = None,
              remember: bool = False) -> tuple[str, Session] | None:
        """A new session for good credentials, lasting `ttl` (default: the session TTL; `remember`: a
        remembered login, with its own idle limit): (the secret token, the session), else None.
        The login throttle is the caller's (it needs the client's address)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
        # the hash is checked even for an unknown user, so the answer takes as long either way
        if not verify_password(row["password_hash"] if row else None, password) or row is None or not row["active"]:
            return None
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = self.clock()
        expires = now + (ttl or self.ttl)
        with self.engine.begin() as conn:
            conn.execute(insert(sessions).values(id=_token_id(token), user_id=row["id"], kind=kind, csrf=csrf,
                                                 created_at=now, expires_at=expires, last_used_at=now,
                                                 remember=remember))
            conn.execute(delete(sessions).where(sessions.c.expires_at < now))
            conn.execute(delete(sessions).where(sessions.c.remember.is_(False),
                                                sessions.c.last_used_at < now - self.idle))
        return token, Session(_staff(row), kind, csrf, expires)

    def session(self, token: str, touch: bool = True) -> Session | None:
        """The session this token opened, or None (unknown, expired, unused for longer than its idle
        limit, or the account disabled). Records the use (unless `touch` is false: a look that is
        no use, e.g. an open live stream checking on its session), in the database at most once a
        minute."""
        if not token or len(token) > 200:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(sessions.c.kind, sessions.c.csrf, sessions.c.expires_at, sessions.c.created_at,
                                      sessions.c.last_used_at, sessions.c.remember, users.c.id,
                                      users.c.username, users.c.display_name, users.c.role, users.c.sites,
                                      users.c.active).join(users, users.c.id == sessions.c.user_id)
                               .where(sessions.c.id == _token_id(token))).mappings().first()
        now = self.clock()
        if row is None or not row["active"] or _utc(row["expires_at"]) <= now:
            return None
        used = _utc(row["last_used_at"] or row["created_at"])
        if now - used >= (self.remember_idle if row["remember"] else self.idle):
            self.expire(token)
            return None
        if touch and now - used >= TOUCH_EVERY:
            with self.engine.begin() as conn:
                conn.execute(update(sessions).where(sessions.c.id == _token_id(token)).values(last_used_at=now))
        return Session(_staff(row), row["kind"], row["csrf"], _utc(row["expires_at"]))

    def expire(self, token: str, at: datetime | None = None) -> None:
        """End a session now (logout), or move its end (tests of expiry use this)."""
        with self.engine.begin() as conn:
            if at is None:
                conn.execute(delete(sessions).where(sessions.c.id == _token_id(token)))
            else:
                conn.execute(update(sessions).where(sessions.c.id == _token_id(token)).values(expires_at=at))

    # -- audit ---------------------------------------------------------------------------------------

    def audit(self, staff: Staff, action: str, entity: str, entity_id: str | None, site: str | None,
              detail: dict[str, Any] | None = None) -> None:
        """Append a line to the audit log: who did `action` to which entity, on which site, with `detail`.
        A one-site account's line without a site is filed under its site."""
        if site is None and len(staff.sites) == 1 and staff.sites[0] != "*":
            site = staff.sites[0]  # a read across "all my sites" of a one-site account is that site's
        with self.engine.begin() as conn:
            conn.execute(insert(audit_log).values(at=datetime.now(UTC), username=staff.username,
                                                  role=staff.role, action=action, entity=entity,
                                                  entity_id=entity_id, site=site, detail=detail or {}))

    def list_audit(self, *, sites: tuple[str, ...] | None, limit: int = 200,
                   username: str | None = None) -> list[dict[str, Any]]:
        """Audit lines, newest first, at most `limit` (`at` as ISO UTC); `sites` None = every site,
        `username` keeps one user's."""
        q = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if sites is not None:
            q = q.where(audit_log.c.site.in_(sites))
        if username:
            q = q.where(audit_log.c.username == username)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [{**dict(r), "at": _utc(r["at"]).isoformat()} for r in rows]


def _check(password: str, username: str, display_name: str) -> None:
    try:
        check_password(password, username, display_name)
    except WeakPassword as err:
        raise AccountError(str(err)) from None


def _staff(row) -> Staff:
    return Staff(id=row["id"], username=row["username"],
                 display_name=row["display_name"], role=row["role"], sites=tuple(row["sites"]))
