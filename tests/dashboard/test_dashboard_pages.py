"""Visitors on site, command delivery state, HTML injection, language and the phone layout,
in a real headless Chromium against central's real app."""
from __future__ import annotations

from frontdesk.ids import new_id
from frontdesk.schema.system import Ping

from .dashboard_helpers import PHONE, SITE, Edge, login, ringing, screenshot, transcribed, wait_until

EVIL = '<img src=x onerror="window.__pwned=1">'
EVIL_SCRIPT = '</p><script>window.__pwned=2</script><b>'


def open_page(page, central, name, query="", role="desk"):
    user, password = central.add_user(f"{role}-{name}", role)
    login(page, central, user, password, name, query)
    page.wait_for_selector("#live-state.on")
    wait_until(lambda: central.hub.subscribers >= 1, what="the page's live stream")


def test_html_in_every_call_field_is_shown_as_text(page, central):
    open_page(page, central, "desk")
    edge = Edge(central.store)
    call_id = new_id()
    edge.send("call.ringing", ringing(call_id, number=None, unit=EVIL[:32], resident=EVIL_SCRIPT, name=EVIL,
                                      number_raw=EVIL[:64], number_absent_reason="private"))
    edge.send("call.transcribed", transcribed(call_id, EVIL + EVIL_SCRIPT))
    card = page.locator(f'article.call[data-call="{call_id}"]')
    card.locator(".transcript").wait_for()
    assert EVIL in card.inner_text() and "<script>" in card.inner_text()
    assert card.locator("img").count() == 0 and page.locator("main script").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert "号码隐藏" in card.locator(".who").inner_text()
    # Reloaded from the server (not the live stream): still text.
    page.reload()
    page.locator(f'article.call[data-call="{call_id}"] .transcript').wait_for()
    assert page.locator("main img").count() == 0 and page.evaluate("window.__pwned") is None
    # The page forbids inline script outright (CSP), so even a missed escape could not run.
    response = page.goto(f"{central.url}/dashboard/desk")
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_visitors_on_site_roll_call_follows_check_in_and_out(page, central, tmp_path):
    gate = Edge(central.store, device="gate-1")
    early = new_id()
    gate.send("visitor.checked_in", {"visit_id": early, "method": "walk_in", "visitor_name": "李雷",
                                     "host_unit": "5-0801", "post_role": "gate", "phone_masked": "138****0000",
                                     "purpose": "送货", "checkout_code": "c1"})
    open_page(page, central, "visitors")
    page.wait_for_selector(f'tr[data-visit="{early}"]')
    assert page.locator("#visitor-count").inner_text() == "在场 1 人"
    later = new_id()
    gate.send("visitor.checked_in", {"visit_id": later, "method": "pass", "visitor_name": EVIL[:64],
                                     "host_unit": "2-0303", "post_role": "kiosk", "checkout_code": "c2",
                                     "purpose": EVIL_SCRIPT})
    page.wait_for_selector(f'tr[data-visit="{later}"]')
    assert page.locator("#visitor-count").inner_text() == "在场 2 人"
    assert page.locator("#visitors img").count() == 0 and page.evaluate("window.__pwned") is None
    screenshot(page, "visitors", tmp_path)
    gate.send("visitor.checked_out", {"visit_id": early, "method": "badge", "post_role": "gate"})
    page.wait_for_selector(f'tr[data-visit="{early}"]', state="detached")
    assert page.locator("#visitor-count").inner_text() == "在场 1 人"


def test_command_delivery_state_goes_from_pending_to_delivered(page, central, tmp_path):
    command = central.store.create_command("garden-court", "desk-1", Ping(note="hello"))
    open_page(page, central, "commands", f"?site={SITE}")
    row = page.locator(f'tr[data-command="{command.id}"]')
    row.wait_for()
    assert "待送达" in row.inner_text()
    Edge(central.store).send("command.applied", {"command_id": command.id, "command_type": "edge.ping",
                                                 "status": "applied"})
    page.wait_for_selector(f'tr[data-command="{command.id}"] .badge.delivered')
    assert "已送达" in page.locator(f'tr[data-command="{command.id}"]').inner_text()
    screenshot(page, "commands", tmp_path)


def test_english_and_phone_layout(make_page, central, tmp_path):
    edge = Edge(central.store)
    call_id = new_id()
    edge.send("call.ringing", ringing(call_id))
    pg = make_page(viewport=PHONE, locale="en-GB")
    user, password = central.add_user("desk-en", "desk")
    login(pg, central, user, password, "desk", "?lang=en")
    card = pg.locator(f'article.call[data-call="{call_id}"]')
    card.wait_for()
    assert pg.evaluate("document.documentElement.lang") == "en"
    assert "Ringing" in card.inner_text() and "Make work order" in card.inner_text()
    # Every text exists in both languages.
    missing = pg.evaluate("""() => [Object.keys(TEXTS['zh-Hans']).filter((k) => !(k in TEXTS.en)),
                                   Object.keys(TEXTS.en).filter((k) => !(k in TEXTS['zh-Hans']))]""")
    assert missing == [[], []]
    # Nothing wider than the phone's screen.
    assert pg.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The language choice sticks for the next page.
    pg.goto(f"{central.url}/dashboard/visitors")
    pg.wait_for_selector("#visitor-count")
    assert "on site" in pg.locator("#visitor-count").inner_text()
    pg.goto(f"{central.url}/dashboard/desk")
    card.wait_for()
    screenshot(pg, "desk-phone", tmp_path)
    # The work-order form fits the phone: its button is on screen and works.
    card.locator("button.make-wo").click()
    box = pg.locator("#wo-submit").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] + box["height"] <= PHONE["height"]
    pg.fill("#wo-content", "Lift button broken")
    pg.click("#wo-submit")
    card.locator(".wo-done").wait_for()
    assert "Work order created" in card.locator(".wo-done").inner_text()


def test_unknown_page_and_asset_names_are_404(central):
    import httpx
    for path in ("/dashboard/nope", "/dashboard/static/..%2Froutes.py", "/dashboard/static/missing.js",
                 "/dashboard/static/app.py"):
        assert httpx.get(central.url + path).status_code == 404, path
    assert httpx.get(central.url + "/dashboard/static/app.js").status_code == 200


def test_expired_session_goes_back_to_login(page, central):
    open_page(page, central, "desk")
    session = next(c for c in page.context.cookies() if c["name"] == "frontdesk_session")
    central.app.state.accounts.expire(session["value"])
    page.click("#nav-board")
    page.wait_for_url("**/dashboard/login?next=%2Fdashboard%2Fboard*")
    page.wait_for_selector("#login-form")


SQL = "1'; DROP TABLE tickets;--"


def test_sql_and_path_characters_in_units_are_plain_text(page, central):
    from sqlalchemy import inspect

    open_page(page, central, "desk")
    edge = Edge(central.store)
    for unit in (SQL, "A/12 ../../x"):
        call_id = new_id()
        edge.send("call.ringing", ringing(call_id, unit=unit, resident="O'Brien \" OR 1=1"))
        edge.send("call.transcribed", transcribed(call_id, "窗户坏了 ' OR '1'='1"))
        card = page.locator(f'article.call[data-call="{call_id}"]')
        card.locator(".transcript").wait_for()
        assert unit in card.locator(".unit").inner_text()
        # The unit's tickets load (the one central opened from the classified call), no error.
        wait_until(lambda: page.locator("#unit-ticket-table tr").count() == 1, what=f"the tickets of unit {unit}")
        assert page.locator("#unit-tickets .message.error").count() == 0
        card.locator("button.make-wo").click()
        page.click("#wo-submit")
        card.locator(".wo-done").wait_for()
    assert "tickets" in inspect(central.store.engine).get_table_names()
