"""A scripted walk through the demo: what a visitor, a guard and a caller do, and what each step
must leave in the central store. `frontdesk demo --tour` runs it and says how each step went."""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .samples import UNKNOWN_CARD
from .system import DemoSystem


@dataclass
class Step:
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
    assert system.samples
    steps: list[Step] = []

    def step(name: str, found, detail: str) -> object:
        steps.append(Step(name, bool(found), detail if found else f"NOT SEEN: {detail}"))
        say(f"  {'ok ' if found else 'FAIL'} {name}: {steps[-1].detail}")
        return found

    say("tour: a visitor with a pass checks in at the lobby kiosk")
    pass_png = system.samples.visitor_pass()
    checked_in = step("visitor checked in with a pass", show_to_camera(
        system, "lobby-1", pass_png, 30,
        lambda: system.wait_event("visitor.checked_in", lambda e: e["payload"]["method"] == "pass", "lobby-1", 0)),
        "visitor.checked_in from lobby-1 at central")
    badge = step("visitor badge printed", system.wait_event("print.job.confirmed", device="lobby-1", timeout=30),
                 f"print.job.confirmed from lobby-1; slip images in {system.slips_dir('lobby')}")
    if checked_in:
        code = checked_in["payload"]["checkout_code"]
        badge_qr = system.samples.qr(code, "badge-checkout")
        step("visitor checked out with the badge QR", show_to_camera(
            system, "lobby-1", badge_qr, 30,
            lambda: system.wait_event("visitor.checked_out", lambda e: e["payload"]["visit_id"]
                                      == checked_in["payload"]["visit_id"], "lobby-1", 0)),
            "visitor.checked_out from lobby-1")
    del badge

    say("tour: a guard's gate post decides card scans offline")
    step("staff card allowed at the gate", show_to_camera(
        system, "gate-1", system.samples.card("STAFF-0007"), 30,
        lambda: system.wait_event("card.scanned", lambda e: e["payload"]["decision"] == "allow", "gate-1", 0)),
        "card.scanned allow from gate-1")
    step("unknown card refused with its reason", show_to_camera(
        system, "gate-1", system.samples.card(UNKNOWN_CARD), 30,
        lambda: system.wait_event("card.scanned", lambda e: e["payload"]["reason"] == "unknown_card", "gate-1", 0)),
        "card.scanned deny (unknown_card) from gate-1")
    return steps
