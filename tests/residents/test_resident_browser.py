"""A resident invites a visitor, end to end, in a real Chromium on a phone (touch) against central's
real app; the visitor's QR is read off a screenshot of their phone and shown to the real kiosk
(camera folder -> access service -> kiosk screen); the resident cancels, central's passes.revoke
command is applied at the gate as an edge applies commands, and the gate refuses the same pass."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from PIL import Image
from pyzbar.pyzbar import decode
from sqlalchemy import select

from frontdesk import topics
from frontdesk.central.directory.residents import Directory
from frontdesk.central.tables import commands
from frontdesk.edge.command_gate import CommandGate
from frontdesk.kiosk_ui import catalogs
from frontdesk.passes import generate_key, keyring, public_text, save_private_key, verify_pass
from frontdesk.schema import encode_batch
from frontdesk.signing import sign_command

from ..a11y import assert_accessible, assert_touch_targets
from ..browser import keep_for_docs
from ..dashboard.dashboard_helpers import PHONE, Central
from ..kiosk_ui.kiosk_post import SITE, VIEWPORT, Post, open_screen

ZH = catalogs.load("zh-Hans")
COMMAND_KEY = generate_key()
PHONE_NUMBER = "13800138000"
# Markup in the visitor's name must come out as text on every page (and at the kiosk).
VISITOR = "<i>周</i>小姐"


class Signer:
    """Central's command signer (its keyring in production): every command it stores is signed."""

    def sign(self, command):
        return sign_command(command, COMMAND_KEY)


@pytest.fixture
def pass_key(tmp_path):
    key = generate_key()
    save_private_key(key, tmp_path / "pass.key")
    return key


@pytest.fixture
def central(sqlite_url, tmp_path, pass_key):
    cfg = {"tickets": {"pass_keys": {SITE: str(tmp_path / "pass.key")}, "pass_posts": {SITE: ["kiosk", "gate"]}}}
    with Central(sqlite_url, cfg) as c:
        c.store.command_signer = Signer()
        Directory(c.store).replace(SITE, [{"unit": "3-1502", "name": "王女士", "phone": PHONE_NUMBER},
                                          {"unit": "3-1503", "name": "王女士", "phone": PHONE_NUMBER}])
        yield c


@pytest.fixture
def posts(tmp_path, pass_key):
    kiosk = Post(tmp_path / "kiosk", pass_key, device="kiosk", camera=True)
    gate = Post(tmp_path / "gate", pass_key, device="gate", access={"role": "gate"}, kiosk={"role": "gate"})
    yield kiosk, gate
    kiosk.close()
    gate.close()


@pytest.fixture
def phone(browser):
    """A phone: small viewport, touch, mobile; JavaScript errors fail the test."""
    made = []

    def make():
        context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda err: page.js_errors.append(str(err)))
        made.append((context, page))
        return page

    yield make
    for context, page in made:
        context.close()
        assert not page.js_errors, f"JavaScript errors on the page: {page.js_errors}"


def check_page(page, url: str, ready: str = "body[data-ready=true]") -> None:
    """The page passes axe-core and the 44 px touch-target check in English and in Chinese."""
    for lang in ("en", "zh-Hans"):
        page.goto(f"{url}?lang={lang}")
        page.wait_for_selector(ready)
        assert page.evaluate("document.documentElement.lang") == lang
        assert_accessible(page)
        assert_touch_targets(page, 44)


def shot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    keep_for_docs(path)
    return path


def desk_code(central) -> str:
    """The desk sees the waiting request and makes the code it reads out."""
    central.add_user("desk-wu", "desk", [SITE])
    with httpx.Client(base_url=central.url) as desk:
        login = desk.post("/api/v1/auth/login", json={"username": "desk-wu", "password": "correct-horse-9",
                                                      "token": True})
        desk.headers["Authorization"] = f"Bearer {login.json()['token']}"
        waiting = desk.get(f"/api/v1/sites/{SITE}/resident-codes").json()
        assert [w["phone"] for w in waiting] == [PHONE_NUMBER]
        made = desk.post(f"/api/v1/sites/{SITE}/resident-codes", json={"phone": waiting[0]["phone"]})
        assert made.status_code == 201, made.text
        return made.json()["code"]


def sign_in(page, central) -> None:
    page.goto(f"{central.url}/r/{SITE}/signin")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#phone", PHONE_NUMBER)
    page.tap("#get-code")
    page.wait_for_selector("#signin-message .message.info")
    page.fill("#code", desk_code(central))
    page.tap("#signin-submit")
    page.wait_for_url(f"**/r/{SITE}/invitations")
    page.wait_for_selector("body[data-ready=true]")


def invite(page, central, tmp_path) -> str:
    page.tap("#new-invitation")
    page.wait_for_url(f"**/r/{SITE}/invite")
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("#unit option").all_inner_texts() == ["3-1502", "3-1503"]
    page.select_option("#unit", "3-1503")
    page.fill("#visitor-name", VISITOR)
    page.fill("#visitor-phone", "139 0000 1111")
    shot(page, tmp_path, "resident-invite")
    page.tap("#invite-submit")
    page.wait_for_selector("#visitor-link")
    return page.locator("#visitor-link").inner_text()


def read_qr(shot_path: Path) -> str:
    found = decode(Image.open(shot_path))
    assert len(found) == 1, f"expected one QR code in {shot_path}, found {len(found)}"
    return found[0].data.decode("ascii")


def show_to_camera(post: Post, image: Path) -> None:
    """The visitor holds their phone up to the kiosk's camera (a whole new frame, never half a file)."""
    tmp = post.cam / "phone.tmp"
    shutil.copyfile(image, tmp)
    tmp.replace(post.cam / "phone.png")


def sync_to_central(central, post: Post) -> None:
    """The post's events reach central as its uplink delivers them (one MQTT batch on its topic)."""
    result = central.store.ingest([(topics.topic(SITE, post.device, topics.EVENTS), encode_batch(post.events()))])
    assert result.inserted >= 1, result


def deliver(central, post: Post) -> str:
    """The passes.revoke central stored for this post, applied as the edge applies a command from MQTT."""
    with central.store.engine.connect() as conn:
        body = conn.execute(select(commands.c.body).where(commands.c.device == post.device,
                                                          commands.c.type == "passes.revoke")).scalar_one()
    CommandGate(post.journal, post.ctx.commands, [public_text(COMMAND_KEY)]).apply(json.dumps(body).encode())
    return post.journal.command_status(body["id"])


def test_resident_invites_visitor_admitted_at_kiosk_then_cancel_is_refused_at_gate(
        central, posts, phone, browser, pass_key, tmp_path):
    kiosk, gate = posts
    resident = phone()
    sign_in(resident, central)
    link = invite(resident, central, tmp_path)
    assert link.startswith(f"{central.url}/r/v/")

    # The visitor opens the link on their own phone: the pass, read off a screenshot.
    visitor = phone()
    visitor.goto(link)
    visitor.wait_for_selector("body[data-ready=true][data-state=upcoming]")
    assert visitor.locator("#visitor-name").inner_text() == VISITOR and visitor.locator("main i").count() == 0
    assert visitor.locator("#visitor-unit").inner_text() == "3-1503"
    assert visitor.evaluate("document.getElementById('qr').naturalWidth") > 0
    pass_shot = shot(visitor, tmp_path, "visitor-pass")
    token = read_qr(pass_shot)
    vp = verify_pass(token, keyring([pass_key.public_key()]), site=SITE)
    assert vp.host_unit == "3-1503" and vp.visitor_name == VISITOR and vp.single_use

    # At the kiosk as today: the camera sees the phone, the access service admits, the screen welcomes.
    screen = browser.new_page(viewport=VIEWPORT)
    open_screen(screen, kiosk, "kiosk")
    show_to_camera(kiosk, pass_shot)
    screen.wait_for_selector("[data-screen=welcome]:not([hidden])", timeout=15000)
    assert screen.locator("#welcome-title").inner_text() == ZH["welcome.title"].format(name=VISITOR)
    admitted = kiosk.events("visitor.checked_in")
    assert [(e["payload"]["method"], e["payload"]["pass_id"]) for e in admitted] == [("pass", vp.pass_id)]
    screen.close()

    # The kiosk syncs; the resident's list shows the invitation used.
    sync_to_central(central, kiosk)
    resident.goto(f"{central.url}/r/{SITE}/invitations")
    resident.wait_for_selector("li[data-state=used]")
    item = resident.locator("li[data-state=used]")
    assert VISITOR in item.inner_text() and resident.locator("#invitations i").count() == 0
    shot(resident, tmp_path, "resident-list")

    # The resident cancels (two taps): central sends passes.revoke to the kiosk and the gate.
    resident.tap("li[data-state=used] button.cancel")
    resident.tap("li[data-state=used] button.confirm")
    resident.wait_for_selector("li[data-state=cancelled]")
    assert resident.locator("#list-message .message.ok").is_visible()
    visitor.reload()
    visitor.wait_for_selector("body[data-ready=true][data-state=cancelled]")
    assert visitor.locator("#qr").count() == 0

    # The gate applies the command as it arrives over MQTT, then refuses the same pass: revoked.
    assert deliver(central, gate) == "applied"
    refused = gate.access.scan_payload(token.encode())
    assert (refused.decision, refused.reason) == ("deny", "revoked")
    gate_screen = browser.new_page(viewport=VIEWPORT)
    open_screen(gate_screen, gate, "gate")
    gate.access.scan_payload(token.encode())
    gate_screen.wait_for_function("r => document.querySelector('#decision-reason').textContent === r",
                                  arg=ZH["reason.revoked"], timeout=5000)
    gate_screen.close()


def test_every_resident_page_is_accessible_in_both_languages(central, phone, pass_key):
    page = phone()
    check_page(page, f"{central.url}/r/{SITE}/signin")
    sign_in(page, central)
    check_page(page, f"{central.url}/r/{SITE}/invite")
    page.fill("#visitor-name", "周小姐")
    page.tap("#invite-submit")
    page.wait_for_selector("#visitor-link")
    assert_accessible(page)
    assert_touch_targets(page, 44)
    link = page.locator("#visitor-link").inner_text()
    check_page(page, f"{central.url}/r/{SITE}/invitations", "li[data-state=upcoming]")
    check_page(page, link, "body[data-ready=true][data-state=upcoming]")
    # The pages that say something went wrong, too.
    check_page(page, f"{central.url}/r/v/not-a-real-link", "body[data-ready=true][data-state=invalid]")
    page.goto(f"{central.url}/r/{SITE}/signin")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#phone", PHONE_NUMBER)
    page.fill("#code", "12")
    page.tap("#signin-submit")
    page.wait_for_selector("#signin-message .message.error")
    assert_accessible(page)


def test_wrong_codes_and_the_lockout_are_said_on_the_sign_in_page(central, phone):
    page = phone()
    page.goto(f"{central.url}/r/{SITE}/signin?lang=en")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#phone", PHONE_NUMBER)
    page.tap("#get-code")
    page.wait_for_selector("#signin-message .message.info")
    for attempt in range(10):
        page.evaluate("document.getElementById('signin-message').textContent = ''")
        page.fill("#code", "000000")
        page.tap("#signin-submit")
        page.wait_for_selector("#signin-message .message.error")
        said = page.locator("#signin-message").inner_text()
        if attempt < 9:
            assert said == "The code is wrong or has expired", said
    assert said.startswith("Too many wrong codes: sign-in for this number is locked. Try again after "), said
    # Now even the code the desk makes is refused, with the same clear message.
    page.evaluate("document.getElementById('signin-message').textContent = ''")
    page.fill("#code", desk_code(central))
    page.tap("#signin-submit")
    page.wait_for_selector("#signin-message .message.error")
    assert "locked" in page.locator("#signin-message").inner_text()
    assert_accessible(page)
    assert page.url.endswith("/signin?lang=en")
