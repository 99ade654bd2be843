"""Kiosk and gate-post screens: how fast a decision reaches the screen, and what a day costs the page.

Runs the real access service and the screens' web app on loopback, and a headless Chromium
(Debian `chromium`) on the gate and kiosk pages:

    scan_to_screen_p50_ms / _p95_ms   access.scan_card() called -> the gate's panel shows the decision
                                      (journaled, pushed over SSE, rendered; page clock = host clock)
    walk_in_submit_p50_ms / _p95_ms   "Register" tapped -> welcome screen (validate, journal check-in
                                      and badge print request, answer, render)
    guard_registration_s              the guard's whole keyboard registration at 60 ms a key (the
                                      service standard allows 25 s from taking the ID to handing it back)
    heap_growth_kb_per_1000_scans     JS heap after GC, before vs after 1000 more scans on the gate page
    dom_nodes_growth                  element count after those scans minus before (0 = bounded)

    python bench/kiosk.py [--scans 300] [--json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from frontdesk.edge.access import AccessConfig, AccessService
from frontdesk.edge.journal import Journal
from frontdesk.edge.services import EdgeContext
from frontdesk.kiosk_ui.config import KioskConfig
from frontdesk.kiosk_ui.service import KioskService
from frontdesk.passes import generate_key, public_text
from frontdesk.runtime.ports import free_port
from frontdesk.schema import make_command
from frontdesk.schema.access import CardEntry, CardsAllowlistReplace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser import CHROMIUM
from tests.browser import CHROMIUM_ARGS as ARGS

SITE = "bench"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Post:
    def __init__(self, root: Path, role: str) -> None:
        self.journal = Journal(root / f"{role}.db", site=SITE, device=role, tz="Asia/Shanghai")
        self.ctx = EdgeContext(journal=self.journal, site=SITE, device=role, tz="Asia/Shanghai", country="cn",
                               data_dir=root)
        self.access = AccessService(AccessConfig(role=role, site_public_keys=[public_text(generate_key())]), self.ctx)
        # The bench measures the registration path, not the screen's rate limits: lift them.
        self.kiosk = KioskService(KioskConfig(role=role, port=free_port(), recent_scans=8, registration_burst=1000,
                                              print_burst=1000), self.ctx)
        self.access.start()
        self.kiosk.start()
        if not self.kiosk.wait_ready(10):
            raise SystemExit(f"screens did not start: {self.kiosk.server.error}")
        allowlist = CardsAllowlistReplace(version=1, entries=[
            CardEntry(card_id="04A1B2C3", holder="陈大文", unit="3-1502", role="resident")])
        cmd = make_command(allowlist, site=SITE, device=role)
        self.journal.apply_command(cmd, self.ctx.commands)

    def close(self) -> None:
        self.kiosk.stop()
        self.access.stop()
        self.journal.close()


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1024, "height": 600})
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#conn[data-state=online]")
    return page


def gate_latency(browser, post: Post, n: int) -> list[float]:
    page = open_page(browser, post.kiosk.url + "/gate")
    # Stamp every change of the decision panel with the page's wall clock.
    page.evaluate("""() => { window.__marks = [];
        new MutationObserver(() => window.__marks.push(Date.now()))
          .observe(document.querySelector('#decision-when'),
                   {childList: true, characterData: true, subtree: true}); }""")
    lat = []
    for i in range(n):
        before = page.evaluate("window.__marks.length")
        t0 = time.time() * 1000
        post.access.scan_card(f"{70000000 + i}" if i % 2 else "04A1B2C3", reader="bench")
        page.wait_for_function(f"() => window.__marks.length > {before}", polling=5)
        lat.append(page.evaluate(f"window.__marks[{before}]") - t0)
        # A minute-resolution clock may not change between scans: reset it so every scan marks.
        page.evaluate("document.querySelector('#decision-when').textContent = ''")
        page.wait_for_function(f"() => window.__marks.length > {before + 1}", polling=5)
    page.close()
    return lat


def walk_in(browser, post: Post, n: int) -> list[float]:
    page = open_page(browser, post.kiosk.url + "/kiosk")
    times = []
    for i in range(n):
        page.click("#go-walkin")
        page.fill("#f-name", f"访客{i}")
        page.fill("#f-phone", "13912345678")
        page.fill("#f-unit", "5-0802")
        page.click('#purposes [data-purpose="visit"]')
        t0 = time.perf_counter()
        page.click("#walkin-submit")
        page.wait_for_selector("[data-screen=welcome]:not([hidden])", timeout=10000)
        times.append((time.perf_counter() - t0) * 1000)
        page.click("[data-screen=welcome] [data-action=home]")
    page.close()
    return times


def guard(browser, post: Post) -> float:
    page = open_page(browser, post.kiosk.url + "/gate")
    t0 = time.perf_counter()
    page.keyboard.type("周杰", delay=60)
    page.keyboard.press("Tab")
    page.keyboard.type("13700002222", delay=60)
    page.keyboard.press("Tab")
    page.keyboard.type("7-1203", delay=60)
    page.keyboard.press("Alt+2")
    page.keyboard.press("Enter")
    page.wait_for_selector("#walkin-ok:not(:empty)")
    elapsed = time.perf_counter() - t0
    page.close()
    return elapsed


def day_cost(browser, post: Post, scans: int) -> tuple[float, int]:
    page = open_page(browser, post.kiosk.url + "/gate")
    cdp = page.context.new_cdp_session(page)

    def measure():
        page.wait_for_timeout(500)
        cdp.send("HeapProfiler.collectGarbage")
        return (cdp.send("Runtime.getHeapUsage")["usedSize"],
                page.evaluate("document.getElementsByTagName('*').length"))

    for i in range(100):
        post.access.scan_card(f"{80000000 + i}", reader="bench")
    heap0, nodes0 = measure()
    for i in range(scans):
        post.access.scan_card(f"{81000000 + i}", reader="bench")
    post.access.scan_card("04A1B2C3", reader="bench")
    page.wait_for_function("() => document.querySelector('#decision').dataset.state === 'allow'")
    heap1, nodes1 = measure()
    page.close()
    return (heap1 - heap0) / 1024 * 1000 / scans, nodes1 - nodes0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scans", type=int, default=300, help="scans timed to the gate screen")
    parser.add_argument("--walk-ins", type=int, default=30)
    parser.add_argument("--day-scans", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        gate, kiosk = Post(Path(tmp), "gate"), Post(Path(tmp), "kiosk")
        try:
            lat = gate_latency(browser, gate, args.scans)
            submits = walk_in(browser, kiosk, args.walk_ins)
            guard_s = guard(browser, gate)
            heap_kb, nodes = day_cost(browser, gate, args.day_scans)
        finally:
            gate.close()
            kiosk.close()
            browser.close()
    result = {
        "scans": len(lat),
        "scan_to_screen_p50_ms": round(statistics.median(lat), 1),
        "scan_to_screen_p95_ms": round(pct(lat, 0.95), 1),
        "walk_in_submit_p50_ms": round(statistics.median(submits), 1),
        "walk_in_submit_p95_ms": round(pct(submits, 0.95), 1),
        "guard_registration_s": round(guard_s, 2),
        "heap_growth_kb_per_1000_scans": round(heap_kb, 1),
        "dom_nodes_growth": nodes,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'measure':36} {'value':>10}")
    print("-" * 48)
    for key, value in result.items():
        print(f"{key:36} {value:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
