"""The desk's ticket screens in a real headless Chromium against central's real app: a counter
request through the new-ticket form (unit type-ahead) to a printed work order, a ringing call to a
printed work order in three clicks, and the desk home's panels."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from frontdesk.central.directory.residents import Directory
from frontdesk.ids import new_id

from ..a11y import assert_accessible
from .dashboard_helpers import SITE, Edge, login, ringing, screenshot, transcribed, wait_until
from .test_dashboard_desk import ticket_rows


def directory(central):
    Directory(central.store).replace(SITE, [
        {"unit": "3-1502", "name": "王女士", "phone": "13800138000"},
        {"unit": "3-1502", "name": "王先生", "phone": "13900139000"},
        {"unit": "3-1508", "name": "李女士", "phone": "13700137000"},
        {"unit": "5-0801", "name": None, "phone": None},
    ])


def slips(central, device=None):
    return [c for c in central.store.list_commands(sites=(SITE,), device=device) if c["type"] == "print.slip"]


def open_as(page, central, role, then, query="", username=None):
    user, password = central.add_user(username or f"{role}-{then}", role)
    login(page, central, user, password, then, query)
    return user


def test_counter_request_with_type_ahead_to_a_printed_work_order(page, central, tmp_path):
    directory(central)
    open_as(page, central, "desk", "ticket-new")
    page.wait_for_selector("#wo-form")
    assert page.locator("#wo-kind option").count() == 7
    # Type-ahead: the unit's residents are offered; arrow keys move, Enter picks.
    page.fill("#wo-unit", "3-15")
    page.wait_for_selector("#wo-unit-list:not([hidden]) [role=option][data-unit]")
    assert page.get_attribute("#wo-unit", "aria-expanded") == "true"
    assert page.locator("#wo-unit-list [role=option][data-unit]").count() == 3
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    active = page.get_attribute("#wo-unit", "aria-activedescendant")
    assert active == "wo-unit-opt-1"
    page.keyboard.press("Enter")
    assert page.locator("#wo-unit-list").is_hidden()
    assert page.input_value("#wo-unit") == "3-1502"
    assert page.input_value("#wo-name") == "王先生" and page.input_value("#wo-phone") == "13900139000"
    # Esc closes the list without leaving the page.
    page.fill("#wo-unit", "3-150")
    page.wait_for_selector("#wo-unit-list:not([hidden])")
    page.keyboard.press("Escape")
    assert page.locator("#wo-unit-list").is_hidden()
    page.fill("#wo-unit", "3-1502")
    page.select_option("#wo-kind", "repair")
    page.select_option("#wo-source", "wechat")
    page.fill("#wo-content", "卫生间下水道堵塞\n住户下午在家")
    page.fill("#wo-printer", "desk-1")
    assert_accessible(page)
    screenshot(page, "ticket-new", tmp_path)
    page.click("#wo-save")
    page.wait_for_url("**/dashboard/ticket?id=*")
    page.wait_for_selector("#ticket-number")
    rows = ticket_rows(central, unit="3-1502")
    assert len(rows) == 1
    tk = rows[0]
    assert (tk["kind"], tk["source"]) == ("repair", "wechat")
    assert (tk["contact_name"], tk["contact_phone"]) == ("王先生", "13900139000")
    assert tk["title"] == "卫生间下水道堵塞" and tk["owner"].startswith("desk")
    assert tk["number"] in page.locator("#ticket-number").inner_text()
    # A repair saved at the counter: "issue and print the work order" is offered at once (focused).
    assert page.evaluate("document.activeElement.id") == "act-workorder"
    page.keyboard.press("Enter")
    page.wait_for_selector("#act-dialog[open]")
    assert page.input_value("#act-printer") == "desk-1"  # the printer used last
    page.keyboard.press("Enter")  # Enter submits the dialog
    page.wait_for_selector("#act-dialog[open]", state="detached")
    page.wait_for_selector('#ticket-state[data-state="work_order_issued"]')
    assert ticket_rows(central, id=tk["id"])[0]["state"] == "work_order_issued"
    sent = slips(central, "desk-1")
    assert len(sent) == 1 and sent[0]["payload"]["data"]["ticket_no"] == tk["number"]
    page.wait_for_selector('#ticket-print .badge[data-state="pending"]')


def test_a_ringing_call_becomes_a_printed_work_order_in_three_clicks(page, central_any, tmp_path):
    central = central_any
    open_as(page, central, "desk", "desk")
    page.wait_for_selector("#live-state.on")
    wait_until(lambda: central.hub.subscribers >= 1, what="the page's live stream")
    edge = Edge(central.store)
    call_id = new_id()
    edge.send("call.ringing", ringing(call_id, ring=2))
    edge.send("call.transcribed", transcribed(call_id, "阳台水管爆裂，请马上派人"))
    card = page.locator(f'article.call[data-call="{call_id}"]')
    card.locator(".transcript").wait_for()
    page.evaluate("""() => { window.fdClicks = 0;
        document.addEventListener('click', (e) => { if (e.isTrusted) window.fdClicks += 1; }, true); }""")
    card.locator("button.make-wo").click()                      # click 1
    page.wait_for_selector("#wo-dialog[open] #wo-form")
    assert page.input_value("#wo-unit") == "3-1502" and page.input_value("#wo-phone") == "+8613800138000"
    assert page.input_value("#wo-kind") == "repair" and "阳台水管爆裂" in page.input_value("#wo-content")
    assert page.input_value("#wo-printer") == "desk-1"          # the desk's printer: the call's edge
    assert_accessible(page)
    page.click("#wo-submit")                                    # click 2
    card.locator(".wo-done").wait_for()
    assert page.evaluate("window.fdClicks") <= 3
    rows = ticket_rows(central, source_ref=call_id)
    assert len(rows) == 1 and rows[0]["state"] == "work_order_issued"
    sent = slips(central, "desk-1")
    assert len(sent) == 1 and sent[0]["payload"]["data"]["ticket_no"] == rows[0]["number"]
    # The card links to the ticket's page.
    card.locator("a.wo-link").click()                           # (viewing it is a fourth, optional click)
    page.wait_for_url(f"**/dashboard/ticket?id={rows[0]['id']}*")


EDGE_TICKETS = {"tickets": {"edge_ticket_devices": {SITE: ["desk-1"]}}}


def opener(central):
    """Opens tickets as the edge desk-1 would (central applies those from the edges it lists), at any time."""
    edge = Edge(central.store)

    def opened(title, kind="repair", at=None, **kw):
        tid = new_id()
        edge.send("ticket.opened", {"ticket_id": tid, "kind": kind, "by": "edge:desk-1", "title": title,
                                    "unit": "1-0101", "source": "edge", **kw}, occurred_at=at)
        return tid

    def move(tid, *states):
        for state in states:
            edge.send("ticket.transitioned", {"ticket_id": tid, "by": "edge:desk-1", "to_state": state})
    return opened, move


@pytest.mark.parametrize("central", [EDGE_TICKETS], indirect=True)
def test_desk_home_shows_what_needs_the_clerk_and_follows_live(page, central, tmp_path):
    opened, move = opener(central)
    now = datetime.now(UTC)
    overdue = opened("逾期的报修", at=now - timedelta(minutes=10))       # work order due 3 min after
    later = opened("明天到期的投诉", kind="complaint")                    # due in 1 working day: not soon
    done = opened("已完成待回访")
    move(done, "work_order_issued", "claimed", "on_site", "done")
    opened("一件挂号信", kind="mail")
    gate = Edge(central.store, device="gate-1")
    gate.send("visitor.checked_in", {"visit_id": new_id(), "method": "walk_in", "visitor_name": "李雷",
                                     "host_unit": "5-0801", "post_role": "gate", "checkout_code": "c1"})
    open_as(page, central, "desk", "desk")
    page.wait_for_selector(f'#panel-overdue-list li[data-ticket="{overdue}"]')
    page.wait_for_selector(f'#panel-callbacks-list li[data-ticket="{done}"]')
    assert page.locator(f'#panel-due li[data-ticket="{later}"]').count() == 0
    assert page.locator("#count-visitors .value").inner_text() == "1"
    assert page.locator("#count-mail .value").inner_text() == "1"
    assert "已超时" in page.locator(f'#panel-overdue-list li[data-ticket="{overdue}"] .due').inner_text()
    # Live: a repair opened now falls due within 3 minutes and shows up without a reload.
    page.wait_for_selector("#live-state.on")
    fresh = opened("刚打来的报修")
    page.wait_for_selector(f'#panel-due-list li[data-ticket="{fresh}"]')
    assert_accessible(page)
    screenshot(page, "desk-home", tmp_path)
    # N opens a new ticket, / goes to the search box.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "desk-q"
    page.keyboard.type("BX-20000101-999")
    page.keyboard.press("Enter")
    page.wait_for_selector("#desk-nothing")
    page.locator("#desk-q").blur()
    page.keyboard.press("n")
    page.wait_for_url("**/dashboard/ticket-new*")
