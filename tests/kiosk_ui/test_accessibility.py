"""Accessibility of the lobby kiosk and the gate post screens (issue #12, point 6): axe-core finds
no WCAG 2.2 A/AA violation on each screen, in Simplified Chinese and English, and every touch
target on the kiosk is at least 44 px (the visitor uses it with a finger)."""
from __future__ import annotations

from ..a11y import assert_accessible, assert_touch_targets
from .kiosk_post import a_pass, open_screen


def _both_languages(page) -> None:
    assert_accessible(page)
    page.click("#lang")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert_accessible(page)
    page.click("#lang")


def test_kiosk_screens_pass_axe_and_have_finger_sized_targets(make_post, site_key, page):
    post = make_post("kiosk")
    open_screen(page, post, "kiosk")
    _both_languages(page)
    assert_touch_targets(page)
    # The walk-in form with its on-screen keypad, then a welcome and a refusal.
    page.click("#go-walkin")
    page.wait_for_selector("[data-screen=walkin]:not([hidden])")
    _both_languages(page)
    assert_touch_targets(page)
    page.click("#walkin-cancel")
    assert post.access.scan_payload(a_pass(site_key)[1].encode()).decision == "allow"
    page.wait_for_selector("[data-screen=welcome]:not([hidden])")
    _both_languages(page)
    page.click("[data-screen=welcome] [data-action=home]")
    assert post.access.scan_payload(a_pass(site_key, start_min=-300, hours=1)[1].encode()).reason == "expired"
    page.wait_for_selector("[data-screen=rejected]:not([hidden])")
    _both_languages(page)


def test_gate_screen_passes_axe(make_post, site_key, page):
    post = make_post("gate")
    open_screen(page, post, "gate")
    _both_languages(page)
    # The screen with a decision on it (the contrast finding was on the "allow" panel).
    assert post.access.scan_payload(a_pass(site_key)[1].encode()).decision == "allow"
    page.wait_for_selector('#decision[data-state="allow"]')
    _both_languages(page)
