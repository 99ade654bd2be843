"""Registers (filtered views, CSV / XLSX export), the night register, monthly statistics."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from frontdesk.ids import new_id

from .helpers import SITE, Edge, call_events, with_ticket_edges


def _sh(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def test_call_register_filters_night_and_exports(central):
    edge = Edge(central.store)
    day, night = _sh(2026, 11, 20, 10), _sh(2026, 11, 20, 22, 15)
    edge.send(*call_events(edge, new_id(), at=day, number="13800000001", unit="1-101"))
    edge.send(*call_events(edge, new_id(), at=night, number="13800000002", unit="2-202",
                           text="=HYPERLINK(\"http://evil\")", category="inquiry"))
    desk = central.client("desk")
    assert [c["unit"] for c in desk.get("/api/v1/registers/calls").json()] == ["2-202", "1-101"]
    assert [c["unit"] for c in desk.get("/api/v1/registers/calls", params={"night": True}).json()] == ["2-202"]
    assert [c["unit"] for c in desk.get("/api/v1/registers/calls", params={"unit": "1-101"}).json()] == ["1-101"]
    since = desk.get("/api/v1/registers/calls", params={"since": _sh(2026, 11, 20, 12).isoformat()}).json()
    assert [c["unit"] for c in since] == ["2-202"]
    page2 = desk.get("/api/v1/registers/calls", params={"before": night.isoformat()}).json()
    assert [c["unit"] for c in page2] == ["1-101"]
    night_reg = desk.get("/api/v1/registers/night").json()
    assert [(r["what"], r["unit"]) for r in night_reg] == [("call", "2-202")]
    r = desk.get("/api/v1/registers/calls", params={"format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {row["number"] for row in rows} == {"13800000001", "13800000002"}
    # a caller's words never become a spreadsheet formula
    assert any(row["transcript"].startswith("'=HYPERLINK") for row in rows)
    x = desk.get("/api/v1/registers/calls", params={"format": "xlsx"})
    ws = load_workbook(io.BytesIO(x.content)).active
    values = list(ws.values)
    assert values[0][0] == "call_id" and len(values) == 3
    audit = central.client("manager").get("/api/v1/audit").json()
    assert {(a["action"], a["entity_id"]) for a in audit} >= {("export", "calls"), ("read", "calls")}


def test_mail_register(central):
    guard = central.client("guard")
    r = guard.post("/api/v1/tickets", json={"site": SITE, "kind": "mail", "title": "EMS 挂号信", "unit": "3-301",
                                            "contact_name": "陈六", "source": "mail", "source_ref": "EMS123"})
    assert r.status_code == 201
    tid = r.json()["id"]
    assert [m["id"] for m in guard.get("/api/v1/registers/mail", params={"uncollected": True}).json()] == [tid]
    desk = central.client("desk")
    desk.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": "notified"})
    desk.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": "collected"})
    desk.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": "closed"})
    assert guard.get("/api/v1/registers/mail", params={"uncollected": True}).json() == []
    assert guard.get("/api/v1/registers/calls").status_code == 403


@with_ticket_edges
def test_monthly_statistics_and_plot(central):
    edge = Edge(central.store)
    base = _sh(2026, 10, 5, 9)
    m = lambda minutes: base + timedelta(minutes=minutes)  # noqa: E731

    def repair(tid, on_time: bool, satisfied: bool | None, reopen=False):
        edge.emit("ticket.opened", {"ticket_id": tid, "kind": "repair", "by": "desk", "title": "r"}, m(0))
        steps = [("work_order_issued", 1 if on_time else 5), ("claimed", 6 if not on_time else 2), ("on_site", 10),
                 ("done", 30), ("callback", 60), ("closed", 61)]
        for state, at in steps:
            edge.emit("ticket.transitioned", {"ticket_id": tid, "by": "w", "to_state": state}, m(at))
        if satisfied is not None:
            edge.emit("ticket.callback_recorded", {"ticket_id": tid, "by": "desk", "reached": True,
                                                   "satisfied": satisfied}, m(62))
        if reopen:
            edge.emit("ticket.reopened", {"ticket_id": tid, "by": "desk"}, m(70))
            for state, at in (("done", 80), ("closed", 90)):
                edge.emit("ticket.transitioned", {"ticket_id": tid, "by": "w", "to_state": state}, m(at))

    repair("r1", True, True)
    repair("r2", True, True)
    repair("r3", False, False)
    repair("r4", True, None, reopen=True)
    for tid, cls, valid in (("c1", 1, True), ("c2", 1, False), ("c3", 3, True)):
        edge.emit("ticket.opened", {"ticket_id": tid, "kind": "complaint", "by": "desk", "title": "c",
                                    "complaint_class": cls, "complaint_valid": valid}, m(0))
    edge.emit("ticket.opened", {"ticket_id": "nov", "kind": "repair", "by": "desk", "title": "next month"},
              _sh(2026, 11, 1, 0, 5))
    manager = central.client("manager")
    s = manager.get("/api/v1/stats/monthly", params={"site": SITE, "month": "2026-10"}).json()
    rep = next(k for k in s["kinds"] if k["kind"] == "repair")
    assert rep["opened"] == 4 and rep["closed"] == 4
    assert rep["timeliness_rate"] == 0.5            # r3 late work order, r4 reopened -> its timers re-ran late
    assert rep["first_time_fix_rate"] == 0.75       # r4 reopened
    assert rep["satisfaction_rate"] == round(2 / 3, 4)
    assert s["complaints_by_class"] == {"1": 2, "2": 0, "3": 1, "unclassified": 0}
    assert s["complaints_validity"] == {"valid": 2, "invalid": 1, "undecided": 0}
    png = manager.get("/api/v1/stats/monthly.png", params={"site": SITE, "month": "2026-10"})
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert manager.get("/api/v1/stats/monthly", params={"site": SITE, "month": "2026-13"}).status_code == 422
