"""The desk's residents panel in a real headless Chromium against central's real app: a resident
asks for a sign-in code on their phone, the request shows on the desk, the desk makes the code and
the resident signs in with it; the desk invites a visitor for a resident (link and QR, read back
with pyzbar) and cancels (the pass revoked at the site's gate); bad input says why; guards and
technicians see no panel and the API refuses them; axe-core with the dialogs open in both
languages."""
from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import httpx
import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from frontdesk.passes import generate_key, keyring, save_private_key, verify_pass

from ..a11y import assert_accessible
from ..browser import keep_for_docs
from .dashboard_helpers import PHONE, SITE, Central, login

WANG = "13800138000"              # 3-1502 and 3-1503
LI = "+86 139 0013 9000"          # 5-101
NOBODY = "13700137000"            # not in the directory
DIRECTORY = [{"unit": "3-1502", "name": "王女士", "phone": WANG},
             {"unit": "3-1503", "name": "王女士", "phone": WANG},
             {"unit": "5-101", "name": "李明", "phone": LI},
             {"unit": "7-701"}]
# Markup in the visitor's name must come out as text.
VISITOR = "<i>周</i>小姐"
POST = "gate-9"
ACCOUNTS = itertools.count(1)


@pytest.fixture
def pass_key(tmp_path):
    key = generate_key()
    save_private_key(key, tmp_path / "pass.key")
    return key


@pytest.fixture
def central(sqlite_url, tmp_path, pass_key):
    """Central with the site's pass key, one known post and the directory (put by a manager)."""
    cfg = {"tickets": {"pass_keys": {SITE: str(tmp_path / "pass.key")}, "pass_posts": {SITE: [POST]}}}
    with Central(sqlite_url, cfg) as c:
        with staff(c, "manager") as manager:
            r = manager.put(f"/api/v1/sites/{SITE}/directory", json={"entries": DIRECTORY})
            assert r.status_code == 200, r.text
        yield c


@contextmanager
def staff(central, role: str, username: str | None = None) -> Iterator[httpx.Client]:
    """An API client logged in (bearer token) as a new account of `role` on SITE."""
    user, password = central.add_user(username or f"{role}-api", role)
    with httpx.Client(base_url=central.url) as client:
        r = client.post("/api/v1/auth/login", json={"username": user, "password": password, "token": True})
        assert r.status_code == 200, r.text
        client.headers["Authorization"] = f"Bearer {r.json()['token']}"
        yield client


def open_desk(page, central, role: str = "desk", lang: str | None = None) -> None:
    user, password = central.add_user(f"{role}-page-{next(ACCOUNTS)}", role)
    login(page, central, user, password, "desk", f"?lang={lang}" if lang else "")
    page.wait_for_selector("#panel-counts h2")


def resident_phone(make_page):
    return make_page(PHONE, has_touch=True, is_mobile=True)


def on_page(page, text: str) -> bool:
    """Whether `text` is anywhere in the page's text, its fields or its storage."""
    return page.evaluate("""(text) => document.body.innerText.includes(text)
        || [...document.querySelectorAll('input, textarea')].some((f) => f.value.includes(text))
        || JSON.stringify({...sessionStorage}).includes(text)
        || JSON.stringify({...localStorage}).includes(text)""", text)


def read_qr(page) -> str:
    """The QR image on the desk's page, as the browser drew it, decoded."""
    page.wait_for_function("() => { const i = document.getElementById('res-qr'); "
                           "return i && i.complete && i.naturalWidth > 0; }")
    found = decode(Image.open(io.BytesIO(page.locator("#res-qr").screenshot())))
    assert len(found) == 1, f"expected one QR code, found {len(found)}"
    return found[0].data.decode("ascii")


def invite(page, unit: str, name: str, phone: str = "") -> None:
    page.click("#res-invite-new")
    page.wait_for_selector("#res-invite-dialog[open] #res-invite-form")
    page.fill("#res-unit", unit)
    page.fill("#res-visitor-name", name)
    page.fill("#res-visitor-phone", phone)


def test_a_resident_asks_the_desk_reads_the_code_out_and_the_resident_signs_in(make_page, central):
    desk = make_page()
    open_desk(desk, central)
    desk.wait_for_selector("#panel-residents:not([hidden]) #res-none")
    resident = resident_phone(make_page)
    resident.goto(f"{central.url}/r/{SITE}/signin")
    resident.wait_for_selector("body[data-ready=true]")
    resident.fill("#phone", WANG)
    resident.tap("#get-code")
    resident.wait_for_selector("#signin-message .message.info")

    # The desk's list asks again every 15 s: the request shows without a reload.
    row = desk.locator("#res-waiting-list li")
    row.wait_for(timeout=25000)
    text = row.inner_text()
    assert "138****8000" in text and "3-1502, 3-1503" in text and WANG not in text
    assert re.search(r"\d+ 秒前", text), text
    row.locator("button.res-make-code").click()
    desk.wait_for_selector("#res-code-dialog[open] #res-code")
    code = desk.locator("#res-code").inner_text()
    assert re.fullmatch(r"\d{6}", code), code
    assert "有效至" in desk.locator("#res-code-expiry").inner_text()
    assert "3-1502, 3-1503" in desk.locator("#res-code-units").inner_text()
    desk.wait_for_selector("#res-none")  # the request is answered
    # Closing the dialog forgets the code: nowhere on the page, in its fields or its storage.
    desk.click("#res-code-close")
    desk.wait_for_selector("#res-code-dialog[open]", state="detached")
    assert desk.locator("#res-code").count() == 0 and not on_page(desk, code)

    resident.fill("#code", code)
    resident.tap("#signin-submit")
    resident.wait_for_url(f"**/r/{SITE}/invitations")
    resident.wait_for_selector("body[data-ready=true]")


def test_the_desk_invites_a_visitor_for_a_resident_then_cancels(page, central, pass_key, tmp_path):
    open_desk(page, central)
    page.wait_for_selector("#res-invite-new")
    invite(page, "", VISITOR, "139 0000 1111")
    # The window defaults to now .. +4 h (the browser's clock and zone).
    start = datetime.fromisoformat(page.input_value("#res-from"))
    end = datetime.fromisoformat(page.input_value("#res-until"))
    assert (end - start).total_seconds() == 4 * 3600
    assert abs(page.evaluate("new Date(document.getElementById('res-from').value).getTime() - Date.now()")) < 120000
    # The unit from the directory's type-ahead: arrow keys move, Enter picks.
    page.fill("#res-unit", "3-15")
    page.wait_for_selector("#res-unit-list:not([hidden]) [role=option][data-unit]")
    assert page.locator("#res-unit-list [role=option][data-unit]").count() == 2
    page.focus("#res-unit")
    page.keyboard.press("ArrowDown")
    assert page.get_attribute("#res-unit", "aria-activedescendant") == "res-unit-opt-0"
    page.keyboard.press("Enter")
    assert page.input_value("#res-unit") == "3-1502"
    assert page.evaluate("document.activeElement.id") == "res-visitor-name"
    page.click("#res-invite-submit")

    link = page.locator("#res-link")
    link.wait_for()
    assert link.inner_text().startswith(f"{central.url}/r/v/")
    title = page.locator("#res-result-title").inner_text()
    assert VISITOR in title and "3-1502" in title and page.locator("#res-invite-dialog i").count() == 0
    token = read_qr(page)
    vp = verify_pass(token, keyring([pass_key.public_key()]), site=SITE)
    assert (vp.host_unit, vp.visitor_name, vp.single_use) == ("3-1502", VISITOR, True)
    item = page.locator("#res-invitation-list li[data-state=upcoming]")
    item.wait_for()
    assert VISITOR in item.inner_text() and "desk" in item.inner_text()
    assert_accessible(page)
    shot = tmp_path / "desk-residents.png"
    page.screenshot(path=str(shot))
    keep_for_docs(shot)

    # Cancel (two steps) = revoke at the site's posts; the answer says where it was sent.
    item.locator("button.res-cancel").click()
    page.locator("#res-invitation-list button.res-cancel-confirm").click()
    page.wait_for_selector("#res-invitation-list li[data-state=cancelled]")
    assert POST in page.locator("#res-list-message .message.ok").inner_text()
    assert page.locator("#res-qr").count() == 0 and page.locator("#res-qr-cancelled").is_visible()
    with staff(central, "desk", "desk-check") as desk:
        listed = desk.get(f"/api/v1/sites/{SITE}/invitations").json()
        assert [(x["state"], x["pass_id"]) for x in listed] == [("cancelled", vp.pass_id)]
        assert desk.get(link.inner_text().replace("/r/v/", "/api/v1/visitor-links/") + "/qr.svg").status_code == 410
    revokes = [c for c in central.store.list_commands(sites=(SITE,), device=POST) if c["type"] == "passes.revoke"]
    assert [c["payload"]["pass_ids"] for c in revokes] == [[vp.pass_id]]


def test_bad_input_is_said_and_nothing_is_made(page, central):
    open_desk(page, central)
    page.wait_for_selector("#res-code-new")
    # A number not in the directory, and one that is no number: a clear reason, no code.
    page.click("#res-code-new")
    page.fill("#res-phone", NOBODY)
    page.click("#res-code-submit")
    page.wait_for_selector("#res-code-result .message.error")
    assert page.locator("#res-code-result").inner_text() == "此号码不在本项目的住户名录中，不能生成验证码"
    page.fill("#res-phone", "12")
    page.click("#res-code-submit")
    page.wait_for_function("() => document.querySelector('#res-code-result').innerText.includes('有效的电话号码')")
    assert page.locator("#res-code").count() == 0
    page.keyboard.press("Escape")
    page.wait_for_selector("#res-code-dialog[open]", state="detached")

    # A unit not in the directory; a window ending before it starts; no name.
    invite(page, "9-999", "周小姐")
    page.click("#res-invite-submit")
    page.wait_for_function("() => document.querySelector('#res-invite-error').innerText.includes('9-999')")
    assert page.locator("#res-invite-error").inner_text() == "单元 9-999 不在本项目的住户名录中"
    page.fill("#res-unit", "5-101")
    before = datetime.fromisoformat(page.input_value("#res-from")) - timedelta(hours=1)
    page.fill("#res-until", before.strftime("%Y-%m-%dT%H:%M"))
    page.click("#res-invite-submit")
    page.wait_for_function("() => document.querySelector('#res-invite-error').innerText.includes('结束时间')")
    assert page.locator("#res-invite-error").inner_text() == "结束时间必须晚于开始时间"
    assert page.evaluate("document.activeElement.id") == "res-until"
    page.fill("#res-visitor-name", "   ")
    page.click("#res-invite-submit")
    page.wait_for_function("() => document.querySelector('#res-invite-error').innerText.includes('访客姓名')")
    # A window the browser lets through but central refuses (over in the past): central's reason.
    page.fill("#res-visitor-name", "周小姐")
    page.fill("#res-from", "2020-01-01T08:00")
    page.fill("#res-until", "2020-01-01T09:00")
    page.click("#res-invite-submit")
    page.wait_for_function("() => document.querySelector('#res-invite-error').innerText.includes('未能邀请')")
    assert "past" in page.locator("#res-invite-error").inner_text()
    assert page.locator("#res-link").count() == 0
    with staff(central, "desk", "desk-check") as desk:
        assert desk.get(f"/api/v1/sites/{SITE}/invitations").json() == []


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_the_panel_and_its_dialogs_are_accessible(page, central, lang):
    open_desk(page, central, lang=lang)
    page.wait_for_selector("#panel-residents:not([hidden]) #res-none")
    assert page.evaluate("document.documentElement.lang") == lang
    assert_accessible(page)
    # The code dialog, with a code for a number typed in (a resident on the phone).
    page.click("#res-code-new")
    page.wait_for_selector("#res-code-dialog[open] #res-phone")
    assert_accessible(page)
    page.fill("#res-phone", LI)
    page.keyboard.press("Enter")
    page.wait_for_selector("#res-code-dialog[open] #res-code")
    assert "5-101" in page.locator("#res-code-units").inner_text()
    assert_accessible(page)
    page.click("#res-code-close")
    # The invite dialog: the type-ahead open, then an invitation made and listed.
    invite(page, "", "周小姐")
    page.fill("#res-unit", "7")
    page.wait_for_selector("#res-unit-list:not([hidden]) [role=option]")
    assert_accessible(page)
    page.fill("#res-unit", "7-701")
    page.click("#res-invite-submit")
    page.wait_for_selector("#res-invitation-list li[data-state=upcoming]")
    page.wait_for_function("() => document.getElementById('res-qr').naturalWidth > 0")
    assert_accessible(page)
    page.locator("#res-invitation-list button.res-cancel").click()
    assert_accessible(page)  # the confirm step


def test_guards_and_technicians_get_no_panel_and_the_api_refuses_them(page, central):
    open_desk(page, central, "guard")
    assert page.locator("#panel-residents").is_hidden()
    assert page.locator("#res-code-new, #res-invite-new").count() == 0
    user, password = central.add_user("tech-page", "technician")
    login(page, central, user, password, "desk")
    page.wait_for_url("**/dashboard/tech*")
    assert page.locator("#panel-residents").count() == 0
    with staff(central, "desk", "desk-api") as desk:
        made = desk.post(f"/api/v1/sites/{SITE}/invitations", json={
            "unit": "3-1502", "visitor_name": "周小姐", "valid_from": datetime.now().astimezone().isoformat(),
            "valid_until": (datetime.now().astimezone() + timedelta(hours=2)).isoformat()})
        assert made.status_code == 201, made.text
    codes = f"/api/v1/sites/{SITE}/resident-codes"
    for role in ("guard", "technician"):
        with staff(central, role, f"{role}-api") as client:
            assert client.get(codes).status_code == 403
            assert client.post(codes, json={"phone": WANG}).status_code == 403
    with staff(central, "technician", "technician-api-2") as tech:
        assert tech.get(f"/api/v1/sites/{SITE}/invitations").status_code == 403
        assert tech.post(f"/api/v1/sites/{SITE}/invitations", json={
            "unit": "3-1502", "visitor_name": "x", "valid_from": datetime.now().astimezone().isoformat(),
            "valid_until": datetime.now().astimezone().isoformat()}).status_code == 403
        assert tech.post(f"/api/v1/sites/{SITE}/invitations/{made.json()['id']}/cancel").status_code == 403


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_the_invite_form_shows_the_role_cap_and_why_it_refused(page, central, lang):
    texts = {"zh-Hans": ("您的角色（前台）最长可签发 24 小时的通行证",
                         "未能邀请：您的角色（前台）最长可签发 24 小时的通行证，本次为 48 小时"),
             "en": ("Your role (desk) may issue passes of up to 24 h",
                    "Not invited: your role (desk) may issue passes of at most 24 h, this one is 48 h")}[lang]
    open_desk(page, central, lang=lang)
    page.wait_for_selector("#res-invite-new")
    invite(page, "3-1502", "周小姐")
    page.wait_for_selector("#res-cap:not(:empty)")
    assert page.locator("#res-cap").inner_text().startswith(texts[0])
    start = datetime.fromisoformat(page.input_value("#res-from"))
    page.fill("#res-until", (start + timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M"))
    page.click("#res-invite-submit")
    page.wait_for_selector("#res-invite-error .message.error")
    assert page.locator("#res-invite-error").inner_text().startswith(texts[1])
    assert page.locator("#res-link").count() == 0
    assert_accessible(page)
    # Within the cap it is made as before.
    page.fill("#res-until", (start + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M"))
    page.click("#res-invite-submit")
    page.locator("#res-link").wait_for()


def test_a_manager_is_shown_the_longer_cap(page, central):
    open_desk(page, central, role="manager")
    page.wait_for_selector("#res-invite-new")
    invite(page, "3-1502", "周小姐")
    page.wait_for_selector("#res-cap:not(:empty)")
    assert page.locator("#res-cap").inner_text().startswith("您的角色（经理）最长可签发 8784 小时的通行证")
