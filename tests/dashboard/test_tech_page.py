"""The technician's phone page (/dashboard/tech) in a real headless Chromium set up as a phone
(touch, mobile, 390 px), against central's real app: the slip's address through login to the
order, claim -> on site -> done with a photo -> the resident's signature, the offline outbox,
two technicians claiming one order, bad addresses and bad photos, a guard, both languages,
accessibility and touch targets."""
from __future__ import annotations

import base64
import os
import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from frontdesk.ids import new_id

from ..a11y import assert_accessible, assert_touch_targets
from ..browser import keep_for_docs
from .dashboard_helpers import PHONE, SITE, wait_until
from .phone_helpers import PHONE_OPTIONS, camera_jpeg, photo_file, sign

PASSWORD = "correct-horse-9"


class Desk:
    """The service desk through central's API: opens repair tickets and issues their work orders
    (the printed slip carries the claim address); reads tickets back as central holds them."""

    def __init__(self, central) -> None:
        self.central = central
        central.add_user("desk-api", "desk")
        self.http = api_client(central, "desk-api")

    def order(self, title: str = "厨房水龙头漏水", unit: str = "3-1502",
              appointment: datetime | None = None) -> tuple[str, str]:
        """A repair ticket with its work order issued: (ticket id, the slip's claim address)."""
        opened = self.http.post("/api/v1/tickets", json={
            "site": SITE, "kind": "repair", "title": title, "unit": unit, "details": "水槽下方一直滴水",
            "contact_name": "王小红", "contact_phone": "13800138000",
            "appointment_at": appointment.isoformat() if appointment else None})
        assert opened.status_code == 201, opened.text
        ticket_id = opened.json()["id"]
        issued = self.http.post(f"/api/v1/tickets/{ticket_id}/work-order", json={"device": "desk-1"})
        assert issued.status_code == 200, issued.text
        claim = issued.json()["command"]["payload"]["data"]["claim_code"]
        assert claim.startswith(self.central.url + "/w/"), claim
        return ticket_id, claim

    def ticket(self, ticket_id: str) -> dict:
        got = self.http.get(f"/api/v1/tickets/{ticket_id}")
        assert got.status_code == 200, got.text
        return got.json()

    def attachments(self, ticket_id: str) -> list[dict]:
        got = self.http.get(f"/api/v1/tickets/{ticket_id}/attachments")
        assert got.status_code == 200, got.text
        data = got.json()
        return data["attachments"] if isinstance(data, dict) else data


def api_client(central, username: str) -> httpx.Client:
    client = httpx.Client(base_url=central.url, timeout=20)
    got = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD, "token": True})
    assert got.status_code == 200, got.text
    client.headers["Authorization"] = "Bearer " + got.json()["token"]
    return client


def claim_lines(ticket: dict, outcome: str | None = None) -> list[dict]:
    """The ticket's history lines of claims (applied, or refused or stale: any that reached central)."""
    return [h for h in ticket["history"] if h["type"] == "ticket.transitioned" and
            h["detail"].get("to_state") == "claimed" and outcome in (None, h["outcome"])]


def phone(make_page, lang: str = "zh-Hans"):
    return make_page(locale="en-GB" if lang == "en" else "zh-CN", **PHONE_OPTIONS)


def log_in(pg, username: str) -> None:
    """The page's own login form (the page asks for it when the phone has no session)."""
    pg.wait_for_selector("#login-form")
    pg.fill("#username", username)
    pg.fill("#password", PASSWORD)
    pg.click("#login-submit")


def open_as(pg, central, username: str, path: str = "/dashboard/tech") -> None:
    pg.goto(central.url + path)
    log_in(pg, username)
    pg.wait_for_selector("#order, #list-mine, #problem")


def check_a11y(pg) -> None:
    assert_accessible(pg)
    assert_touch_targets(pg, min_px=44)
    assert pg.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "wider than the phone"


def shrunk_in_page(pg, jpeg: bytes) -> list:
    """[width, height, type] of what the page's shrinkPhoto makes of `jpeg`."""
    return pg.evaluate("""async (b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const out = await shrinkPhoto(new Blob([bytes], {type: "image/jpeg"}));
        const bitmap = await createImageBitmap(out);
        return [bitmap.width, bitmap.height, out.type];
    }""", base64.b64encode(jpeg).decode())


def shot(pg, name: str, tmp_path) -> None:
    out = tmp_path / f"{name}.png"
    pg.screenshot(path=str(out), full_page=True)
    keep_for_docs(out)


@pytest.fixture
def desk(central):
    return Desk(central)


def test_slip_address_through_login_to_claim_on_site_done_photo_and_signature(make_page, central, desk, tmp_path):
    appointment = (datetime.now(UTC) + timedelta(hours=2)).replace(minute=30, second=0, microsecond=0)
    ticket_id, claim = desk.order(appointment=appointment)
    central.add_user("tech-li", "technician")
    pg = phone(make_page)
    # The slip's QR opens /w/<token>; with no session the page asks for a login, then opens the order.
    pg.goto(claim)
    assert "/dashboard/tech?claim=" in pg.url
    pg.wait_for_selector("#login-claim")
    check_a11y(pg)
    log_in(pg, "tech-li")
    pg.wait_for_selector("#order")
    assert pg.url.endswith("/dashboard/tech?ticket=" + ticket_id)
    # Logged in once for the phone: the session lasts 30 days, not a desk shift.
    session = next(c for c in pg.context.cookies() if c["name"] == "frontdesk_session")
    assert session["expires"] > time.time() + 29 * 86400
    assert pg.locator("#order-unit").inner_text() == "3-1502"
    assert "厨房水龙头漏水" in pg.locator("#order-content").inner_text()
    assert "138" in pg.locator("#order-contact").inner_text() and "13800138000" not in pg.content()
    local = appointment.astimezone(ZoneInfo("Asia/Shanghai"))
    assert pg.locator("#order-appointment").inner_text() == local.strftime("%m/%d %H:%M")
    assert re.search(r"签收 · 剩余", pg.locator("#order-facts .due").inner_text())
    assert pg.locator("button.big").count() == 1 and pg.locator("#claim").inner_text() == "签收"
    check_a11y(pg)
    shot(pg, "tech-order", tmp_path)

    pg.click("#claim")
    pg.wait_for_selector("#on-site")
    assert pg.locator("#order-state").inner_text() == "已签收"
    assert pg.locator("#order-holder").inner_text() == "tech-li"
    pg.fill("#note", "已到楼下")
    pg.click("#on-site")
    pg.wait_for_selector("#done")
    check_a11y(pg)

    original = camera_jpeg()
    with pg.expect_request(lambda r: r.url.endswith("/photos") and r.method == "POST") as sent:
        pg.set_input_files("#photo-input", files=[photo_file("IMG_0001.jpg", original)])
    # Made smaller on the phone before it went anywhere: what went over the air is a fraction of
    # the camera's file, and the page's own resize gives 1600 px on the long side.
    assert int(sent.value.all_headers()["content-length"]) < len(original) / 2
    assert shrunk_in_page(pg, original) == [1600, 1200, "image/jpeg"]
    pg.wait_for_selector("#order-photos img[data-kind=photo]")
    pg.fill("#note", "更换阀芯")
    pg.click("#done")
    pg.wait_for_selector("#signature")
    assert pg.locator("#confirm").is_disabled()  # nothing signed yet
    check_a11y(pg)
    sign(pg)
    assert pg.locator("#confirm").is_enabled()
    pg.click("#confirm")
    pg.wait_for_selector("#finished")
    wait_until(lambda: "已发送：住户确认" in pg.locator("#notices").inner_text(), what="the confirmation sent")
    pg.wait_for_selector("#queued", state="detached")
    assert "住户已确认" in pg.locator("#order-state").inner_text()

    ticket = desk.ticket(ticket_id)
    assert ticket["state"] == "confirmed" and ticket["assignee"] == "tech-li"
    assert len(claim_lines(ticket)) == 1
    notes = [str(h["detail"]) for h in ticket["history"]]
    assert any("已到楼下" in n for n in notes) and any("更换阀芯" in n for n in notes)
    kinds = sorted(a["kind"] for a in desk.attachments(ticket_id))
    assert kinds == ["photo", "signature"]
    assert not pg.evaluate("Outbox.all().then((items) => items.length)")


def test_list_of_mine_and_unclaimed_with_time_left(make_page, central, desk, tmp_path):
    mine_id, _ = desk.order(title="卫生间灯不亮", unit="5-0801")
    free_id, _ = desk.order(title="阳台门关不上", unit="2-0303")
    central.add_user("tech-wang", "technician")
    assert api_client(central, "tech-wang").post(f"/api/v1/tickets/{mine_id}/claim", json={}).status_code == 200
    pg = phone(make_page)
    open_as(pg, central, "tech-wang")
    mine = pg.locator(f'#list-mine a[data-ticket="{mine_id}"]')
    free = pg.locator(f'#list-unclaimed a[data-ticket="{free_id}"]')
    mine.wait_for()
    assert "5-0801" in mine.inner_text() and "卫生间灯不亮" in mine.inner_text() and "已签收" in mine.inner_text()
    assert re.search(r"BX-\d{8}-\d{3}", mine.inner_text())
    assert re.search(r"到场 · 剩余 \d+ 分", mine.locator(".due").inner_text())
    assert "阳台门关不上" in free.inner_text() and "已派工" in free.inner_text()
    check_a11y(pg)
    shot(pg, "tech-list", tmp_path)
    # An order from the list opens in the page; back returns to the list.
    free.click()
    pg.wait_for_selector("#claim")
    pg.click("#back")
    pg.wait_for_selector("#list-unclaimed")


def test_offline_claim_is_queued_then_sent_once(make_page, central, desk):
    ticket_id, claim = desk.order()
    central.add_user("tech-zhao", "technician")
    pg = phone(make_page)
    open_as(pg, central, "tech-zhao", claim[len(central.url):])
    pg.wait_for_selector("#claim")
    # The service worker keeps the page's shell from the first visit.
    pg.wait_for_function("!!navigator.serviceWorker.controller")

    pg.context.set_offline(True)
    pg.click("#claim")
    pg.wait_for_selector("#queued")
    assert "待发送" in pg.locator("#queued").inner_text()
    pg.wait_for_selector("#offline")
    assert pg.locator("#on-site").is_visible()  # the next step is there while the claim waits
    assert claim_lines(desk.ticket(ticket_id)) == []
    # With no signal the page still opens (from the service worker), the claim still waiting.
    pg.reload()
    pg.wait_for_selector("#queued")
    assert "待发送" in pg.locator("#queued").inner_text()
    # ... but not the order itself: answers from central are never kept to be shown as current.
    assert "没有网络" in pg.locator("#problem").inner_text()

    pg.context.set_offline(False)
    pg.wait_for_selector("#order")
    pg.wait_for_selector("#queued", state="detached")
    wait_until(lambda: desk.ticket(ticket_id)["state"] == "claimed", what="the queued claim at central")
    pg.reload()
    pg.wait_for_selector("#on-site")
    ticket = desk.ticket(ticket_id)
    assert len(claim_lines(ticket)) == 1 and ticket["assignee"] == "tech-zhao"
    assert pg.evaluate("Outbox.all().then((items) => items.length)") == 0


def test_two_technicians_claim_at_once_one_wins_the_other_sees_who(make_page, central, desk):
    ticket_id, claim = desk.order()
    pages = {}
    for name in ("tech-a", "tech-b"):
        central.add_user(name, "technician")
        pages[name] = phone(make_page)
        open_as(pages[name], central, name, claim[len(central.url):])
        pages[name].wait_for_selector("#claim")
    for pg in pages.values():
        pg.click("#claim", no_wait_after=True)
    winner = wait_until(lambda: desk.ticket(ticket_id)["assignee"], what="a claim")
    loser = "tech-b" if winner == "tech-a" else "tech-a"
    pages[winner].wait_for_selector("#on-site")
    pages[loser].wait_for_selector("#held")
    assert pages[loser].locator("#held").inner_text() == f"已被 {winner} 签收"
    assert f"已被 {winner} 签收" in pages[loser].locator("#notices").inner_text()
    assert pages[loser].locator("#claim, #on-site").count() == 0
    assert len(claim_lines(desk.ticket(ticket_id), "applied")) == 1


def forged(token: str) -> str:
    flipped = "A" if token[10] != "A" else "B"
    return token[:10] + flipped + token[11:]


@pytest.mark.parametrize("central", [{"tickets": {"photo_max_mb": 1}}], indirect=True)
def test_bad_addresses_and_bad_photos_are_refused_with_the_reason(make_page, central, desk):
    ticket_id, claim = desk.order()
    token = claim.rsplit("/", 1)[1]
    central.add_user("tech-qian", "technician")
    pg = phone(make_page)
    open_as(pg, central, "tech-qian", "/dashboard/tech?claim=" + forged(token))
    assert "无效" in pg.locator("#problem").inner_text()
    for junk in ("x", "%3Cscript%3E", os.urandom(8).hex() * 4):
        pg.goto(central.url + "/dashboard/tech?claim=" + junk)
        pg.wait_for_selector("#problem")
        assert "无效" in pg.locator("#problem").inner_text()
    for junk in ("%3Cimg%20src%3Dx%3E", "../../api/v1/users", new_id()):
        pg.goto(central.url + "/dashboard/tech?ticket=" + junk)
        pg.wait_for_selector("#problem")
        assert "没有这张工单" in pg.locator("#problem").inner_text()
    assert pg.locator("main img").count() == 0
    pg.goto(central.url + "/dashboard/tech?claim=" + expired_token(central, ticket_id))
    pg.wait_for_selector("#problem")
    assert "过期" in pg.locator("#problem").inner_text()

    tech = api_client(central, "tech-qian")
    assert tech.post(f"/api/v1/tickets/{ticket_id}/claim", json={}).status_code == 200
    assert tech.post(f"/api/v1/tickets/{ticket_id}/transition", json={"to_state": "on_site"}).status_code == 200
    pg.goto(f"{central.url}/dashboard/tech?ticket={ticket_id}")
    pg.wait_for_selector("#photo-input")
    pg.set_input_files("#photo-input", files=[{"name": "photo.jpg", "mimeType": "image/jpeg",
                                               "buffer": b"just some text, not a picture\n" * 20}])
    pg.wait_for_selector("#notices .message.error")
    assert "不是可识别的照片" in pg.locator("#notices").inner_text()
    pg.set_input_files("#photo-input", files=[{"name": "huge.heic", "mimeType": "image/heic",
                                               "buffer": b"\x00\x00\x00\x18ftypheic" + os.urandom(2 * 1024 * 1024)}])
    wait_until(lambda: "照片太大" in pg.locator("#notices").inner_text(), what="the size refusal")
    # Refused items leave the outbox; the order goes on (a good photo is taken after them).
    assert pg.evaluate("Outbox.all().then((items) => items.length)") == 0
    pg.set_input_files("#photo-input", files=[photo_file("ok.jpg", camera_jpeg(800, 600))])
    pg.wait_for_selector("#order-photos img[data-kind=photo]")
    assert [a["kind"] for a in desk.attachments(ticket_id)] == ["photo"]


def test_guard_cannot_claim(make_page, central, desk):
    ticket_id, claim = desk.order()
    central.add_user("guard-zhou", "guard")
    pg = phone(make_page)
    open_as(pg, central, "guard-zhou", claim[len(central.url):])
    pg.wait_for_selector("#cannot-claim")
    assert pg.locator("#claim").count() == 0
    assert "不能签收" in pg.locator("#cannot-claim").inner_text()
    refused = api_client(central, "guard-zhou").post(f"/api/v1/tickets/{ticket_id}/claim", json={})
    assert refused.status_code == 403
    pg.goto(central.url + "/dashboard/tech")
    pg.wait_for_selector("#problem")
    assert "不能签收" in pg.locator("#problem").inner_text()
    check_a11y(pg)


def test_english_on_the_phone(make_page, central, desk):
    ticket_id, claim = desk.order(title="Leaking tap")
    central.add_user("tech-en", "technician")
    pg = phone(make_page, "en")
    pg.goto(central.url + "/dashboard/tech?lang=en")
    pg.wait_for_selector("#login-form")
    assert pg.evaluate("document.documentElement.lang") == "en"
    assert pg.locator("#login-submit").inner_text() == "Log in"
    check_a11y(pg)
    log_in(pg, "tech-en")
    pg.wait_for_selector("#list-unclaimed")
    assert "To claim" in pg.locator("#unclaimed-title").inner_text()
    assert "work order issued" in pg.locator(f'a[data-ticket="{ticket_id}"]').inner_text()
    check_a11y(pg)
    pg.goto(claim)
    pg.wait_for_selector("#claim")
    assert pg.locator("#claim").inner_text() == "Claim"
    pg.click("#claim")
    pg.wait_for_selector("#on-site")
    assert pg.locator("#on-site").inner_text() == "On site"
    wait_until(lambda: "Sent: Claim" in pg.locator("#notices").inner_text(), what="the claim sent")
    pg.click("#on-site")
    pg.click("#done")
    pg.wait_for_selector("#signature")
    assert "The resident signs" in pg.locator("#sign-hint").inner_text()
    check_a11y(pg)
    # The switch back to Chinese, kept for the next visit.
    pg.click("#lang")
    pg.wait_for_selector("#signature")
    assert pg.locator("#lang").inner_text() == "English" and "住户" in pg.locator("#sign-hint").inner_text()
    missing = pg.evaluate("""() => [Object.keys(TEXTS['zh-Hans']).filter((k) => !(k in TEXTS.en)),
                                   Object.keys(TEXTS.en).filter((k) => !(k in TEXTS['zh-Hans']))]""")
    assert missing == [[], []]


def expired_token(central, ticket_id: str) -> str:
    """A claim token central signed for the ticket whose time ran out a second ago."""
    return central.app.state.tickets.links.make(ticket_id, datetime.now(UTC) - timedelta(seconds=1))
