"""The live desk view in a real headless Chromium: a call rings, caller ID, unit and transcript
appear live, and a work order is made and printed in two clicks."""
from __future__ import annotations

from sqlalchemy import select

from frontdesk.central.tickets.tables import tickets
from frontdesk.ids import new_id

from .dashboard_helpers import SITE, Edge, login, ringing, screenshot, transcribed, wait_until


def open_desk(page, central, role="desk"):
    user, password = central.add_user(f"{role}1", role)
    login(page, central, user, password, "desk")
    page.wait_for_selector("#live-state.on")
    wait_until(lambda: central.hub.subscribers >= 1, what="the page's live stream")


def answered(call_id):
    return {k: v for k, v in ringing(call_id).items() if k not in ("cadence", "caller_id_received")} | \
        {"by": "agent", "ring": 3}


def ticket_rows(central, **where):
    q = select(tickets)
    for k, v in where.items():
        q = q.where(tickets.c[k] == v)
    with central.store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def test_ringing_call_appears_live_then_work_order_in_two_clicks(page, central_any, tmp_path):
    central = central_any
    open_desk(page, central)
    assert page.locator("#no-calls").is_visible()
    edge = Edge(central.store)
    call_id = new_id()
    edge.send("call.ringing", ringing(call_id, ring=1))
    card = page.locator(f'article.call[data-call="{call_id}"]')
    card.wait_for()
    assert "+8613800138000" in card.locator(".who").inner_text()
    assert "3-1502" in card.locator(".unit").inner_text()
    assert "振铃中" in card.inner_text()
    edge.send("call.answered", answered(call_id))
    page.wait_for_selector(f'article.call.answered[data-call="{call_id}"]')
    edge.send("call.transcribed", transcribed(call_id, "厨房水管漏水，请尽快派人维修"))
    card.locator(".transcript").wait_for()
    assert "厨房水管漏水" in card.locator(".transcript").inner_text()
    # Central opened a repair ticket from the classified call; the unit's tickets show it.
    opened = wait_until(lambda: ticket_rows(central, source_ref=call_id), what="the ticket opened from the call")
    page.wait_for_selector(f'#unit-ticket-table tr[data-ticket="{opened[0]["id"]}"]')

    # Action 1: "make a work order" on the call; action 2: "create and print".
    card.locator("button.make-wo").click()
    assert page.input_value("#wo-kind") == "repair"
    assert page.input_value("#wo-unit") == "3-1502"
    assert "厨房水管漏水" in page.input_value("#wo-content")
    page.click("#wo-submit")
    done = card.locator(".wo-done")
    done.wait_for()
    ticket_id = done.get_attribute("data-ticket")
    assert ticket_id == opened[0]["id"]  # the call's own ticket, not a second one
    assert len(ticket_rows(central, source_ref=call_id)) == 1
    assert ticket_rows(central, id=ticket_id)[0]["state"] == "work_order_issued"
    # The slip goes to the printer of the edge the call came in on, and shows pending ...
    slips = [c for c in central.store.list_commands(sites=(SITE,), device="desk-1") if c["type"] == "print.slip"]
    assert len(slips) == 1 and slips[0]["payload"]["kind"] == "workorder"
    number = ticket_rows(central, id=ticket_id)[0]["number"]
    assert slips[0]["payload"]["data"]["ticket_no"] == number and number.startswith("BX-")
    assert number in done.inner_text()  # the desk reads out the number, not the id
    assert "厨房水管漏水" in slips[0]["payload"]["data"]["content"]
    card.locator('.wo-print .badge[data-state="pending"]').wait_for()
    # ... until the edge acknowledges it.
    edge.send("command.applied", {"command_id": slips[0]["id"], "command_type": "print.slip", "status": "applied"})
    card.locator('.wo-print .badge[data-state="delivered"]').wait_for()
    # Another call rings meanwhile: the desk shows it on top, ringing, and selects it.
    other = new_id()
    edge.send("call.ringing", ringing(other, number="+8613600001111", unit="2-0601", resident="刘先生", ring=2))
    page.wait_for_selector(f'article.call.ringing.selected[data-call="{other}"]')
    page.wait_for_selector('#unit-name:has-text("2-0601")')
    screenshot(page, "desk", tmp_path)


def test_work_order_for_a_call_without_ticket_opens_one(page, central):
    open_desk(page, central)
    edge = Edge(central.store)
    call_id = new_id()
    edge.send("call.ringing", ringing(call_id, number="+8613911112222", unit="7-0101", resident="赵先生"))
    card = page.locator(f'article.call[data-call="{call_id}"]')
    card.wait_for()
    page.wait_for_selector("#unit-tickets .empty")
    card.locator("button.make-wo").click()
    page.fill("#wo-content", "门禁卡失灵 <b>急</b>")
    page.select_option("#wo-kind", "help_request")
    page.click("#wo-submit")
    card.locator(".wo-done").wait_for()
    rows = ticket_rows(central, source_ref=call_id)
    assert len(rows) == 1
    assert rows[0]["kind"] == "help_request" and rows[0]["unit"] == "7-0101"
    assert rows[0]["details"] == "门禁卡失灵 <b>急</b>" and rows[0]["owner"] == "desk1"
    # The new ticket is listed for the unit, its text shown as text.
    page.wait_for_selector(f'#unit-ticket-table tr[data-ticket="{rows[0]["id"]}"]')
    assert page.locator("#unit-ticket-table b").count() == 0


def test_desk_needs_a_login_and_the_stream_is_refused_without_one(page, central, tmp_path):
    import httpx
    page.goto(f"{central.url}/dashboard/desk")
    page.wait_for_url("**/dashboard/login?next=*")
    assert httpx.get(f"{central.url}/api/v1/dashboard/live", timeout=5).status_code == 401
    # A wrong password says so and stays on the login page.
    user, _ = central.add_user("desk9", "desk")
    page.fill("#username", user)
    page.fill("#password", "not-the-password")
    page.click("#login-submit")
    page.wait_for_selector("#login-message .message.error")
    assert "/dashboard/login" in page.url
    assert "用户名或密码错误" in page.locator("#login-message").inner_text()
    screenshot(page, "login", tmp_path)
