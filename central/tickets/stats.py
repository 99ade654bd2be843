"""Monthly statistics per site and kind (field facts §1): timeliness rate, first-time-fix rate,
satisfaction rate from callbacks, complaint counts by class; and a PNG plot of the rates.

Counted over the tickets opened in the month (site-local month):
  timeliness      closed tickets whose every timer was met in time / closed tickets
  first-time fix  tickets done and never reopened / tickets done          (repair, paid service)
  satisfaction    callbacks with a satisfied resident / callbacks with an answer
"""
from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, case, func, select

from ..store import Store
from .lifecycle import KINDS
from .tables import tickets


def month_bounds(month: str, tz: str) -> tuple[datetime, datetime]:
    """The UTC start and (exclusive) end of month 'YYYY-MM' in time zone `tz`."""
    year, mon = (int(x) for x in month.split("-"))
    zone = ZoneInfo(tz)
    start = datetime(year, mon, 1, tzinfo=zone)
    end = datetime(year + (mon == 12), 1 if mon == 12 else mon + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def monthly(store: Store, site: str, month: str, tz: str) -> dict[str, Any]:
    """One site's statistics for a month: counts and rates per kind and in total, complaints by class
    and validity, and the targets. A rate is 0..1, or None when nothing counts towards it."""
    start, end = month_bounds(month, tz)
    t = tickets.c
    one = lambda cond: func.sum(case((cond, 1), else_=0)).cast(Integer)  # noqa: E731
    q = (select(t.kind, func.count().label("opened"), one(t.is_open.is_(False)).label("closed"),
                one(t.is_open.is_(False) & t.any_breach.is_(False)).label("closed_in_time"),
                one(t.done_at.is_not(None)).label("done"),
                one(t.done_at.is_not(None) & (t.reopen_count == 0)).label("done_first_time"),
                one(t.satisfied.is_not(None)).label("callbacks"),
                one(t.satisfied.is_(True)).label("satisfied"),
                one(t.any_breach.is_(True)).label("breached"))
         .where(t.site == site, t.created_at >= start, t.created_at < end).group_by(t.kind))
    cq = (select(t.complaint_class, t.complaint_valid, func.count().label("n"))
          .where(t.site == site, t.kind == "complaint", t.created_at >= start, t.created_at < end)
          .group_by(t.complaint_class, t.complaint_valid))
    with store.engine.connect() as conn:
        rows = {r["kind"]: dict(r) for r in conn.execute(q).mappings()}
        complaints = conn.execute(cq).mappings().all()
    kinds = []
    for kind in KINDS:
        r = rows.get(kind, {"opened": 0, "closed": 0, "closed_in_time": 0, "done": 0, "done_first_time": 0,
                            "callbacks": 0, "satisfied": 0, "breached": 0})
        kinds.append({"kind": kind, **{k: int(r[k] or 0) for k in r if k != "kind"},
                      "timeliness_rate": _rate(r["closed_in_time"] or 0, r["closed"] or 0),
                      "first_time_fix_rate": _rate(r["done_first_time"] or 0, r["done"] or 0)
                      if kind in ("repair", "paid_service", "help_request") else None,
                      "satisfaction_rate": _rate(r["satisfied"] or 0, r["callbacks"] or 0)})
    by_class = {"1": 0, "2": 0, "3": 0, "unclassified": 0}
    validity = {"valid": 0, "invalid": 0, "undecided": 0}
    for c in complaints:
        by_class[str(c["complaint_class"]) if c["complaint_class"] else "unclassified"] += c["n"]
        validity[{True: "valid", False: "invalid", None: "undecided"}[c["complaint_valid"]]] += c["n"]
    totals = {k: sum(int(x[k] or 0) for x in kinds)
              for k in ("opened", "closed", "closed_in_time", "done", "done_first_time", "callbacks", "satisfied",
                        "breached")}
    return {"site": site, "month": month, "tz": tz, "from": start.isoformat(), "until": end.isoformat(),
            "kinds": kinds, "complaints_by_class": by_class, "complaints_validity": validity,
            "totals": {**totals, "timeliness_rate": _rate(totals["closed_in_time"], totals["closed"]),
                       "first_time_fix_rate": _rate(totals["done_first_time"], totals["done"]),
                       "satisfaction_rate": _rate(totals["satisfied"], totals["callbacks"])},
            # targets from the service manuals: satisfaction >= 90 %, every other rate >= 85 %
            "targets": {"satisfaction_rate": 0.9, "timeliness_rate": 0.85, "first_time_fix_rate": 0.85}}


def plot_png(stats: dict[str, Any]) -> bytes:
    """A PNG bar chart of monthly()'s three rates for the kinds that had tickets, with the 85 % and
    90 % target lines."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    kinds = [k for k in stats["kinds"] if k["opened"]]
    names = [k["kind"] for k in kinds] or ["-"]
    fig = Figure(figsize=(8, 4), dpi=100)
    ax = fig.subplots()
    width = 0.27
    series = (("timeliness_rate", "timeliness"), ("first_time_fix_rate", "first-time fix"),
              ("satisfaction_rate", "satisfaction"))
    for i, (key, label) in enumerate(series):
        values = [(k[key] or 0) * 100 for k in kinds] or [0]
        ax.bar([x + (i - 1) * width for x in range(len(names))], values, width, label=label)
    ax.axhline(85, color="grey", linewidth=0.8, linestyle="--")
    ax.axhline(90, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.set_title(f"{stats['site']} {stats['month']}")
    ax.legend(loc="lower right", fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
