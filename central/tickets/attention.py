"""What needs the desk now (the desk home's panels): tickets falling due, overdue tickets,
callbacks due (回访), visitors on site and mail waiting to be collected.

One query per panel, each on an index of its table, so the panels can be reloaded on every live
event of a busy site: the ticket lists walk (site, is_open, next_due_at), the mail count
(site, kind, created_at), the visitor count (site, checked_out_at). Ticket rows carry the board's
columns only (no names or phone numbers: the desk home is on screen all day).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from ..store import Store
from .system import BOARD_COLUMNS
from .tables import tickets, visits

# The SLA timer that runs from "done" (or "resolved") until the callback is recorded (settings.py).
CALLBACK_TIMER = "callback"
DUE_WINDOW = timedelta(minutes=30)


def _scoped(query: Select, column: Any, sites: tuple[str, ...] | None) -> Select:
    return query if sites is None else query.where(column.in_(sites))


def _list(conn: Any, query: Select, limit: int) -> tuple[list[dict[str, Any]], bool]:
    # One more row than shown tells "there are more" without a second (count) query.
    rows = [dict(r) for r in conn.execute(query.limit(limit + 1)).mappings()]
    return rows[:limit], len(rows) > limit


def attention(store: Store, sites: tuple[str, ...] | None, now: datetime | None = None,
              limit: int = 50) -> dict[str, Any]:
    """The desk home's panels for `sites` (None = every site), as of `now`:

    due_soon   open tickets whose next timer falls due within 30 minutes (and has not yet)
    overdue    open tickets whose next running timer is past due (the breach check reports it)
    callbacks  done tickets waiting for their callback: the running timer is the callback's
    visitors_on_site, mail_waiting   counts (checked in and not out; open mail tickets)

    Each list is soonest due first, at most `limit` rows, with `<name>_more` true when cut.
    """
    now = now or datetime.now(UTC)
    board = _scoped(select(*BOARD_COLUMNS).where(tickets.c.is_open.is_(True)), tickets.c.site, sites)
    running = board.where(tickets.c.next_due_at.is_not(None)).order_by(tickets.c.next_due_at)
    panels = {
        "due_soon": running.where(tickets.c.next_due_at >= now, tickets.c.next_due_at < now + DUE_WINDOW),
        "overdue": running.where(tickets.c.next_due_at < now),
        "callbacks": running.where(tickets.c.next_due_timer == CALLBACK_TIMER),
    }
    visitors_q = _scoped(select(func.count()).select_from(visits)
                         .where(visits.c.checked_out_at.is_(None), visits.c.checked_in_at.is_not(None)),
                         visits.c.site, sites)
    mail_q = _scoped(select(func.count()).select_from(tickets)
                     .where(tickets.c.kind == "mail", tickets.c.is_open.is_(True)), tickets.c.site, sites)
    out: dict[str, Any] = {"now": now.isoformat(), "window_min": int(DUE_WINDOW.total_seconds() // 60)}
    with store.engine.connect() as conn:
        for name, query in panels.items():
            out[name], out[f"{name}_more"] = _list(conn, query, limit)
        out["visitors_on_site"] = conn.execute(visitors_q).scalar_one()
        out["mail_waiting"] = conn.execute(mail_q).scalar_one()
    return out
