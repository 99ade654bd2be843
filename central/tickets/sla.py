"""SLA timers worked out from a ticket's milestones, pauses and its kind's timer definitions.

A timer is a pure function of the facts (when each state was first reached, the pause
intervals, the appointment, the calendar), so it does not matter in which order the events
arrived: recomputing after every event gives the same answer.
"""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .lifecycle import LIFECYCLES, rank
from .settings import Calendar, SlaTimer


def add_working_days(start: datetime, n: int, calendar: Calendar, tz: str) -> datetime:
    """`start` plus n working days of `calendar`, at the same local time of day.

    Started on a day off, counting begins at midnight of the next working day (a complaint
    made on Saturday and due in one working day is due by the end of Monday).
    """
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    day = local.date()
    clock = local.timetz().replace(tzinfo=None)
    if not calendar.is_working_day(day):
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
        clock = time(0, 0)  # counting starts at the first working day's midnight
    for _ in range(n):
        day += timedelta(days=1)
        for _ in range(400):  # a calendar with no working day at all must not loop forever
            if calendar.is_working_day(day):
                break
            day += timedelta(days=1)
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def _applies(t: SlaTimer, major: bool, appointment_at: datetime | None) -> bool:
    return {None: True, "major": major, "not_major": not major, "appointment": appointment_at is not None,
            "no_appointment": appointment_at is None}[t.only_if]


def _paused_seconds(pauses: list[tuple[datetime, datetime | None]], start: datetime,
                    end: datetime | None) -> tuple[float, bool]:
    total, open_now = 0.0, False
    for p_start, p_end in pauses:
        if p_end is None:
            if end is None or p_start < end:
                open_now = end is None
                if end is not None:
                    total += max(0.0, (end - max(p_start, start)).total_seconds())
            continue
        lo, hi = max(p_start, start), min(p_end, end) if end else p_end
        if hi > lo:
            total += (hi - lo).total_seconds()
    return total, open_now


def compute_timers(kind: str, definitions: list[SlaTimer], milestones: dict[str, datetime],
                   pauses: list[tuple[datetime, datetime | None]], *, appointment_at: datetime | None,
                   major: bool, breaches: dict[str, str], calendar: Calendar, tz: str) -> list[dict[str, Any]]:
    """Each applicable timer of one ticket: name, label, start_at, due_at (None while paused), met_at,
    paused, met_in_time and breached_at. Paused time moves a pausable (non-appointment) timer's due on."""
    order = LIFECYCLES[kind]
    out = []
    for t in definitions:
        if not _applies(t, major, appointment_at):
            continue
        if t.start == "appointment":
            start_at = milestones.get(order[0])
        else:
            start_at = milestones.get(t.start)
        if start_at is None:
            continue
        stop_rank = rank(kind, t.stop)
        reached = [at for state, at in milestones.items() if rank(kind, state) >= stop_rank]
        due: datetime
        met_at = min(reached) if reached else None
        if t.start == "appointment":
            assert appointment_at is not None  # _applies() keeps appointment timers for appointments only
            due = appointment_at + timedelta(minutes=t.offset_minutes)
        elif t.working_days is not None:
            due = add_working_days(start_at, t.working_days, calendar, tz) + timedelta(minutes=t.offset_minutes)
        else:
            due = start_at + timedelta(minutes=t.minutes or 0, days=t.days or 0, seconds=t.offset_minutes * 60)
        paused = False
        if t.pausable and t.start != "appointment":
            extra, paused = _paused_seconds(pauses, start_at, met_at)
            due += timedelta(seconds=extra)
            paused = paused and met_at is None
        out.append({"name": t.name, "label": t.label, "start_at": start_at, "due_at": None if paused else due,
                    "met_at": met_at, "paused": paused,
                    "met_in_time": None if met_at is None else met_at <= due,
                    "breached_at": breaches.get(t.name)})
    return out


def next_due(timers: list[dict[str, Any]]) -> tuple[datetime | None, str | None]:
    """The earliest due time among running timers (overdue ones included): what the board shows."""
    running = [t for t in timers if t["met_at"] is None and t["due_at"] is not None]
    if not running:
        return None, None
    first = min(running, key=lambda t: t["due_at"])
    return first["due_at"], first["name"]


def next_check(timers: list[dict[str, Any]]) -> datetime | None:
    """When the breach checker must look at this ticket again (running, not yet reported)."""
    due = [t["due_at"] for t in timers if t["met_at"] is None and t["due_at"] is not None and not t["breached_at"]]
    return min(due) if due else None
