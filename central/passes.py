"""Central's side of visitor passes: issuing them, and catching offline double use.

Issuing needs the site's private key, which only central holds (edges verify with the public
key). Two edges that are offline cannot see each other's uses of a single-use pass, so both
may let the visitor in; when their events arrive, `find_double_use` names every such pass.
The API that lets residents pre-register visitors calls issue_pass(); the ingest path (or a
periodic job) feeds find_double_use() the pass-use events it stored.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from frontdesk.ids import new_id
from frontdesk.passes import encode_pass
from frontdesk.schema.access import VisitorCheckedIn

MAX_VALIDITY = timedelta(days=366)


class PassCapExceeded(Exception):
    """A pass longer than the issuing role may sign: says the cap, and who may sign it instead."""

    def __init__(self, role: str, single_use: bool, cap_hours: float, asked_hours: float) -> None:
        self.role, self.single_use, self.cap_hours, self.asked_hours = role, single_use, cap_hours, asked_hours
        kind = "single-use" if single_use else "multi-use"
        what = (f"a {role} may not issue {kind} passes" if cap_hours <= 0
                else f"a {role} may issue {kind} passes of at most {cap_hours:g} h; this one asks {asked_hours:g} h")
        super().__init__(f"{what}: a manager or admin can issue it ([tickets.pass_caps])")

    def to_json(self) -> dict[str, Any]:
        """The refusal as the API answers it (the dashboard words it in the user's language)."""
        return {"error": "pass_cap", "message": str(self), "role": self.role, "single_use": self.single_use,
                "cap_hours": self.cap_hours, "asked_hours": round(self.asked_hours, 2)}


def check_pass_cap(caps: Mapping[str, Any], role: str, hours: float, single_use: bool) -> None:
    """PassCapExceeded when `role` may not issue a pass this long (`caps`: [tickets] pass_caps)."""
    cap = caps.get(role)
    limit = 0.0 if cap is None else (cap.single_use_hours if single_use else cap.multi_use_hours)
    # A second's slack: a form's "until" is a few milliseconds past a whole number of hours.
    if limit <= 0 or hours > limit + 1 / 3600:
        raise PassCapExceeded(role, single_use, limit, hours)


def issue_pass(private_key: Ed25519PrivateKey, *, site: str, host_unit: str, visitor_name: str,
               valid_from: datetime | None = None, valid_until: datetime | None = None,
               hours: float = 24.0, single_use: bool = True, pass_id: str | None = None) -> tuple[str, str]:
    """Sign a visitor pass. Returns (pass_id, token); the token goes into the visitor's QR code."""
    start = valid_from or datetime.now(UTC)
    end = valid_until or start + timedelta(hours=hours)
    if end - start > MAX_VALIDITY:
        raise ValueError("a visitor pass may be valid for at most a year")
    pid = pass_id or new_id()
    token = encode_pass(private_key, pass_id=pid, site=site, host_unit=host_unit, visitor_name=visitor_name,
                        valid_from=start, valid_until=end, single_use=single_use)
    return pid, token


@dataclass
class DoubleUse:
    """A single-use pass admitted at more than one post: the devices, the check-in event ids (oldest
    first) and the time of the first."""
    pass_id: str
    site: str
    devices: list[str]
    event_ids: list[str] = field(default_factory=list)
    first_at: str = ""


def find_double_use(events: Iterable[dict[str, Any]]) -> list[DoubleUse]:
    """Single-use passes admitted at two or more edges. `events` are wire-form event dicts.

    An admission is a visitor.checked_in event with method "pass" and single_use true. The same
    edge never admits a single-use pass twice (it remembers uses), so admissions by distinct
    devices are exactly the offline double uses.
    """
    uses: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for ev in events:
        if ev.get("type") != VisitorCheckedIn.TYPE:
            continue
        p = ev.get("payload") or {}
        if p.get("method") != "pass" or not p.get("single_use") or not p.get("pass_id"):
            continue
        uses.setdefault((ev.get("site", ""), p["pass_id"]), []).append(ev)
    flagged = []
    for (site, pass_id), evs in uses.items():
        devices = sorted({e.get("device", "") for e in evs})
        if len(devices) > 1:
            evs.sort(key=lambda e: e.get("occurred_at", ""))
            flagged.append(DoubleUse(pass_id, site, devices, [e["id"] for e in evs], evs[0].get("occurred_at", "")))
    return flagged
