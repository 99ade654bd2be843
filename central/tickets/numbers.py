"""Readable ticket numbers: `BX-20261129-007`, what people say over the phone and type at the desk.

The kind's prefix (报修 BX, 投诉 TS, ...), the day the ticket was opened in its site's time zone,
and a counter per (site, prefix, day) that starts at 1. The number is assigned once, by the
projection, in the same transaction that inserts the ticket: the counter row is bumped with an
upsert, so two centrals sharing one PostgreSQL queue on that row's lock instead of both taking the
same number, and a transaction that rolls back (a batch being bisected) rolls its number back
too — no gaps, no collisions; the unique (site, number) index is the last word. The event id
stays the ticket's identity; the number is for people.
"""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from .tables import ticket_counters

PREFIXES = {"repair": "BX", "complaint": "TS", "help_request": "QZ", "inquiry": "ZX", "paid_service": "YC",
            "mail": "YJ", "visit": "FK"}
# What a person may type: any case, dashes or spaces optional ("bx 20261129 7" is BX-20261129-007).
_TYPED = re.compile(r"^\s*([A-Za-z]{2})[\s-]*(\d{8})[\s-]*(\d{1,6})\s*$")


def day_of(at: datetime, tz: str) -> str:
    """The day `at` falls on in time zone `tz`, as YYYYMMDD."""
    return at.astimezone(ZoneInfo(tz)).strftime("%Y%m%d")


def format_number(prefix: str, day: str, n: int) -> str:
    """`BX-20261129-007` (three digits at least; a busier day simply gets more)."""
    return f"{prefix}-{day}-{n:03d}"


def normalise(typed: str) -> str | None:
    """The number someone typed, written the canonical way; None if it cannot be one."""
    m = _TYPED.match(typed)
    if not m or m.group(1).upper() not in PREFIXES.values():
        return None
    return format_number(m.group(1).upper(), m.group(2), int(m.group(3)))


def next_number(conn: Connection, site: str, kind: str, at: datetime, tz: str) -> str:
    """Take the next number for a `kind` ticket of `site` opened at `at`, inside `conn`'s transaction."""
    prefix, day = PREFIXES.get(kind, "GD"), day_of(at, tz)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(ticket_counters).values(site=site, prefix=prefix, day=day, last=1)
    stmt = stmt.on_conflict_do_update(index_elements=[ticket_counters.c.site, ticket_counters.c.prefix,
                                                      ticket_counters.c.day],
                                      set_={"last": ticket_counters.c.last + 1}).returning(ticket_counters.c.last)
    return format_number(prefix, day, conn.execute(stmt).scalar_one())
