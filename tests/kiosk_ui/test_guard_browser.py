"""The screens' limits and guard as a visitor sees them, in headless Chromium: the rate limit's
message (both languages, across a reload), a badge held back, the Host check against a name
rebound to 127.0.0.1, and a failure inside shown as a reference id only."""
import re

import pytest
from playwright.sync_api import expect

from frontdesk.kiosk_ui import catalogs

from ..a11y import assert_accessible
from ..browser import CHROMIUM, CHROMIUM_ARGS
from .kiosk_post import VIEWPORT, a_pass, open_screen, shot
from .test_kiosk_flows import fill_walk_in

ZH = catalogs.load("zh-Hans")
EN = catalogs.load("en")


def walk_in(page, name):
    fill_walk_in(page, name=name, keypad=False)
    page.click("#walkin-submit")


def test_rate_limit_is_shown_in_both_languages_and_survives_a_reload(make_post, page, tmp_path):
    post = make_post("kiosk", kiosk={"registration_burst": 2, "registration_every_s": 600})
    open_screen(page, post, "kiosk")
    for name in ("LI SI", "WANG WU"):
        walk_in(page, name)
        page.wait_for_selector("[data-screen=welcome]:not([hidden])")
        page.click("[data-screen=welcome] [data-action=home]")
    # A reload (or a new tab) starts with a fresh page, not with a fresh limit.
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    walk_in(page, "ZHAO LIU")
    error = page.locator("#walkin-error")
    expect(error).to_have_text(f"{ZH['error.rate_limited']} / {EN['error.rate_limited']}", timeout=5000)
    assert "请到前台办理" in error.inner_text() and "please ask the desk" in error.inner_text()
    assert page.locator("[data-screen=walkin]").is_visible()
    shot(page, tmp_path, "kiosk-rate-limited")
    assert_accessible(page)
    # The same words whichever language the screen is in.
    page.click("#lang")
    expect(error).to_have_text(f"{ZH['error.rate_limited']} / {EN['error.rate_limited']}")
    assert [e["payload"]["visitor_name"] for e in post.events("visitor.checked_in")] == ["LI SI", "WANG WU"]
    (event,) = post.events("kiosk.rate_limited")
    assert event["payload"]["action"] == "registration"


def test_a_badge_held_back_by_the_print_limit_sends_the_visitor_to_the_desk(make_post, site_key, page):
    post = make_post("kiosk", kiosk={"print_burst": 1, "print_every_s": 600})
    open_screen(page, post, "kiosk")
    for name, badge in (("王小明", ZH["welcome.badge"]),
                        ("李小红", f"{ZH['welcome.badge_refused']} / {EN['welcome.badge_refused']}")):
        _, token = a_pass(site_key, name=name)
        post.access.scan_payload(token.encode(), source="camera")
        expect(page.locator("#welcome-title")).to_have_text(ZH["welcome.title"].format(name=name), timeout=5000)
        expect(page.locator("#welcome-badge")).to_have_text(badge)
    assert len(post.events("print.requested")) == 1


def test_a_failure_inside_shows_a_reference_not_the_exception(make_post, page, monkeypatch, tmp_path):
    post = make_post("kiosk")
    open_screen(page, post, "kiosk")

    def broken(*args, **kwargs):
        raise RuntimeError("sqlite3.OperationalError at /var/lib/frontdesk/journal.db")

    monkeypatch.setattr(post.access, "register_walk_in", broken)
    walk_in(page, "LI SI")
    error = page.locator("#walkin-error")
    expect(error).to_contain_text(EN["error.internal"].split("(")[0].strip(), timeout=5000)
    text = error.inner_text()
    ref = re.search(r"reference ([0-9a-f]{8})", text)
    assert ref and ZH["error.internal"].format(ref=ref.group(1)) in text
    assert "journal.db" not in page.content() and "RuntimeError" not in page.content()
    shot(page, tmp_path, "kiosk-internal-error")


@pytest.fixture
def rebinding_browser(browser):
    """A second Chromium that resolves evil.example to 127.0.0.1, as a rebound DNS name would."""
    other = browser.browser_type.launch(executable_path=CHROMIUM,
                                        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP evil.example 127.0.0.1"])
    yield other
    other.close()


def test_a_page_loaded_under_a_rebound_name_is_refused(make_post, rebinding_browser, tmp_path):
    post = make_post("gate", access={"role": "gate"}, kiosk={"role": "gate"})
    post.access.register_walk_in("李四", "13912345678", "5-0802", "visit", registered_by="guard")
    port = post.kiosk.server.bound_port
    context = rebinding_browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    try:
        # The name really reaches this server (Chromium maps it to 127.0.0.1) and is refused there.
        res = page.goto(f"http://evil.example:{port}/gate")
        assert res is not None and res.status == 400
        body = page.locator("body").inner_text()
        assert "Host not accepted" in body and "主机名不被接受" in body
        assert "李四" not in page.content()
        shot(page, tmp_path, "gate-evil-host")
        # Its script cannot read the visitors in either: the API refuses the name too.
        status = page.evaluate("fetch('/api/present').then((r) => r.status)")
        assert status == 400
        # The same browser, the same server, the loopback address: served.
        page.goto(f"http://127.0.0.1:{port}/gate")
        page.wait_for_selector("body[data-ready=true]")
        page.wait_for_selector("#conn[data-state=online]")
        expect(page.locator("#present")).to_contain_text("李四", timeout=5000)
    finally:
        context.close()


def test_a_failed_check_out_at_the_gate_shows_a_reference_in_both_languages(make_post, page, monkeypatch):
    post = make_post("gate", access={"role": "gate"}, kiosk={"role": "gate"})
    post.access.register_walk_in("李四", "13912345678", "5-0802", "visit", registered_by="guard")
    open_screen(page, post, "gate")
    page.click("#tab-present")
    button = page.locator("#present .present-row").filter(has_text="李四").locator("button")

    def broken(*args, **kwargs):
        raise RuntimeError("journal locked by pid 4242 at /var/lib/frontdesk")

    monkeypatch.setattr(post.access, "check_out", broken)
    button.click()
    button.click()
    error = page.locator("#present-error")
    expect(error).to_contain_text("please ask the desk", timeout=5000)
    ref = re.search(r"reference ([0-9a-f]{8})", error.inner_text())
    assert ref and error.inner_text() == (f"{ZH['error.internal'].format(ref=ref.group(1))} / "
                                          f"{EN['error.internal'].format(ref=ref.group(1))}")
    assert "4242" not in page.content() and post.events("visitor.checked_out") == []
