"""The work-order part of the tour: a resident at the counter -> a printed work order -> the
technician follows the slip's QR address, claims it (a second technician is told who holds it),
goes on site, finishes with a photo, the resident signs -> the desk's callback -> closed -> the
month's statistics count it. Each step goes through central's API as the desk's and the
technician's pages do, under their own accounts."""
from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

from frontdesk.schema.printing import PrintJobConfirmed

from .samples import CALLER
from .session import ApiError, Session
from .system import SITE, DemoSystem

Step = Callable[[str, Any, str], Any]


def work_order_steps(system: DemoSystem, step: Step, read_claim_address: Callable[[str], str | None],
                     wait: Callable[[Callable[[], Any], float], Any]) -> None:
    """Walk one repair from the counter to the month's figures, recording each check through `step`."""
    desk, tech, tech2 = (Session(system.api, name, system.password(name)) for name in ("desk", "tech", "tech2"))
    month = datetime.now(UTC).strftime("%Y-%m")
    before = _closed_satisfied(desk, month)
    units = desk.get(f"/api/v1/sites/{SITE}/units?q={CALLER['unit'][:3]}")
    unit = step("the unit is found as the clerk types it", next(
        (u for u in units if u["unit"] == CALLER["unit"]), None), f"unit {CALLER['unit']} from the directory")
    if not unit:
        return
    resident = unit["residents"][0]
    ticket = desk.post("/api/v1/tickets", {"site": SITE, "kind": "repair", "title": "卫生间吊顶漏水",
                                           "details": "住户到前台报修：卫生间吊顶漏水", "unit": unit["unit"],
                                           "contact_name": resident["resident_name"],
                                           "contact_phone": resident["phone"]})
    step("a repair ticket is opened at the counter", ticket.get("number"), f"ticket {ticket.get('number')}")
    order = desk.post(f"/api/v1/tickets/{ticket['id']}/work-order", {"device": "desk-1"})
    job_id = order["command"]["payload"]["job_id"]
    if not step("its work order is printed at the desk", system.wait_event(
            PrintJobConfirmed, lambda p: p.job_id == job_id, "desk-1", 30), f"print.job.confirmed {job_id}"):
        return
    address = step("the slip's QR code reads back as a claim address",
                   wait(lambda: read_claim_address(ticket["id"]), 15),
                   "an address ending /w/<token> on the rendered slip")
    if not address:
        return
    _claim_steps(step, tech, tech2, ticket, address)
    _finish_steps(step, desk, tech, ticket)
    after = _closed_satisfied(desk, month)
    step("the month's statistics count it", after == (before[0] + 1, before[1] + 1) or None,
         f"{month}: closed {before[0]} -> {after[0]}, satisfied {before[1]} -> {after[1]}")


def _claim_steps(step: Step, tech: Session, tech2: Session, ticket: dict[str, Any], address: str) -> None:
    status, location = tech.open_address(address)
    token = (parse_qs(urlparse(location).query).get("claim") or [""])[0]
    step("the address opens the technician's page", status in (302, 303, 307) and token or None,
         f"{address} -> {location}")
    order = tech.get(f"/api/v1/claim-links/{token}")
    step("the page shows the order", order.get("id") == ticket["id"] or None, f"order {order.get('number')}")
    claimed = tech.post(f"/api/v1/tickets/{ticket['id']}/claim", {})
    stopped: dict[str, Any] = next((t for t in claimed.get("timers", []) if t.get("name") == "claim"), {})
    step("one tap claims it (签收) and stops the claim timer", claimed.get("state") == "claimed" and
         stopped.get("met_at") or None, f"state {claimed.get('state')}, claim timer met at {stopped.get('met_at')}")
    try:
        tech2.post(f"/api/v1/tickets/{ticket['id']}/claim", {})
        refused = None
    except ApiError as err:
        refused = err.status == 409 and isinstance(err.detail, dict) and err.detail.get("holder") == tech.username
    step("a second technician's claim is refused, naming the holder", refused or None, f"409, held by {tech.username}")


def _finish_steps(step: Step, desk: Session, tech: Session, ticket: dict[str, Any]) -> None:
    tid = ticket["id"]
    on_site = tech.post(f"/api/v1/tickets/{tid}/transition", {"to_state": "on_site"})
    step("the technician is on site", on_site.get("state") == "on_site" or None, "state on_site")
    photo = tech.upload(f"/api/v1/tickets/{tid}/photos", "photo", "ceiling.jpg", _image("JPEG"), "image/jpeg",
                        note="更换了渗漏的软管")
    done = tech.post(f"/api/v1/tickets/{tid}/transition", {"to_state": "done", "note": "已修复"})
    step("done, with a photo stored at central", done.get("state") == "done" and photo.get("attachment") or None,
         "state done; photo attached")
    signed = tech.post(f"/api/v1/tickets/{tid}/confirm",
                       {"signature_png": base64.b64encode(_image("PNG")).decode(), "method": "signature"})
    step("the resident signs on the phone", signed.get("state") == "confirmed" or None, "state confirmed")
    desk.post(f"/api/v1/tickets/{tid}/callback", {"reached": True, "satisfied": True, "note": "住户满意"})
    closed = desk.post(f"/api/v1/tickets/{tid}/transition", {"to_state": "closed"})
    step("the desk's callback is recorded and the ticket closed", closed.get("state") == "closed" and
         closed.get("satisfied") or None, "callback: satisfied; state closed")


def _closed_satisfied(desk: Session, month: str) -> tuple[int, int]:
    totals = desk.get(f"/api/v1/stats/monthly?site={SITE}&month={month}")["totals"]
    return totals["closed"], totals["satisfied"]


def _image(fmt: str) -> bytes:
    """A small picture as a phone would send it (a photo, or the signature drawn on the screen)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), "white")
    ImageDraw.Draw(image).line([(40, 400), (200, 120), (380, 380), (600, 90)], fill="navy", width=9)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()
