"""Signing in with a phone number and a one-time code: the codes, how they reach the resident,
the rate limits on asking for one and the lockout after wrong guesses.

A 6-digit code has a million values; what keeps it from being guessed is the lockout: 10 wrong
codes for a number (or 30 from one client address) within 30 minutes lock sign-in for that
number (or that address) for 30 minutes, and while locked even the right code is refused. Codes
are kept only as salted hashes and never logged. Asking for a code gets the same answer whether
or not the number is in the directory, so the form cannot be used to find residents' numbers;
the rate limits count every number alike for the same reason.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from ..directory.residents import Directory, phone_key
from ..store import Store
from ..tickets.times import utc
from .tables import resident_attempts, resident_code_requests, resident_codes, resident_locks

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
# The lockout (see the module docstring).
LOCK_WINDOW = timedelta(minutes=30)
LOCK_FOR = timedelta(minutes=30)
WRONG_PER_NUMBER = 10
WRONG_PER_CLIENT = 30
# Asking for codes: per number and per client address, within REQUEST_WINDOW.
REQUEST_WINDOW = timedelta(minutes=15)
REQUESTS_PER_NUMBER = 3
REQUESTS_PER_CLIENT = 10
# Tries older than this count for nothing any more and are deleted.
KEEP_ATTEMPTS = timedelta(days=1)


class NotAPhoneNumber(ValueError):
    """What was typed has too few digits to be a phone number."""


class NotListed(LookupError):
    """The number is not in the site's directory (said to the desk only, never to the public)."""


class RateLimited(Exception):
    """Too many code requests; `retry_after` seconds until the next is taken."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many code requests; try again in {retry_after} s")
        self.retry_after = retry_after


class Locked(Exception):
    """Sign-in is locked for this number or client address until `until` (UTC)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"too many wrong codes: sign-in is locked until {until.isoformat(timespec='minutes')}")
        self.until = until


class WrongCode(Exception):
    """The code is wrong, spent or expired (which of them is not said)."""


class CodeSender(Protocol):
    """How a code reaches a resident who asked for one on the sign-in page. SMS is the sender
    to come; until a site has one, the desk reads codes out (DeskReadsOut)."""

    name: str

    def reaches(self, site: str) -> bool:
        """Whether this sender can deliver a code to the residents of `site` by itself."""
        ...

    def send(self, site: str, phone: str, code: str, expires_at: datetime) -> None:
        """Deliver `code` to `phone`; only called when `reaches(site)`."""
        ...


class DeskReadsOut:
    """No channel to the resident: the request waits in the desk's list, and the desk makes a
    code (POST /api/v1/sites/{site}/resident-codes) and reads it out on the phone or at the
    counter."""

    name = "desk"

    def reaches(self, site: str) -> bool:
        """Never: the desk answers every request itself."""
        return False

    def send(self, site: str, phone: str, code: str, expires_at: datetime) -> None:
        """Not used (reaches() is False)."""
        raise RuntimeError("the desk reads codes out; nothing is sent")


@dataclass(frozen=True)
class SignedIn:
    """Who a right code signed in: the number's key and the units it is listed for."""
    site: str
    phone_key: str
    units: tuple[str, ...]


def _hash_code(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def phone_hash(site: str, key: str) -> str:
    """How the tries table names a number: numbers outside the directory are counted too, and are
    nobody's business in clear."""
    return hashlib.sha256(f"{site}\0{key}".encode()).hexdigest()


def _key(phone: str) -> str:
    key = phone_key(phone)
    if key is None:
        raise NotAPhoneNumber("a phone number needs at least 3 digits")
    return key


class SignIn:
    """Codes, requests, tries and locks in central's database."""

    def __init__(self, store: Store, sender: CodeSender | None = None) -> None:
        self.store = store
        self.directory = Directory(store)
        self.sender: CodeSender = sender or DeskReadsOut()

    # -- asking for a code -------------------------------------------------------------------------

    def request_code(self, site: str, phone: str, client: str, now: datetime | None = None) -> None:
        """A resident asks for a code. Rate limited per number and per client (RateLimited);
        otherwise the same outcome, listed or not: a listed number's request is sent by the
        sender, or waits for the desk."""
        now = now or datetime.now(UTC)
        key = _key(phone)
        subject = phone_hash(site, key)
        with self.store.engine.begin() as conn:
            self._check_requests(conn, site, subject, client, now)
            self._record(conn, site, "request", subject, client, now)
        units = self.directory.units_of_phone(site, phone)
        if not units:
            return
        if self.sender.reaches(site):
            code, expires = self._new_code(site, key, self.sender.name, now)
            self.sender.send(site, phone, code, expires)
            return
        with self.store.engine.begin() as conn:
            waiting = conn.execute(select(resident_code_requests.c.id).where(
                resident_code_requests.c.site == site, resident_code_requests.c.phone_key == key,
                resident_code_requests.c.answered_at.is_(None))).first()
            if waiting is None:
                conn.execute(insert(resident_code_requests).values(
                    site=site, phone=phone.strip()[:40], phone_key=key, units=units, requested_at=now))
            else:
                conn.execute(update(resident_code_requests).where(resident_code_requests.c.id == waiting[0])
                             .values(requested_at=now, units=units))

    def _check_requests(self, conn: Connection, site: str, subject: str, client: str, now: datetime) -> None:
        since = now - REQUEST_WINDOW
        for column, value, limit in ((resident_attempts.c.phone_hash, subject, REQUESTS_PER_NUMBER),
                                     (resident_attempts.c.client, client, REQUESTS_PER_CLIENT)):
            times = [utc(t) for (t,) in conn.execute(
                select(resident_attempts.c.at).where(column == value, resident_attempts.c.kind == "request",
                                                     resident_attempts.c.at > since)
                .order_by(resident_attempts.c.at.desc()).limit(limit))]
            if len(times) >= limit:
                # The oldest request of the window leaving it makes room for the next.
                raise RateLimited(max(1, int((times[-1] + REQUEST_WINDOW - now).total_seconds()) + 1))

    # -- the desk ------------------------------------------------------------------------------------

    def pending(self, site: str) -> list[dict[str, Any]]:
        """Requests waiting for the desk, oldest first (phone, units, requested_at)."""
        since = datetime.now(UTC) - CODE_TTL * 6
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(resident_code_requests.c.id, resident_code_requests.c.phone,
                                       resident_code_requests.c.units, resident_code_requests.c.requested_at)
                                .where(resident_code_requests.c.site == site,
                                       resident_code_requests.c.answered_at.is_(None),
                                       resident_code_requests.c.requested_at > since)
                                .order_by(resident_code_requests.c.requested_at)).mappings().all()
        return [{**dict(r), "requested_at": utc(r["requested_at"])} for r in rows]

    def make_code(self, site: str, phone: str, by: str, now: datetime | None = None) -> tuple[str, datetime, list[str]]:
        """A code the desk reads out to a resident: (code, expires_at, units). NotListed if the number
        is not in the site's directory. Answers the number's waiting request."""
        now = now or datetime.now(UTC)
        key = _key(phone)
        units = self.directory.units_of_phone(site, phone)
        if not units:
            raise NotListed(f"no unit of site {site!r} lists this number")
        code, expires = self._new_code(site, key, by, now)
        with self.store.engine.begin() as conn:
            conn.execute(update(resident_code_requests).where(
                resident_code_requests.c.site == site, resident_code_requests.c.phone_key == key,
                resident_code_requests.c.answered_at.is_(None)).values(answered_at=now, answered_by=by[:64]))
        return code, expires, units

    def _new_code(self, site: str, key: str, by: str, now: datetime) -> tuple[str, datetime]:
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        salt = secrets.token_hex(16)
        expires = now + CODE_TTL
        with self.store.engine.begin() as conn:
            # One live code per number: each extra one would be one more value a guess could hit.
            conn.execute(update(resident_codes).where(resident_codes.c.site == site, resident_codes.c.phone_key == key,
                                                      resident_codes.c.spent_at.is_(None)).values(spent_at=now))
            conn.execute(insert(resident_codes).values(site=site, phone_key=key, code_hash=_hash_code(salt, code),
                                                       salt=salt, created_at=now, expires_at=expires, made_by=by[:64]))
        return code, expires

    # -- signing in ----------------------------------------------------------------------------------

    def sign_in(self, site: str, phone: str, code: str, client: str, now: datetime | None = None) -> SignedIn:
        """Check a code: SignedIn, or Locked (before the code is even looked at), or WrongCode."""
        now = now or datetime.now(UTC)
        key = _key(phone)
        subject = phone_hash(site, key)
        with self.store.engine.begin() as conn:
            until = self._locked_until(conn, site, subject, client, now)
            if until is not None:
                raise Locked(until)
            right = self._spend(conn, site, key, code.strip(), now)
            units = tuple(self.directory.units_of_phone(site, phone)) if right else ()
            if right and units:
                self._record(conn, site, "right", subject, client, now)
                # A resident who got in is no longer someone guessing: their wrong tries stop counting.
                conn.execute(delete(resident_attempts).where(resident_attempts.c.phone_hash == subject,
                                                             resident_attempts.c.kind == "wrong"))
                return SignedIn(site, key, units)
            self._record(conn, site, "wrong", subject, client, now)
            until = self._maybe_lock(conn, site, subject, client, now)
        if until is not None:
            raise Locked(until)
        raise WrongCode("the code is wrong or has expired")

    def _spend(self, conn: Connection, site: str, key: str, code: str, now: datetime) -> bool:
        if len(code) != CODE_DIGITS or not code.isdigit():
            return False
        live = conn.execute(select(resident_codes.c.id, resident_codes.c.salt, resident_codes.c.code_hash).where(
            resident_codes.c.site == site, resident_codes.c.phone_key == key, resident_codes.c.spent_at.is_(None),
            resident_codes.c.expires_at > now)).all()
        for row in live:
            if hmac.compare_digest(_hash_code(row.salt, code), row.code_hash):
                conn.execute(update(resident_codes).where(resident_codes.c.id == row.id).values(spent_at=now))
                return True
        return False

    def _locked_until(self, conn: Connection, site: str, subject: str, client: str, now: datetime) -> datetime | None:
        until = conn.execute(select(func.max(resident_locks.c.until)).where(
            resident_locks.c.until > now,
            or_(and_(resident_locks.c.scope == "phone", resident_locks.c.subject == subject,
                     resident_locks.c.site == site),
                and_(resident_locks.c.scope == "client", resident_locks.c.subject == client)))).scalar()
        return utc(until) if until is not None else None

    def _maybe_lock(self, conn: Connection, site: str, subject: str, client: str, now: datetime) -> datetime | None:
        since = now - LOCK_WINDOW
        wrong = resident_attempts.c.kind == "wrong"
        by_number = conn.execute(select(func.count()).where(wrong, resident_attempts.c.phone_hash == subject,
                                                            resident_attempts.c.at > since)).scalar() or 0
        by_client = conn.execute(select(func.count()).where(wrong, resident_attempts.c.client == client,
                                                            resident_attempts.c.at > since)).scalar() or 0
        until = now + LOCK_FOR
        locked = False
        if by_number >= WRONG_PER_NUMBER:
            conn.execute(insert(resident_locks).values(site=site, scope="phone", subject=subject, until=until))
            locked = True
        if by_client >= WRONG_PER_CLIENT:
            conn.execute(insert(resident_locks).values(site=site, scope="client", subject=client[:64], until=until))
            locked = True
        return until if locked else None

    def _record(self, conn: Connection, site: str, kind: str, subject: str, client: str, now: datetime) -> None:
        conn.execute(insert(resident_attempts).values(site=site, kind=kind, phone_hash=subject, client=client[:64],
                                                      at=now))
        conn.execute(delete(resident_attempts).where(resident_attempts.c.at < now - KEEP_ATTEMPTS))
        conn.execute(delete(resident_locks).where(resident_locks.c.until < now))


__all__ = ["CODE_TTL", "CodeSender", "DeskReadsOut", "Locked", "NotAPhoneNumber", "NotListed", "RateLimited",
           "SignIn", "SignedIn", "WrongCode", "phone_hash"]
