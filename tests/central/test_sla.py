"""SLA timers: configured per kind, paused, working-day calendars, breaches become events."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from frontdesk.central.config import parse_central
from frontdesk.central.tickets.checker import check_breaches
from frontdesk.central.tickets.settings import Calendar
from frontdesk.central.tickets.sla import add_working_days
from frontdesk.config import ConfigError
from frontdesk.ids import new_id

from .helpers import SITE, TICKET_EDGES, Central, Edge, with_ticket_edges

SH = "Asia/Shanghai"


def _local(y, m, d, hh=10, mm=0):
    from zoneinfo import ZoneInfo
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(SH)).astimezone(UTC)


def test_working_days_skip_weekends_and_holidays():
    cal = Calendar(holidays=[date(2026, 10, 1), date(2026, 10, 2)], extra_workdays=[date(2026, 10, 10)])
    fri = _local(2026, 11, 20)
    assert add_working_days(fri, 1, cal, SH) == _local(2026, 11, 23)          # Friday -> Monday
    assert add_working_days(fri, 7, cal, SH) == _local(2026, 12, 1)
    sat = _local(2026, 11, 21)
    assert add_working_days(sat, 1, cal, SH) == _local(2026, 11, 24, 0, 0)    # counting starts Monday
    assert add_working_days(_local(2026, 9, 30), 1, cal, SH) == _local(2026, 10, 5)   # over the holidays
    assert add_working_days(_local(2026, 10, 9), 1, cal, SH) == _local(2026, 10, 10)  # 调休 Saturday


def test_config_errors_are_clear():
    with pytest.raises(ConfigError, match="unknown ticket kind"):
        parse_central({"tickets": {"sla": {"plumbing": []}}})
    with pytest.raises(ConfigError, match="no state 'arrived'"):
        parse_central({"tickets": {"sla": {"repair": [{"name": "x", "start": "received", "stop": "arrived",
                                                       "minutes": 5}]}}})
    with pytest.raises(ConfigError, match="exactly one of"):
        parse_central({"tickets": {"sla": {"repair": [{"name": "x", "start": "received", "stop": "done"}]}}})
    with pytest.raises(ConfigError, match="no calendar"):
        parse_central({"tickets": {"site_calendars": {SITE: "missing"}}})


def test_complaint_due_in_working_days_major_in_seven(sqlite_url):
    c = Central(sqlite_url, {"tickets": {"calendars": {"cn": {"holidays": ["2026-11-23"]}},
                                         "site_calendars": {SITE: "cn"}, **TICKET_EDGES}})
    edge = Edge(c.store)
    fri = _local(2026, 11, 20)
    for tid, major in (("c-ordinary", False), ("c-major", True)):
        edge.emit("ticket.opened", {"ticket_id": tid, "kind": "complaint", "by": "desk", "title": "噪音",
                                    "complaint_class": 1, "major": major}, fri)
    assert c.tickets.get("c-ordinary")["next_due_at"].replace(tzinfo=UTC) == _local(2026, 11, 24)
    assert c.tickets.get("c-major")["next_due_timer"] == "close_major"
    assert c.tickets.get("c-major")["next_due_at"].replace(tzinfo=UTC) == _local(2026, 12, 2)
    c.close()


def test_pause_moves_the_due_time_and_configured_minutes_apply(sqlite_url):
    c = Central(sqlite_url, {"tickets": {"sla": {"repair": [
        {"name": "on_site", "start": "claimed", "stop": "on_site", "minutes": 15}]}, **TICKET_EDGES}})
    edge = Edge(c.store)
    t0 = datetime.now(UTC) - timedelta(hours=1)
    tid = new_id()
    edge.emit("ticket.opened", {"ticket_id": tid, "kind": "repair", "by": "desk", "title": "x"}, t0)
    edge.emit("ticket.transitioned", {"ticket_id": tid, "by": "w", "to_state": "claimed"}, t0)
    assert c.tickets.get(tid)["timers"][0]["due_at"] == (t0 + timedelta(minutes=15)).isoformat()
    edge.emit("ticket.paused", {"ticket_id": tid, "by": "w", "reason": "waiting_resident"}, t0 + timedelta(minutes=5))
    t = c.tickets.get(tid)
    assert t["paused"] and t["next_due_at"] is None and t["timers"][0]["paused"]
    assert check_breaches(c.tickets) == 0  # a paused timer is not overdue
    edge.emit("ticket.resumed", {"ticket_id": tid, "by": "w"}, t0 + timedelta(minutes=25))
    t = c.tickets.get(tid)
    assert t["timers"][0]["due_at"] == (t0 + timedelta(minutes=35)).isoformat()
    c.close()


def test_appointment_timer(sqlite_url):
    c = Central(sqlite_url)
    desk = c.client("desk")
    appt = datetime.now(UTC) + timedelta(days=1)
    t = desk.post("/api/v1/tickets", json={"site": SITE, "kind": "repair", "title": "约时间",
                                           "appointment_at": appt.isoformat()}).json()
    desk.post(f"/api/v1/tickets/{t['id']}/transition", json={"to_state": "claimed"})
    timers = {x["name"]: x for x in c.client("desk").get(f"/api/v1/tickets/{t['id']}").json()["timers"]}
    assert "on_site" not in timers
    assert timers["on_site_appointment"]["due_at"] == (appt - timedelta(minutes=5)).isoformat()
    bad = desk.post("/api/v1/tickets", json={"site": SITE, "kind": "repair", "title": "x",
                                             "appointment_at": "0001-01-01T00:00:00Z"})
    assert bad.status_code == 422
    c.close()


@with_ticket_edges
def test_breaches_become_events_once(central):
    edge = Edge(central.store)
    tid = new_id()
    edge.emit("ticket.opened", {"ticket_id": tid, "kind": "repair", "by": "desk", "title": "x"},
              datetime.now(UTC) - timedelta(minutes=10))
    assert check_breaches(central.tickets) == 1
    assert check_breaches(central.tickets) == 0
    t = central.tickets.get(tid)
    assert "work_order" in t["breaches"] and t["any_breach"]
    breaches = central.store.list_events(type_="ticket.sla_breached")
    assert len(breaches) == 1 and breaches[0]["device"] == "central" and breaches[0]["payload"]["timer"] == "work_order"
    # still due (overdue) on the board until the work order is issued
    board = central.client("desk").get("/api/v1/tickets").json()
    assert board[0]["next_due_timer"] == "work_order" and board[0]["any_breach"]
