"""The ticket page in a real headless Chromium: each action does at central what it says, the
buttons follow the viewer's role and the ticket's state (and central refuses what is hidden),
and bad input gets a clear answer."""
from __future__ import annotations

import httpx
import pytest
from PIL import Image

from frontdesk.ids import new_id
from frontdesk.schema.tickets import TicketOpened

from ..a11y import assert_accessible
from .dashboard_helpers import SITE, login, screenshot, wait_until
from .test_dashboard_desk import ticket_rows

EVIL = '<img src=x onerror="window.__pwned=1">'


def open_ticket(central, kind="repair", title="厨房水管漏水", **kw):
    system = central.app.state.tickets
    tid = new_id()
    system.open(SITE, TicketOpened(ticket_id=tid, kind=kind, by="desk-a", title=title, unit="3-1502",
                                   contact_name="王女士", contact_phone="13800138000", source="counter", **kw))
    return tid


def row(central, tid):
    return ticket_rows(central, id=tid)[0]


def show(page, central, tid, role="desk", username=None, locale_query=""):
    user, password = central.add_user(username or f"{role}-page", role)
    login(page, central, user, password, "ticket", f"?id={tid}{locale_query}")
    page.wait_for_selector("#ticket-number")
    return user, password


def act(page, action, fill=None, submit=True):
    page.click(f"#act-{action}")
    page.wait_for_selector("#act-dialog[open]")
    if fill:
        fill()
    if submit:
        page.click("#act-submit")
        page.wait_for_selector("#act-dialog[open]", state="detached")
        page.wait_for_selector("#ticket-message .message.ok")


def bearer(central, user, password):
    r = httpx.post(f"{central.url}/api/v1/auth/login", json={"username": user, "password": password, "token": True})
    return {"Authorization": "Bearer " + r.json()["token"]}


def test_each_action_on_the_ticket_page_does_what_it_says(page, central, tmp_path):
    central.add_user("tech-li", "technician")
    tid = open_ticket(central)
    show(page, central, tid)
    assert "王女士" in page.locator("#ticket-contact-name").inner_text()           # the desk sees it in full
    assert page.locator("#timers tr[data-timer=work_order] td.due").inner_text().startswith("剩余")
    # Assign, with the technician picker listing the site's technicians.
    act(page, "assign", lambda: page.select_option("#act-assignee", "tech-li"))
    assert row(central, tid)["assignee"] == "tech-li"
    page.wait_for_selector('#ticket-assignee:has-text("tech-li")')
    # Pause with a reason, then resume.
    act(page, "pause", lambda: (page.select_option("#act-reason", "waiting_resident"),
                                page.fill("#act-note", "住户不在家")))
    assert row(central, tid)["paused"] is True
    assert row(central, tid)["pauses"][-1][2] == "waiting_resident"
    page.wait_for_selector("#act-resume")
    assert page.locator("#act-pause").count() == 0
    act(page, "resume")
    assert row(central, tid)["paused"] is False
    # Move on (the select offers the later states), then the callback with satisfaction.
    act(page, "move", lambda: page.select_option("#act-state", "done"))
    assert row(central, tid)["state"] == "done"
    page.wait_for_selector("#act-callback")
    act(page, "callback", lambda: (page.check("#act-reached-true"), page.check("#act-satisfied-true")))
    got = row(central, tid)
    assert (got["state"], got["callback_reached"], got["satisfied"]) == ("callback", True, True)
    act(page, "close", lambda: page.fill("#act-note", "回访满意，关闭"))
    assert row(central, tid)["state"] == "closed"
    page.wait_for_selector("#act-reopen")
    assert page.locator("#act-close, #act-assign, #act-pause").count() == 0
    act(page, "reopen")
    assert (row(central, tid)["state"], row(central, tid)["reopen_count"]) == ("received", 1)
    # The timeline says who did what, with the notes.
    timeline = page.locator("#ticket-timeline").inner_text()
    assert "住户不在家" in timeline and "回访满意，关闭" in timeline and "tech-li" in timeline
    # A child ticket from the page: the form knows its parent; the parent lists it.
    page.click("#child-new")
    page.wait_for_selector("#wo-parent")
    page.select_option("#wo-kind", "paid_service")
    page.fill("#wo-content", "更换水龙头（有偿）")
    page.click("#wo-save")
    page.wait_for_url("**/dashboard/ticket?id=*")
    child = ticket_rows(central, parent_id=tid)
    assert len(child) == 1 and child[0]["kind"] == "paid_service" and child[0]["unit"] == "3-1502"
    page.goto(f"{central.url}/dashboard/ticket?id={tid}")
    page.wait_for_selector(f'#children li[data-ticket="{child[0]["id"]}"] a')


def test_complaint_class_and_validity(page, central, tmp_path):
    tid = open_ticket(central, kind="complaint", title="保安态度差")
    show(page, central, tid)
    page.click("#act-complaint")
    page.wait_for_selector("#act-dialog[open]")
    assert_accessible(page)  # the page with a dialog open
    page.check("#act-complaint_class-1")
    page.check("#act-complaint_valid-false")
    page.keyboard.press("Escape")  # Esc closes without a change
    page.wait_for_selector("#act-dialog[open]", state="detached")
    assert row(central, tid)["complaint_class"] is None
    act(page, "complaint", lambda: (page.check("#act-complaint_class-2"), page.check("#act-complaint_valid-false")))
    got = row(central, tid)
    assert (got["complaint_class"], got["complaint_valid"]) == (2, False)
    page.wait_for_selector("#ticket-class")
    assert "2" in page.locator("#ticket-class").inner_text()
    assert "null" not in page.locator("#ticket-head").inner_text()  # absent fields leave nothing behind
    assert_accessible(page)
    screenshot(page, "ticket-page", tmp_path)


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_ticket_page_is_accessible_in_both_languages_with_a_dialog_open(page, central, lang):
    tid = open_ticket(central)
    show(page, central, tid, locale_query=f"&lang={lang}")
    assert page.evaluate("document.documentElement.lang") == lang
    assert_accessible(page)
    page.click("#act-pause")
    page.wait_for_selector("#act-dialog[open]")
    assert_accessible(page)


@pytest.mark.parametrize("role", ["guard", "technician"])
def test_guard_and_technician_see_no_change_buttons_and_central_refuses(page, central, role):
    tid = open_ticket(central)
    user, password = show(page, central, tid, role=role)
    assert page.locator("#ticket-actions-panel").is_hidden()
    assert page.locator("#ticket-actions button, #child-new").count() == 0
    assert "*" in page.locator("#ticket-contact-phone").inner_text()  # masked for them
    auth = bearer(central, user, password)
    base = f"{central.url}/api/v1/tickets/{tid}"
    for method, path, body in (("POST", "/assign", {"assignee": "x"}), ("POST", "/reopen", {}),
                               ("POST", "/callback", {"reached": True}), ("PATCH", "", {"complaint_class": 1}),
                               ("POST", "/transition", {"to_state": "closed"}),
                               ("POST", "/work-order", {"device": "desk-1"})):
        answer = httpx.request(method, base + path, json=body, headers=auth)
        assert answer.status_code == 403, (method, path, answer.text)
    assert row(central, tid)["state"] == "received" and row(central, tid)["assignee"] is None


def test_buttons_follow_the_state_and_central_refuses_the_hidden_ones(page, central):
    tid = open_ticket(central)
    user, password = show(page, central, tid)
    shown = set(page.eval_on_selector_all("#ticket-actions button", "bs => bs.map(b => b.dataset.action)"))
    assert shown == {"workorder", "assign", "move", "pause", "close"}
    auth = bearer(central, user, password)
    base = f"{central.url}/api/v1/tickets/{tid}"
    for method, path, body in (("POST", "/reopen", {}), ("POST", "/callback", {"reached": True}),
                               ("PATCH", "", {"complaint_class": 1}), ("POST", "/resume", {}),
                               ("POST", "/transition", {"to_state": "received"})):
        answer = httpx.request(method, base + path, json=body, headers=auth)
        assert answer.status_code == 409, (method, path, answer.text)
        assert answer.json()["detail"]
    assert row(central, tid)["callback_reached"] is None
    # Paused: no pause button, and a second pause is refused.
    assert httpx.post(base + "/pause", json={"reason": "waiting_resident"}, headers=auth).status_code == 200
    assert httpx.post(base + "/pause", json={"reason": "waiting_resident"}, headers=auth).status_code == 409
    page.reload()
    page.wait_for_selector("#act-resume")
    assert page.locator("#act-pause").count() == 0


def test_technician_opening_the_desk_goes_to_their_page(page, central):
    user, password = central.add_user("tech-desk", "technician")
    page.goto(f"{central.url}/dashboard/login?next=/dashboard/desk")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url("**/dashboard/tech*")


def test_no_such_ticket_and_markup_shown_as_text(page, central):
    user, password = central.add_user("desk-bad", "desk")
    login(page, central, user, password, "ticket", "?id=nonsense")
    page.wait_for_selector("#ticket-none")
    assert page.locator("#ticket-none").inner_text() == "没有这张工单"
    page.goto(f"{central.url}/dashboard/ticket?id={'x' * 300}")
    page.wait_for_selector("#ticket-none")
    page.goto(f"{central.url}/dashboard/ticket")
    page.wait_for_selector("#ticket-none")
    tid = open_ticket(central, title=EVIL, details="</p><script>window.__pwned=2</script>")
    page.goto(f"{central.url}/dashboard/ticket?id={tid}")
    page.wait_for_selector("#ticket-title")
    assert page.locator("#ticket-title").inner_text() == EVIL
    assert page.locator("main img").count() == 0 and page.evaluate("window.__pwned") is None
    # Search: a number that does not exist says so.
    found = httpx.get(f"{central.url}/api/v1/tickets/search", params={"q": "BX-20991231-999"},
                      headers=bearer(central, user, password))
    assert found.status_code == 200 and found.json() == []


def test_a_50_mb_photo_is_refused_with_the_reason_shown(page, central, tmp_path):
    huge = tmp_path / "huge.jpg"
    with huge.open("wb") as f:
        f.write(b"\xff\xd8\xff\xe0")
        f.truncate(50 * 1024 * 1024)
    user, password = central.add_user("desk-photo", "desk")
    login(page, central, user, password, "ticket-new")
    page.wait_for_selector("#wo-form")
    page.fill("#wo-unit", "2-0303")
    page.select_option("#wo-kind", "inquiry")
    page.fill("#wo-content", "询问停车位")
    notes_txt = tmp_path / "notes.txt"
    notes_txt.write_text("not a photo")
    good = tmp_path / "tap.jpg"
    Image.new("RGB", (2400, 1200), (30, 120, 200)).save(good, "JPEG")
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"this is text, named like a photo")
    page.set_input_files("#wo-photos", files=[str(huge), str(notes_txt), str(good), str(fake)])
    notes = page.locator("#wo-photo-notes")
    wait_until(lambda: notes.locator("li.refused").count() == 2, what="the photos' reasons")
    assert "huge.jpg" in notes.inner_text() and "超过 12 MB" in notes.inner_text()
    assert "不是图片" in notes.inner_text()
    page.click("#wo-save")
    page.wait_for_url("**/dashboard/ticket?id=*")
    page.wait_for_selector("#ticket-notes")
    refused = page.locator("#ticket-notes").inner_text()
    # Too large and not an image: said at once; the renamed text file: central's reason.
    assert "huge.jpg" in refused and "notes.txt" in refused and "fake.jpg" in refused
    assert "tap.jpg" not in refused
    made = ticket_rows(central, unit="2-0303")
    assert len(made) == 1  # the ticket was made; only those photos were refused
    # The good photo is on the ticket: a thumbnail in its timeline, stored resized by central.
    page.wait_for_selector("#ticket-timeline .thumbs img")
    assert page.locator("#ticket-timeline .thumbs img").evaluate("img => img.complete && img.naturalWidth") > 0
    kept = central.app.state.tickets.attachments.list_for(made[0]["id"])
    assert len(kept) == 1 and max(kept[0]["width"], kept[0]["height"]) <= 1600
