"""Throttling staff logins: failed logins counted per (account, address) pair, per account and per
client address, in the database (every central replica sees the same counts).

After `free` failures within the window, every further attempt is refused (HTTP 429) for
base * 2^(failures - free) seconds, up to a cap; a refused attempt does not check the password and
does not count. The window: a counter with no failure for an hour starts again at zero.

| counter | free failures | first wait | cap |
|---|---|---|---|
| account + address (pair) | 5 | 30 s | 15 min |
| account (from anywhere) | 20 | 30 s | 5 min |
| address (any account) | 30 | 30 s | 15 min |

The pair limit is the tight one: it stops guessing one account from one place. The account limit
stops guessing one account from many addresses, and the address limit one address trying many
accounts (password spraying). Like "smart lockout" in the well-known identity products, an
address this account logged in from successfully in the last 30 days (a familiar address: the
desk PC, the technician's phone) is held back by its pair counter only: an attacker elsewhere
who pushes the account or a shared address over its limit does not lock out the staff at their
usual desk. One address alone cannot lock any account for anyone else: it adds at most 5
failures to an account before its pair lock and 30 in all before its address lock, while the
account limit needs 20.

A good login clears the pair's and the account's counters (not the address's: a shared address
spraying accounts stays limited). Unknown user names are counted and locked exactly like real
ones, so a lockout says nothing about whether an account exists.
"""
from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .tables import login_throttle

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=1)
FAMILIAR = timedelta(days=30)


@dataclass(frozen=True)
class Limit:
    """Failures allowed before a lock, the first lock's length and the longest (seconds)."""
    free: int
    base_s: int
    cap_s: int

    def lock_s(self, failures: int) -> int:
        """How long a counter at `failures` locks (0: not yet)."""
        if failures < self.free:
            return 0
        return min(self.cap_s, self.base_s * 2 ** min(failures - self.free, 20))


LIMITS = {"pair": Limit(5, 30, 15 * 60), "account": Limit(20, 30, 5 * 60), "address": Limit(30, 30, 15 * 60)}


@dataclass(frozen=True)
class Lockout:
    """A counter that has just locked: its scope, the user name and address, for how long."""
    scope: str
    username: str
    address: str
    failures: int
    seconds: int


def _utc(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _keys(username: str, address: str) -> dict[str, str]:
    subjects = {"pair": f"{username}\0{address}", "account": username, "address": address}
    return {scope: hashlib.sha256(f"{scope}\0{subject}".encode()).hexdigest() for scope, subject in subjects.items()}


class LoginThrottle:
    """The three counters of each login attempt; `clock` gives the current time (UTC)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._insert = dialect.insert

    def wait(self, username: str, address: str) -> int:
        """Seconds until an attempt for `username` from `address` is taken (0: now)."""
        now = self.clock()
        keys = _keys(username, address)
        with self.engine.connect() as conn:
            rows = {r["scope"]: r for r in conn.execute(select(login_throttle).where(
                login_throttle.c.key.in_(keys.values()))).mappings()}
        pair = rows.get("pair")
        last_good = _utc(pair["last_success_at"]) if pair else None
        familiar = last_good is not None and now - last_good < FAMILIAR
        waits = [0.0]
        for scope, row in rows.items():
            until = _utc(row["locked_until"])
            if until is not None and (scope == "pair" or not familiar):
                waits.append((until - now).total_seconds())
        return max(0, math.ceil(max(waits)))

    def failed(self, username: str, address: str) -> list[Lockout]:
        """Count a failed login on its three counters; the locks it started (logged as warnings)."""
        now = self.clock()
        locks = []
        with self.engine.begin() as conn:
            for scope, key in _keys(username, address).items():
                failures, last_good = self._bump(conn, scope, key, now)
                seconds = LIMITS[scope].lock_s(failures)
                until = now + timedelta(seconds=seconds) if seconds else None
                forget = max(now + WINDOW, until or now, (last_good + FAMILIAR) if last_good else now)
                conn.execute(update(login_throttle).where(login_throttle.c.key == key)
                             .values(locked_until=until, forget_at=forget))
                if seconds:
                    locks.append(Lockout(scope, username, address, failures, seconds))
        for lock in locks:
            log.warning("login locked: %s %r from %s for %d s after %d failed logins", lock.scope,
                        lock.username if lock.scope != "address" else "*", lock.address, lock.seconds, lock.failures)
        return locks

    def _bump(self, conn: Connection, scope: str, key: str, now: datetime) -> tuple[int, datetime | None]:
        t = login_throttle.c
        stale = t.last_failure_at.is_(None) | (t.last_failure_at < now - WINDOW)
        # One statement, so that two replicas counting at once both count.
        stmt = self._insert(login_throttle).values(key=key, scope=scope, failures=1, last_failure_at=now,
                                                   forget_at=now + WINDOW)
        stmt = stmt.on_conflict_do_update(index_elements=[t.key], set_={
            "failures": case((stale, 1), else_=t.failures + 1), "last_failure_at": now})
        row = conn.execute(stmt.returning(t.failures, t.last_success_at)).one()
        return row.failures, _utc(row.last_success_at)

    def succeeded(self, username: str, address: str) -> None:
        """A good login: the pair and account counters start again; the address becomes familiar."""
        now = self.clock()
        keys = _keys(username, address)
        t = login_throttle.c
        with self.engine.begin() as conn:
            conn.execute(delete(login_throttle).where(t.key == keys["account"]))
            stmt = self._insert(login_throttle).values(key=keys["pair"], scope="pair", failures=0,
                                                       last_success_at=now, forget_at=now + FAMILIAR)
            conn.execute(stmt.on_conflict_do_update(index_elements=[t.key], set_={
                "failures": 0, "last_failure_at": None, "locked_until": None, "last_success_at": now,
                "forget_at": now + FAMILIAR}))
            conn.execute(delete(login_throttle).where(t.forget_at < now))
