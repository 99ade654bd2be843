"""The registers (来电 / 来访 / 邮件 / 夜班登记) as filtered views, and their CSV / XLSX export.

Every register is a newest-first page over an index (site, time); `before` continues from the
last line of the previous page, so paging stays fast however long the register is.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..store import Store
from .tables import calls, tickets, visits
from .times import iso, utc

CALL_COLUMNS = ["call_id", "site", "device", "started_at", "number", "caller_name", "unit", "resident_name",
                "answered_at", "answered_by", "ended_at", "outcome", "rings", "duration_s", "menu_choice",
                "category", "transcript", "transcript_error", "notes", "night", "blocked", "ticket_id"]
VISIT_COLUMNS = ["visit_id", "site", "device", "visitor_name", "phone", "host_unit", "purpose", "method", "pass_id",
                 "single_use", "double_use", "checked_in_at", "checked_out_at", "night", "anonymised_at", "ticket_id"]
MAIL_COLUMNS = ["id", "site", "created_at", "title", "details", "unit", "contact_name", "contact_phone", "state",
                "owner", "closed_at"]
REGISTERS = ("calls", "visits", "mail", "night")
EXPORT_MAX_ROWS = 100_000


def _rows(result) -> list[dict[str, Any]]:
    out = []
    for r in result:
        row = dict(r)
        for k, v in row.items():
            if isinstance(v, datetime):
                row[k] = iso(v)
        out.append(row)
    return out


class Registers:
    """The register queries; `sites` None = every site. Times in the rows are ISO strings."""
    def __init__(self, store: Store) -> None:
        self.store = store

    def calls(self, sites: tuple[str, ...] | None, *, since: datetime | None = None, until: datetime | None = None,
              before: datetime | None = None, night: bool | None = None, unit: str | None = None,
              number: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The call register, newest first: since <= started_at < until, `before` for the next page,
        night, unit and number as given; at most `limit`."""
        q = select(*[calls.c[c] for c in CALL_COLUMNS]).order_by(calls.c.started_at.desc()).limit(limit)
        if sites is not None:
            q = q.where(calls.c.site.in_(sites))
        for cond, ok in ((lambda: calls.c.started_at >= since, since), (lambda: calls.c.started_at < until, until),
                         (lambda: calls.c.started_at < before, before), (lambda: calls.c.unit == unit, unit),
                         (lambda: calls.c.number == number, number)):
            if ok is not None:
                q = q.where(cond())
        if night is not None:
            q = q.where(calls.c.night.is_(night))
        with self.store.engine.connect() as conn:
            return _rows(conn.execute(q).mappings())

    def visits(self, sites: tuple[str, ...] | None, *, since: datetime | None = None, until: datetime | None = None,
               before: datetime | None = None, night: bool | None = None, on_site: bool = False,
               unit: str | None = None, double_use: bool = False, limit: int = 100) -> list[dict[str, Any]]:
        """The visit register, newest first (by first seen): time filters as for calls, night, host unit;
        `on_site` keeps those checked in and not out (the roll call), `double_use` the flagged passes."""
        q = select(*[visits.c[c] for c in VISIT_COLUMNS]).order_by(visits.c.first_seen_at.desc()).limit(limit)
        if sites is not None:
            q = q.where(visits.c.site.in_(sites))
        for cond, ok in ((lambda: visits.c.first_seen_at >= since, since),
                         (lambda: visits.c.first_seen_at < until, until),
                         (lambda: visits.c.first_seen_at < before, before), (lambda: visits.c.host_unit == unit, unit)):
            if ok is not None:
                q = q.where(cond())
        if night is not None:
            q = q.where(visits.c.night.is_(night))
        if on_site:
            # the evacuation roll call: checked in, not checked out
            q = q.where(visits.c.checked_out_at.is_(None), visits.c.checked_in_at.is_not(None))
        if double_use:
            q = q.where(visits.c.double_use.is_(True))
        with self.store.engine.connect() as conn:
            return _rows(conn.execute(q).mappings())

    def mail(self, sites: tuple[str, ...] | None, *, since: datetime | None = None, until: datetime | None = None,
             before: datetime | None = None, uncollected: bool = False, unit: str | None = None,
             limit: int = 100) -> list[dict[str, Any]]:
        """The mail register (mail tickets), newest first: time filters as for calls, unit; `uncollected`
        keeps the open ones."""
        q = (select(*[tickets.c[c] for c in MAIL_COLUMNS]).where(tickets.c.kind == "mail")
             .order_by(tickets.c.created_at.desc()).limit(limit))
        if sites is not None:
            q = q.where(tickets.c.site.in_(sites))
        for cond, ok in ((lambda: tickets.c.created_at >= since, since), (lambda: tickets.c.created_at < until, until),
                         (lambda: tickets.c.created_at < before, before), (lambda: tickets.c.unit == unit, unit)):
            if ok is not None:
                q = q.where(cond())
        if uncollected:
            q = q.where(tickets.c.is_open.is_(True))
        with self.store.engine.connect() as conn:
            return _rows(conn.execute(q).mappings())

    def night(self, sites: tuple[str, ...] | None, *, since: datetime | None = None, until: datetime | None = None,
              limit: int = 200) -> list[dict[str, Any]]:
        """The night register (17:30-08:30): calls and visits of the night shift, newest first."""
        lines = [{"what": "call", "at": r["started_at"], **r}
                 for r in self.calls(sites, since=since, until=until, night=True, limit=limit)]
        lines += [{"what": "visit", "at": r["checked_in_at"] or r["checked_out_at"], **r}
                  for r in self.visits(sites, since=since, until=until, night=True, limit=limit)]
        lines.sort(key=lambda r: r["at"] or "", reverse=True)
        return lines[:limit]


def columns_for(register: str) -> list[str]:
    """The export columns of a register (calls, visits, mail, night); KeyError for another name."""
    return {"calls": CALL_COLUMNS, "visits": VISIT_COLUMNS, "mail": MAIL_COLUMNS,
            "night": ["what", "at"] + [c for c in CALL_COLUMNS + VISIT_COLUMNS if c not in ("site",)] + ["site"],
            }[register]


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # a spreadsheet must not run what a caller said as a formula (CSV / formula injection)
        return "'" + value
    return value


def to_csv(columns: list[str], rows: Iterable[dict[str, Any]]) -> bytes:
    """The rows as UTF-8 CSV with a BOM, header line first; a cell that could run as a formula gets
    a leading '."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
    # UTF-8 with BOM: spreadsheet programs then read the Chinese correctly
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(title: str, columns: list[str], rows: Iterable[dict[str, Any]]) -> bytes:
    """The rows as an XLSX workbook of one sheet named `title` (cut to 31 characters); formula-like
    cells get a leading ', dicts and lists are written as text."""
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.append(columns)
    for row in rows:
        ws.append([_cell(row.get(c)) if not isinstance(row.get(c), (dict, list)) else str(row.get(c)) for c in columns])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def parse_when(value: str | None) -> datetime | None:
    """A query's time as an aware UTC datetime (naive = UTC); None or '' gives None, a bad string
    ValueError."""
    return utc(value) if value else None
