"""The ticket board counting down, the registers with their exports, and the statistics page,
in a real headless Chromium against central's real app and API."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from frontdesk.ids import new_id

from .dashboard_helpers import SITE, Edge, login, ringing, screenshot, transcribed, wait_until


def opened(ticket_id: str, title: str, kind: str = "repair", **extra):
    return {"ticket_id": ticket_id, "kind": kind, "by": "edge:desk-1", "title": title, "unit": "1-0101",
            "source": "edge", **extra}


# desk-1 sends ticket events here: central applies those only from the edges it lists.
@pytest.mark.parametrize("central", [{"tickets": {"edge_ticket_devices": {SITE: ["desk-1"]}}}], indirect=True)
def test_board_counts_down_shows_overdue_and_updates_live(page, central, tmp_path):
    edge = Edge(central.store)
    now = datetime.now(UTC)
    late, fresh = new_id(), new_id()
    edge.send("ticket.opened", opened(late, "卫生间漏水"), occurred_at=now - timedelta(minutes=30))
    edge.send("ticket.opened", opened(fresh, "<i>灯不亮</i>"), occurred_at=now)
    user, password = central.add_user("desk-board", "desk")
    login(page, central, user, password, "board")
    page.wait_for_selector(f'tr[data-ticket="{fresh}"] td.due')
    rows = page.locator("#board tbody tr")
    assert rows.nth(0).get_attribute("data-ticket") == late  # soonest due (here: overdue) first
    late_due = page.locator(f'tr[data-ticket="{late}"] td.due')
    assert "已超时" in late_due.inner_text() and "late" in late_due.get_attribute("class")
    fresh_due = page.locator(f'tr[data-ticket="{fresh}"] td.due')
    first = fresh_due.inner_text()
    assert first.startswith("剩余")
    wait_until(lambda: fresh_due.inner_text() != first, timeout=5, what="the countdown to move")
    assert page.locator("#board i").count() == 0 and "<i>灯不亮</i>" in page.locator("#board").inner_text()
    wait_until(lambda: central.hub.subscribers >= 1, what="the board's live stream")
    third = new_id()
    edge.send("ticket.opened", opened(third, "电梯异响", kind="help_request"))
    page.wait_for_selector(f'tr[data-ticket="{third}"]')
    screenshot(page, "board", tmp_path)


@pytest.mark.parametrize("central", [{"tickets": {"edge_ticket_devices": {SITE: ["desk-1"]}}}], indirect=True)
def test_board_shows_readable_numbers_and_finds_a_ticket_by_one(page, central, tmp_path):
    edge = Edge(central.store)
    leak, lamp = new_id(), new_id()
    edge.send("ticket.opened", opened(leak, "卫生间漏水", unit="3-201"))
    edge.send("ticket.opened", opened(lamp, "灯不亮", unit="5-1102"))
    number = central.app.state.tickets.get(leak)["number"]
    assert number.startswith("BX-") and number.endswith("-001")
    user, password = central.add_user("desk-find", "desk")
    login(page, central, user, password, "board")
    page.wait_for_selector(f'tr[data-ticket="{leak}"]')
    assert page.locator(f'tr[data-ticket="{leak}"] td.number').inner_text() == number
    # Typed as someone reads it out: lower case, no dashes.
    page.fill("#board-q", number.lower().replace("-", ""))
    page.press("#board-q", "Enter")
    page.wait_for_selector(f'tr[data-ticket="{lamp}"]', state="detached")
    assert page.locator("#board tbody tr").count() == 1
    page.fill("#board-q", "BX-19990101-001")
    page.press("#board-q", "Enter")
    page.wait_for_selector("#board-empty")
    page.click("#board-clear")
    page.wait_for_selector(f'tr[data-ticket="{lamp}"]')
    assert page.locator("#board tbody tr").count() == 2
    screenshot(page, "board-search", tmp_path)


def test_registers_show_calls_and_export_csv_and_xlsx(page, central, tmp_path):
    edge = Edge(central.store)
    call_id = new_id()
    edge.send("call.ringing", ringing(call_id, number="+8613712345678", unit="9-0909"))
    edge.send("call.transcribed", {**transcribed(call_id, "电梯按钮失灵，请派人检查"), "category": "repair"})
    user, password = central.add_user("desk-reg", "desk")
    login(page, central, user, password, "registers")
    page.wait_for_selector("#register tbody tr")
    assert "+8613712345678" in page.locator("#register").inner_text()
    csv_href = page.get_attribute("#export-csv", "href")
    got = page.request.get(central.url + csv_href)
    assert got.status == 200 and "text/csv" in got.headers["content-type"]
    rows = list(csv.DictReader(io.StringIO(got.text().lstrip("\ufeff"))))
    assert [r["call_id"] for r in rows] == [call_id] and rows[0]["unit"] == "9-0909"
    xlsx = page.request.get(central.url + page.get_attribute("#export-xlsx", "href"))
    assert xlsx.status == 200 and xlsx.body()[:2] == b"PK"
    screenshot(page, "registers", tmp_path)
    page.click("#reg-visits")
    page.wait_for_selector("#reg-visits:not(.secondary)")
    page.wait_for_selector("section.panel .empty")


def _api(central, token):
    return httpx.Client(base_url=central.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_statistics_page_shows_the_month_as_the_api_counts_it(page, central, tmp_path):
    user, password = central.add_user("manager1", "manager")
    token = httpx.post(f"{central.url}/api/v1/auth/login",
                       json={"username": user, "password": password, "token": True}).json()["token"]
    with _api(central, token) as api:
        made = [api.post("/api/v1/tickets", json={"site": SITE, "kind": kind, "title": title, **extra}).json()
                for kind, title, extra in (("repair", "水管漏水", {}), ("repair", "门锁坏了", {}),
                                           ("complaint", "噪音", {"complaint_class": 1}),
                                           ("complaint", "外墙渗水", {"complaint_class": 2}))]
        assert all("id" in m for m in made), made
        done = made[0]["id"]
        for state in ("work_order_issued", "claimed", "on_site", "done", "confirmed"):
            assert api.post(f"/api/v1/tickets/{done}/transition", json={"to_state": state}).status_code == 200
        called_back = api.post(f"/api/v1/tickets/{done}/callback", json={"reached": True, "satisfied": True})
        assert called_back.status_code == 200
        assert api.post(f"/api/v1/tickets/{done}/transition", json={"to_state": "closed"}).status_code == 200
        month = datetime.now(ZoneInfo("UTC")).strftime("%Y-%m")
        expected = api.get("/api/v1/stats/monthly", params={"site": SITE, "month": month}).json()
    login(page, central, user, password, "stats", f"?site={SITE}&month={month}")
    page.wait_for_selector("#figures")
    assert page.locator("#fig-tickets").inner_text() == str(expected["totals"]["opened"]) == "4"
    for key in ("timeliness_rate", "first_time_fix_rate", "satisfaction_rate"):
        value = expected["totals"][key]
        shown = page.locator(f"#fig-{key}").inner_text()
        assert shown == ("–" if value is None else f"{round(value * 1000) / 10:g} %"), (key, shown, value)
    assert page.locator("#complaints-1").inner_text() == str(expected["complaints_by_class"]["1"]) == "1"
    assert page.locator("#complaints-2").inner_text() == "1"
    # The plot has one bar per rate that has a value, for the kinds with tickets.
    bars = page.locator("#rate-plot rect[height]")
    with_values = sum(1 for k in expected["kinds"] if k["opened"]
                      for key in ("timeliness_rate", "first_time_fix_rate", "satisfaction_rate") if k[key] is not None)
    assert bars.count() - 3 == with_values > 0  # minus the three legend swatches
    png = page.request.get(central.url + page.get_attribute("#stats-png", "href"))
    assert png.status == 200 and png.body()[:8] == b"\x89PNG\r\n\x1a\n"
    screenshot(page, "stats", tmp_path)


def test_statistics_refused_for_a_guard(page, central):
    user, password = central.add_user("guard-stats", "guard")
    login(page, central, user, password, "stats", f"?site={SITE}")
    page.wait_for_selector("#stats-body .message.error")
    assert "guard" in page.locator("#stats-body").inner_text()
