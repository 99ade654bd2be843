"""The lobby kiosk in a real headless Chromium, driven through the real access service."""
import re
import time

from playwright.sync_api import expect

from frontdesk.kiosk_ui import catalogs

from ..waiting import wait_for
from .kiosk_post import a_pass, open_screen, shot

ZH = catalogs.load("zh-Hans")
EN = catalogs.load("en")


def visible_text(page, selector):
    return page.locator(selector).inner_text()


def test_pass_shown_to_camera_welcomes_visitor_live(make_post, site_key, page, tmp_path):
    post = make_post("kiosk", camera=True)
    open_screen(page, post, "kiosk")
    assert page.locator("[data-screen=home]").is_visible()
    shot(page, tmp_path, "kiosk-home", docs=True)

    _, token = a_pass(site_key, name="王小明", unit="3-1502")
    post.show(token)
    # The screen changes because the access service decided and journaled: no reload, no polling.
    page.wait_for_selector("[data-screen=welcome]:not([hidden])", timeout=10000)
    assert visible_text(page, "#welcome-title") == ZH["welcome.title"].format(name="王小明")
    assert visible_text(page, "#welcome-host") == ZH["welcome.host_notified"].format(unit="3-1502")
    assert visible_text(page, "#welcome-badge") == ZH["welcome.badge"]
    shot(page, tmp_path, "kiosk-welcome", docs=True)
    checked_in = post.events("visitor.checked_in")
    assert [e["payload"]["method"] for e in checked_in] == ["pass"]
    prints = post.events("print.requested")
    assert len(prints) == 1 and prints[0]["payload"]["data"]["visit_id"] == checked_in[0]["payload"]["visit_id"]


def fill_walk_in(page, name="李四", phone="13912345678", unit="5-0802", purpose="delivery", keypad=True):
    page.click("#go-walkin")
    page.wait_for_selector("[data-screen=walkin]:not([hidden])")
    page.fill("#f-name", name)
    # Phone and unit are typed on the on-screen keypad, as on the touch screen.
    for field, value in (("#f-phone", phone), ("#f-unit", unit)):
        page.click(field)
        for ch in value:
            if keypad:
                page.click(f'#keypad [data-key="{ch}"]')
            else:
                page.keyboard.type(ch)
    page.click(f'#purposes [data-purpose="{purpose}"]')


def test_walk_in_registration_is_timed_masked_and_journaled(make_post, page, tmp_path):
    post = make_post("kiosk")
    open_screen(page, post, "kiosk")
    started = time.monotonic()
    fill_walk_in(page)
    # The number is never on screen in full: dots in the field, 139****5678 beside it, as the
    # server masks it (the page masks nothing itself).
    expect(page.locator("#f-phone-shown")).to_have_text("139****5678", timeout=5000)
    assert "13912345678" not in page.locator("body").inner_text()
    shot(page, tmp_path, "kiosk-walkin", docs=True)
    page.click("#walkin-submit")
    page.wait_for_selector("[data-screen=welcome]:not([hidden])")
    elapsed = time.monotonic() - started
    # The service standard: ID taken to ID handed back in 25 s. The screen's own share must be small.
    assert elapsed < 10, f"walk-in took {elapsed:.1f} s"
    print(f"walk-in registration on the kiosk screen: {elapsed:.2f} s")
    assert visible_text(page, "#welcome-title") == ZH["welcome.title"].format(name="李四")
    assert "139****5678" in visible_text(page, "#welcome-extra")
    assert "13912345678" not in page.content()
    shot(page, tmp_path, "kiosk-walkin-welcome")
    (event,) = post.events("visitor.checked_in")
    p = event["payload"]
    assert (p["method"], p["visitor_name"], p["host_unit"], p["purpose"], p["registered_by"]) == \
        ("walk_in", "李四", "5-0802", "delivery", "visitor")
    assert p["phone"] == "13912345678" and p["phone_masked"] == "139****5678"
    # The live stream brings the same check-in back: it must not be shown (or counted) twice.
    time.sleep(0.5)
    assert page.locator("[data-screen=welcome]").is_visible()


def test_check_out_by_scanning_the_badge(make_post, page, tmp_path):
    post = make_post("kiosk", camera=True)
    open_screen(page, post, "kiosk")
    fill_walk_in(page, name="Anna Smith", phone="13800001111", unit="2-301")
    page.click("#walkin-submit")
    page.wait_for_selector("[data-screen=welcome]:not([hidden])")
    page.click("[data-screen=welcome] [data-action=home]")
    page.click("#go-checkout")
    page.wait_for_selector("[data-screen=checkout]:not([hidden])")
    shot(page, tmp_path, "kiosk-checkout", docs=True)
    (checked_in,) = post.events("visitor.checked_in")
    # The badge the printer made carries this code as its QR.
    post.show(checked_in["payload"]["checkout_code"], "badge.png")
    page.wait_for_selector("[data-screen=goodbye]:not([hidden])", timeout=10000)
    assert visible_text(page, "#goodbye-title") == ZH["goodbye.title"].format(name="Anna Smith")
    shot(page, tmp_path, "kiosk-goodbye", docs=True)
    (out,) = post.events("visitor.checked_out")
    assert out["payload"]["visit_id"] == checked_in["payload"]["visit_id"]
    assert out["payload"]["method"] == "badge" and out["payload"]["known_visit"] is True


def test_refused_passes_show_the_reason_in_both_languages(make_post, site_key, page, tmp_path):
    from frontdesk.passes import generate_key

    post = make_post("kiosk")
    open_screen(page, post, "kiosk")
    cases = [
        ("expired", a_pass(site_key, start_min=-300, hours=1)[1]),
        ("not_yet_valid", a_pass(site_key, start_min=600)[1]),
        ("wrong_site", a_pass(site_key, site="elsewhere")[1]),
        ("forged", a_pass(generate_key())[1]),
    ]
    for reason, token in cases:
        page.click("#lang") if page.evaluate("document.documentElement.lang") != "zh-Hans" else None
        decision = post.access.scan_payload(token.encode(), source="test")
        assert decision.reason == reason
        page.wait_for_selector("[data-screen=rejected]:not([hidden])")
        wait_for(lambda reason=reason: visible_text(page, "#rejected-reason") == ZH[f"reason.{reason}"])
        assert visible_text(page, "#rejected-reason") == ZH[f"reason.{reason}"]
        page.click("#lang")
        assert visible_text(page, "#rejected-reason") == EN[f"reason.{reason}"]
        if reason == "expired":
            shot(page, tmp_path, "kiosk-rejected", docs=True)
        page.click("[data-screen=rejected] [data-action=home]")
    # A single-use pass used once is refused the second time, with that reason.
    _, token = a_pass(site_key)
    assert post.access.scan_payload(token.encode()).decision == "allow"
    page.wait_for_selector("[data-screen=welcome]:not([hidden])")
    assert post.access.scan_payload(token.encode()).reason == "already_used"
    page.wait_for_selector("[data-screen=rejected]:not([hidden])")
    assert visible_text(page, "#rejected-reason") in (ZH["reason.already_used"], EN["reason.already_used"])
    assert [e["payload"]["reason"] for e in post.events("pass.rejected")] == \
        ["expired", "not_yet_valid", "wrong_site", "forged", "already_used"]


def test_language_switch_and_reset_to_site_language(make_post, page):
    post = make_post("kiosk")
    open_screen(page, post, "kiosk")
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    assert page.locator("#screen-home h1").inner_text() == ZH["home.scan_prompt"]
    assert page.locator("#lang").inner_text() == "English"
    page.click("#lang")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#screen-home h1").inner_text() == EN["home.scan_prompt"]
    assert page.locator("#go-walkin").inner_text() == EN["home.walkin"]
    assert page.title() == EN["app.title_kiosk"]
    page.click("#go-walkin")
    assert page.locator("#walkin-submit").inner_text() == EN["walkin.submit"]
    # A visitor's error message follows the language they chose.
    page.click("#walkin-submit")
    page.wait_for_selector("#walkin-error:has-text('" + EN["error.name_required"] + "')")
    page.click("#lang")
    assert page.locator("#walkin-error").inner_text() == ZH["error.name_required"]
    page.click("#lang")
    # Leaving the form returns the kiosk to the site's language for the next visitor.
    page.click("#walkin-cancel")
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    assert page.locator("#screen-home h1").inner_text() == ZH["home.scan_prompt"]


def test_idle_warning_can_be_extended_then_resets(make_post, page, tmp_path):
    post = make_post("kiosk", kiosk={"idle_timeout_s": 1.5, "idle_warning_s": 3})
    open_screen(page, post, "kiosk")
    page.click("#go-walkin")
    page.fill("#f-name", "王五")
    page.wait_for_selector("#idle:not([hidden])", timeout=5000)
    body = page.locator("#idle-body").inner_text()
    assert re.fullmatch(ZH["idle.body"].replace("{seconds}", r"[1-3]"), body), body
    shot(page, tmp_path, "kiosk-idle-warning", docs=True)
    page.click("#idle-extend")
    assert page.locator("#idle").is_hidden()
    # Extending keeps what was typed.
    assert page.input_value("#f-name") == "王五"
    assert page.locator("[data-screen=walkin]").is_visible()
    # Left alone again: warned again, and then the form is cleared and the kiosk is back home.
    page.wait_for_selector("#idle:not([hidden])", timeout=5000)
    page.wait_for_selector("[data-screen=home]:not([hidden])", timeout=6000)
    assert page.locator("#idle").is_hidden()
    page.click("#go-walkin")
    assert page.input_value("#f-name") == ""
    assert post.events("visitor.checked_in") == []


def test_injection_shaped_input_is_shown_as_text(make_post, page):
    post = make_post("kiosk")
    open_screen(page, post, "kiosk")
    page.evaluate("window.__pwned = 0")
    evil = '<img src=x onerror="window.__pwned=1">'
    fill_walk_in(page, name=evil, unit="3-1502")
    page.click("#walkin-submit")
    page.wait_for_selector("[data-screen=welcome]:not([hidden])")
    assert visible_text(page, "#welcome-title") == ZH["welcome.title"].format(name=evil)
    assert page.locator("#welcome-title img").count() == 0
    assert page.evaluate("window.__pwned") == 0
    assert post.events("visitor.checked_in")[0]["payload"]["visitor_name"] == evil
    # A scanned code shaped like markup is refused and shown as a reason, never as markup.
    decision = post.access.scan_payload(b"<script>window.__pwned=2</script>", source="test")
    assert decision.decision == "deny"
    page.wait_for_selector("[data-screen=rejected]:not([hidden])")
    assert visible_text(page, "#rejected-reason") == ZH[f"reason.{decision.reason}"]
    assert page.locator("script:not([src])").count() == 0
    assert page.evaluate("window.__pwned") == 0


def test_bad_form_input_is_refused_with_a_clear_reason(make_post, page):
    post = make_post("kiosk")
    open_screen(page, post, "kiosk")
    cases = [  # (name, phone, unit, purpose, error key, field marked invalid)
        ("", "13912345678", "3-1502", "visit", "error.name_required", "#f-name"),
        # These two are the access service's refusals (it owns what a phone number or unit is).
        ("赵六", "12", "3-1502", "visit", "error.phone_invalid", "#f-phone"),
        ("赵六", "13912345678", "!!", "visit", "error.unit_invalid", "#f-unit"),
        ("赵六", "13912345678", "3-1502", None, "error.purpose_required", "#purposes"),
    ]
    for name, phone, unit, purpose, key, field in cases:
        page.click("#go-walkin")
        page.fill("#f-name", name)
        page.fill("#f-phone", phone)
        page.fill("#f-unit", unit)
        if purpose:
            page.click(f'#purposes [data-purpose="{purpose}"]')
        page.click("#walkin-submit")
        page.wait_for_selector(f"#walkin-error:has-text('{ZH[key]}')")
        assert page.get_attribute(field, "aria-invalid") == "true"
        assert page.locator("[data-screen=walkin]").is_visible()
        page.click("#walkin-cancel")
    assert post.events("visitor.checked_in") == []


def test_touch_targets_are_at_least_44px(make_post, page):
    post = make_post("kiosk")
    open_screen(page, post, "kiosk")
    too_small = []

    def check(screen):
        for box in page.evaluate("""() => Array.from(document.querySelectorAll('button, input, [role=button]'))
              .filter(el => el.offsetParent !== null)
              .map(el => { const r = el.getBoundingClientRect();
                           return {id: el.id || el.dataset.key || el.dataset.purpose || el.textContent.trim(),
                                   w: r.width, h: r.height}; })"""):
            if box["w"] < 44 or box["h"] < 44:
                too_small.append((screen, box))

    check("home")
    page.click("#go-walkin")
    check("walkin")
    page.click("#walkin-cancel")
    page.click("#go-checkout")
    check("checkout")
    assert not too_small, too_small


def test_screen_reconnects_after_the_server_goes_away(make_post, page):
    post = make_post("kiosk", kiosk={"heartbeat_s": 0.5})
    open_screen(page, post, "kiosk")
    # More decisions than the restarted server will remember: its numbering starts lower than
    # what the page has seen, and the page must still show what comes next.
    for i in range(60):
        post.access.scan_card(f"{30000000 + i}", reader="test")
    page.wait_for_function("() => window.kioskStream.lastSeq >= 60")
    page.click("[data-screen=rejected] [data-action=home]")
    post.kiosk.stop()
    page.wait_for_selector("#conn[data-state=offline]", timeout=10000)
    assert page.locator("#conn").inner_text() == ZH["status.offline"]
    post.restart_screens()
    page.wait_for_selector("#conn[data-state=online]", timeout=15000)
    post.access.scan_card("99887766", reader="test")
    page.wait_for_selector("[data-screen=rejected]:not([hidden])", timeout=5000)
    assert visible_text(page, "#rejected-reason") == ZH["reason.unknown_card"]


def test_no_access_service_is_said_on_screen(make_post, page):
    post = make_post("kiosk", with_access=False)
    open_screen(page, post, "kiosk")
    page.wait_for_selector("#device-status:not([hidden])")
    assert page.locator("#device-status").inner_text() == ZH["device.access_missing"]
    fill_walk_in(page)
    page.click("#walkin-submit")
    page.wait_for_selector(f"#walkin-error:has-text('{ZH['error.unavailable']}')")


def test_camera_unplugged_is_said_on_screen_and_recovers(make_post, site_key, page):
    import shutil

    post = make_post("kiosk", camera=True)
    open_screen(page, post, "kiosk")
    assert page.locator("#device-status").is_hidden()
    shutil.rmtree(post.cam)
    page.wait_for_selector("#device-status:not([hidden])", timeout=10000)
    assert page.locator("#device-status").inner_text() == ZH["device.camera_reconnecting"]
    # Visitors can still register while the camera is away.
    fill_walk_in(page)
    page.click("#walkin-submit")
    page.wait_for_selector("[data-screen=welcome]:not([hidden])")
    post.cam.mkdir()
    _, token = a_pass(site_key, name="回来了")
    post.show(token)
    page.wait_for_selector("#device-status[hidden]", state="attached", timeout=10000)
    page.wait_for_function("() => document.querySelector('#welcome-title').textContent.includes('回来了')",
                           timeout=10000)


def test_site_language_english_is_where_each_visitor_starts(make_post, page):
    post = make_post("kiosk", kiosk={"language": "en"})
    open_screen(page, post, "kiosk")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#screen-home h1").inner_text() == EN["home.scan_prompt"]
    assert page.locator("#lang").inner_text() == "中文"
    page.click("#lang")
    page.click("#go-walkin")
    assert page.locator("#walkin-submit").inner_text() == ZH["walkin.submit"]
    page.click("#walkin-cancel")
    assert page.locator("#screen-home h1").inner_text() == EN["home.scan_prompt"]


def test_touch_only_registration_with_the_on_screen_keys(make_post, page):
    post = make_post("kiosk")
    open_screen(page, post, "kiosk")
    page.click("#go-walkin")
    # The name field starts with letters (pinyin or Latin names); phone and unit switch to digits.
    assert page.get_attribute("#keypad", "data-mode") == "letters"
    for ch in "ZHANG SAN":
        page.click(f'#keypad .keys-letters [data-key="{ch}"]')
    page.click('#keypad .keys-letters [data-key="back"]')
    page.click('#keypad .keys-letters [data-key="N"]')
    page.click("#f-phone")
    assert page.get_attribute("#keypad", "data-mode") == "digits"
    for ch in "13600001234":
        page.click(f'#keypad .keys-digits [data-key="{ch}"]')
    page.click("#f-unit")
    for ch in "12-0601":
        page.click(f'#keypad .keys-digits [data-key="{ch}"]')
    page.click('#purposes [data-purpose="maintenance"]')
    page.click("#walkin-submit")
    page.wait_for_selector("[data-screen=welcome]:not([hidden])")
    (event,) = post.events("visitor.checked_in")
    assert (event["payload"]["visitor_name"], event["payload"]["phone"], event["payload"]["host_unit"]) == \
        ("ZHANG SAN", "13600001234", "12-0601")
