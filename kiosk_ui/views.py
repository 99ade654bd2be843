"""The access service's decisions as the screens show them ("items").

Live decisions come from the access service's observers (to_item); after a restart the last
scans are read back from the journal (from_event, then to_item). A decision (edge/access/
decision.py, already masked there: card holders' names, phone numbers) becomes the small flat
dict the pages render. Only what a screen may show leaves here: no
payload bytes, no full phone number, no checkout code (that is for the printed badge only).

    {"seq", "event_id", "type", "at", "kind": checked_in | checked_out | card | rejected,
     "decision": allow | deny, "reason": null | forged | expired | ..., "direction": in | out,
     "via": pass | walk_in | badge | manual | card | code, "name", "unit", "holder",
     "phone_masked", "valid_until", "host_notified", "badge_requested", "badge_refused", "post_role",
     "detail"}
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from frontdesk.schema.access import CardScanned, PassRejected, VisitorCheckedIn, VisitorCheckedOut

log = logging.getLogger(__name__)

_KINDS = {VisitorCheckedIn.TYPE: "checked_in", VisitorCheckedOut.TYPE: "checked_out", CardScanned.TYPE: "card",
          PassRejected.TYPE: "rejected"}
DETAIL_MAX = 160


def to_item(decision: dict[str, Any]) -> dict[str, Any]:
    """A decision (the access service's, live or rebuilt by from_event) as the screens show it."""
    kind = _KINDS.get(decision.get("event_type") or "")
    if kind is None:
        kind = "card" if decision.get("kind") == "card" else ("rejected" if decision.get("decision") != "allow"
                                                               else "checked_in")
    reason = decision.get("reason")
    checked_in = kind == "checked_in"
    detail = decision.get("detail")
    return {
        "event_id": decision.get("event_id"), "type": decision.get("event_type"), "at": decision.get("at"),
        "kind": kind, "decision": "allow" if decision.get("decision") == "allow" else "deny",
        "reason": None if reason in (None, "ok") else reason, "direction": decision.get("direction"),
        "via": decision.get("kind"), "name": decision.get("name"), "unit": decision.get("unit"),
        "holder": decision.get("role"), "phone_masked": decision.get("phone_masked"),
        "valid_until": decision.get("valid_until") if checked_in else None,
        # The check-in event is the host's notification: central forwards it to the host unit.
        "host_notified": checked_in and bool(decision.get("unit")),
        "badge_requested": checked_in and bool(decision.get("print_requested")),
        # The screen's print limit held the badge back: the visitor collects one at the desk.
        "badge_refused": checked_in and (decision.get("extra") or {}).get("badge") == "rate_limited",
        "post_role": decision.get("post_role"),
        "detail": detail[:DETAIL_MAX] if isinstance(detail, str) else None,
    }


def _checked_in(raw: dict[str, Any]) -> dict[str, Any]:
    p = VisitorCheckedIn.model_validate(raw)
    return {"decision": "allow", "reason": "ok", "kind": p.method, "name": p.visitor_name, "unit": p.host_unit,
            "phone_masked": p.phone_masked, "valid_until": p.valid_until.isoformat() if p.valid_until else None,
            "post_role": p.post_role, "direction": p.direction}


def _checked_out(raw: dict[str, Any]) -> dict[str, Any]:
    p = VisitorCheckedOut.model_validate(raw)
    return {"decision": "allow", "reason": "ok", "kind": p.method, "direction": "out", "name": p.visitor_name,
            "unit": p.host_unit, "post_role": p.post_role}


def _card(raw: dict[str, Any]) -> dict[str, Any]:
    from frontdesk.edge.access import mask_name

    p = CardScanned.model_validate(raw)
    return {"decision": p.decision, "reason": p.reason, "kind": "card", "unit": p.unit, "role": p.role,
            "name": mask_name(p.holder) if p.holder else None, "detail": p.detail, "post_role": p.post_role,
            "direction": p.direction}


def _rejected(raw: dict[str, Any]) -> dict[str, Any]:
    p = PassRejected.model_validate(raw)
    return {"decision": "deny", "reason": p.reason, "detail": p.detail, "post_role": p.post_role,
            "direction": p.direction, "kind": "pass" if p.pass_id or p.reason != "malformed" else "code"}


_READERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    VisitorCheckedIn.TYPE: _checked_in, VisitorCheckedOut.TYPE: _checked_out, CardScanned.TYPE: _card,
    PassRejected.TYPE: _rejected,
}
# The journaled events that are decisions a screen shows.
TYPES = tuple(_READERS)


def from_event(event: dict[str, Any]) -> dict[str, Any] | None:
    """A journaled decision event (wire form) as the decision the access service announced then.

    Only for history: the access service remembers its recent decisions in memory, so after a
    restart the gate's list of last scans is rebuilt from the journal. Card holders' names are
    masked with the access service's own rule, as its live decisions are. None for an event that
    is no decision, or one whose payload the schema refuses (logged; the rest are still shown).
    """
    kind = event.get("type") or ""
    reader = _READERS.get(kind)
    if reader is None:
        return None
    try:
        decision = reader(event.get("payload") or {})
    except ValidationError as err:
        log.warning("kiosk: journaled %s %s is not a decision the screens can show: %s", kind, event.get("id"), err)
        return None
    return {"at": event.get("occurred_at"), "event_id": event.get("id"), "event_type": kind, **decision}


__all__ = ["TYPES", "from_event", "to_item"]
