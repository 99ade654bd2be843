"""A screen left open for a day: a day's traffic and a day's timers, and it still works.

Nothing on the page may grow with use: the gate's list is rebuilt from a bounded array, the kiosk
reuses its screens, and the live stream is reopened (not stacked) when it goes quiet.
"""
from frontdesk.kiosk_ui import catalogs

from .kiosk_post import open_screen

ZH = catalogs.load("zh-Hans")
DAY_MS = 24 * 3600 * 1000


def heap_and_nodes(page, cdp):
    cdp.send("HeapProfiler.collectGarbage")
    used = cdp.send("Runtime.getHeapUsage")["usedSize"]
    nodes = page.evaluate("document.getElementsByTagName('*').length")
    return used, nodes


def scans(post, n, start=0):
    for i in range(start, start + n):
        # Alternate allowed and unknown cards, as a busy gate would see.
        post.access.scan_card("04A1B2C3" if i % 2 else f"{10000000 + i}", reader="test")


def test_gate_a_days_traffic_keeps_the_page_bounded(make_post, page):
    post = make_post("gate", access={"role": "gate"}, kiosk={"role": "gate", "recent_scans": 6})
    post.command("cards.allowlist.replace", {"version": 1, "entries": [
        {"card_id": "04A1B2C3", "holder": "陈大文", "unit": "3-1502", "role": "resident"}]})
    open_screen(page, post, "gate")
    cdp = page.context.new_cdp_session(page)
    scans(post, 100)
    page.wait_for_function("() => document.querySelectorAll('#recent .recent-row').length === 6")
    page.wait_for_timeout(500)
    heap0, nodes0 = heap_and_nodes(page, cdp)
    scans(post, 1500, start=100)
    # The last scan (an allowed card) reaches the screen: the stream kept up or resynchronised.
    page.wait_for_function("() => document.querySelector('#decision').dataset.state === 'allow'")
    page.wait_for_timeout(1000)
    heap1, nodes1 = heap_and_nodes(page, cdp)
    assert page.locator("#recent .recent-row").count() == 6
    assert nodes1 == nodes0, (nodes0, nodes1)
    assert heap1 - heap0 < 1_500_000, f"JS heap grew by {heap1 - heap0} bytes over 1500 scans"
    assert page.locator("#conn").get_attribute("data-state") == "online"


def test_kiosk_a_days_timers_then_still_live(make_post, page):
    post = make_post("kiosk")
    # A fake clock in the page: a whole day of timers (clock, watchdog, screen resets) runs in seconds.
    page.clock.install()
    open_screen(page, post, "kiosk")
    cdp = page.context.new_cdp_session(page)
    heap0, nodes0 = heap_and_nodes(page, cdp)
    for hour in range(24):
        page.clock.run_for(3600 * 1000)
        # An hour without a heartbeat (the fake clock outran the real one): the watchdog reopened
        # the stream rather than trusting a possibly dead connection, and it comes back.
        page.wait_for_selector("#conn[data-state=online]", timeout=10000)
        if hour == 0:
            assert page.evaluate("window.kioskStream.reconnects") > 0
    post.access.scan_card("55667788", reader="test")
    page.wait_for_selector("[data-screen=rejected]:not([hidden])", timeout=10000)
    assert page.locator("#rejected-reason").inner_text() == ZH["reason.unknown_card"]
    # The refused screen goes back to the start by itself.
    page.clock.run_for(60 * 1000)
    page.wait_for_selector("[data-screen=home]:not([hidden])")
    heap1, nodes1 = heap_and_nodes(page, cdp)
    assert nodes1 == nodes0
    assert heap1 - heap0 < 3_000_000, f"JS heap grew by {heap1 - heap0} bytes over a day of timers"
