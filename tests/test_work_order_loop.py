"""The whole loop of a work order, in real Chromium against the running system (the demo's TLS
broker, central, the desk's edge agent and its virtual ESC/POS printer): a resident's request at
the counter -> the work order printed -> the claim QR decoded from the rendered slip and opened on
the technician's phone page -> claim -> on site -> done with a photo -> the resident's signature
-> the desk's callback with satisfaction -> closed -> the month's statistics count it."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frontdesk.demo.samples import CALLER
from frontdesk.demo.system import SITE, DemoSystem
from frontdesk.demo.tour import claim_address
from frontdesk.schema.printing import PrintJobConfirmed

from .dashboard.dashboard_helpers import DESK, wait_until
from .dashboard.phone_helpers import PHONE_OPTIONS, camera_jpeg, photo_file, sign


@pytest.fixture
def system(tmp_path):
    running = DemoSystem(tmp_path / "demo").start()
    yield running
    running.stop()


def staff_page(browser, system, username, then, **options):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.js_errors = errors
    if then:
        page.goto(f"{system.api}/dashboard/login?next=/dashboard/{then}")
        page.fill("#username", username)
        page.fill("#password", system.password(username))
        page.click("#login-submit")
        page.wait_for_url(lambda url: f"/dashboard/{then}" in url and "/login" not in url)
    return page


def month_totals(system):
    month = datetime.now(UTC).strftime("%Y-%m")
    return system.get(f"/api/v1/stats/monthly?site={SITE}&month={month}")["totals"]


def counter_request(desk) -> str:
    """The clerk writes down a resident's request with the unit from the directory; returns the ticket id."""
    desk.fill("#wo-unit", CALLER["unit"][:3])
    desk.click(f'#wo-unit-list [role=option][data-unit="{CALLER["unit"]}"]')
    assert desk.input_value("#wo-phone") == CALLER["number"]
    desk.select_option("#wo-kind", "repair")
    desk.select_option("#wo-source", "counter")
    desk.fill("#wo-content", "卫生间吊顶漏水\n住户在前台等候")
    desk.click("#wo-save")
    desk.wait_for_url("**/dashboard/ticket?id=*")
    return desk.url.split("id=", 1)[1].split("&", 1)[0]


def technician_finishes(phone, address: str, password: str) -> None:
    """From the slip's address on the phone: log in once, claim, on site, done with a photo, signed."""
    phone.goto(address)
    phone.wait_for_selector("#login-form")
    phone.fill("#username", "tech")
    phone.fill("#password", password)
    phone.click("#login-submit")
    phone.click("#claim")
    phone.click("#on-site")
    phone.wait_for_selector("#done")
    phone.set_input_files("#photo-input", files=[photo_file("IMG_0001.jpg", camera_jpeg())])
    phone.wait_for_selector("#order-photos img[data-kind=photo]")
    phone.fill("#note", "更换渗漏软管")
    phone.click("#done")
    phone.wait_for_selector("#signature")
    sign(phone)
    phone.click("#confirm")
    phone.wait_for_selector("#finished")
    phone.wait_for_selector("#queued", state="detached")


def act(desk, action, fill=None):
    desk.click(f"#act-{action}")
    desk.wait_for_selector("#act-dialog[open]")
    if fill:
        fill()
    desk.click("#act-submit")
    desk.wait_for_selector("#act-dialog[open]", state="detached")


def test_counter_request_to_a_closed_ticket_counted_in_the_month(browser, system):
    before = month_totals(system)
    desk = staff_page(browser, system, "desk", "ticket-new", viewport=DESK)
    ticket_id = counter_request(desk)
    desk.click("#act-workorder")
    desk.wait_for_selector("#act-dialog[open]")
    desk.fill("#act-printer", "desk-1")
    desk.click("#act-submit")
    assert system.wait_event(PrintJobConfirmed, lambda p: p.job_id == f"wo:{ticket_id}", "desk-1", 30), \
        "the work order was not printed"
    # The technician's phone opens what its camera app reads on the paper slip.
    address = wait_until(lambda: claim_address(system, ticket_id), 20, "the claim QR on the rendered slip")
    assert address.startswith(system.api + "/w/")
    phone = staff_page(browser, system, "tech", None, **PHONE_OPTIONS)
    technician_finishes(phone, address, system.password("tech"))
    ticket = system.get(f"/api/v1/tickets/{ticket_id}")
    assert (ticket["state"], ticket["assignee"]) == ("confirmed", "tech")
    assert [h["by"] for h in ticket["history"] if h["detail"].get("to_state") == "claimed"] == ["tech"]
    # Back at the desk: the callback, then closed.
    desk.reload()
    act(desk, "callback", lambda: (desk.check("#act-reached-true"), desk.check("#act-satisfied-true")))
    act(desk, "close", lambda: desk.fill("#act-note", "回访满意，关闭"))
    desk.wait_for_selector('#ticket-state[data-state="closed"]')
    after = month_totals(system)
    assert (after["closed"], after["satisfied"], after["done"]) == \
        (before["closed"] + 1, before["satisfied"] + 1, before["done"] + 1)
    assert not desk.js_errors and not phone.js_errors
