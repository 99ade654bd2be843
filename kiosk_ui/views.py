"""The access service's decisions as the screens show them ("items").

Live decisions come from the access service's observers (to_item); after a restart the last
scans are read back from the journal (from_event, then to_item). A decision (edge/access/
decision.py, already masked there: card holders' names, phone numbers) becomes the small flat
dict the pages render. Only what a screen may show leaves here: no
payload bytes, no full phone number, no checkout code (that is for the printed badge only).

    {"seq", "event_id", "type", "at", "kind": checked_in | checked_out | card | rejected,
     "decision": allow | deny, "reason": null | forged | expired | ..., "direction": in | out,
     "via": pass | walk_in | badge | manual | card | code, "name", "unit", "holder",
     "phone_masked", "valid_until", "host_notified", "badge_requested", "post_role", "detail"}
"""
from __future__ import annotations

from typing import Any

TYPES = ("visitor.checked_in", "visitor.checked_out", "card.scanned", "pass.rejected")

_KINDS = {"visitor.checked_in": "checked_in", "visitor.checked_out": "checked_out",
          "card.scanned": "card", "pass.rejected": "rejected"}
DETAIL_MAX = 160


def to_item(decision: dict[str, Any]) -> dict[str, Any]:
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
        "post_role": decision.get("post_role"),
        "detail": detail[:DETAIL_MAX] if isinstance(detail, str) else None,
    }


def from_event(event: dict[str, Any]) -> dict[str, Any] | None:
    """A journaled decision event (wire form) as the decision the access service announced then.

    Only for history: the access service remembers its recent decisions in memory, so after a
    restart the gate's list of last scans is rebuilt from the journal. Card holders' names are
    masked with the access service's own rule, as its live decisions are.
    """
    from frontdesk.edge.access import mask_name

    kind, p = event.get("type"), event.get("payload") or {}
    base = {"at": event.get("occurred_at"), "event_id": event.get("id"), "event_type": kind,
            "post_role": p.get("post_role"), "direction": p.get("direction")}
    if kind == "visitor.checked_in":
        return {**base, "decision": "allow", "reason": "ok", "kind": p.get("method"), "name": p.get("visitor_name"),
                "unit": p.get("host_unit"), "phone_masked": p.get("phone_masked"), "valid_until": p.get("valid_until")}
    if kind == "visitor.checked_out":
        return {**base, "decision": "allow", "reason": "ok", "kind": p.get("method"), "direction": "out",
                "name": p.get("visitor_name"), "unit": p.get("host_unit")}
    if kind == "card.scanned":
        return {**base, "decision": p.get("decision"), "reason": p.get("reason"), "kind": "card",
                "name": mask_name(p["holder"]) if p.get("holder") else None, "unit": p.get("unit"),
                "role": p.get("role"), "detail": p.get("detail")}
    if kind == "pass.rejected":
        return {**base, "decision": "deny", "reason": p.get("reason"), "detail": p.get("detail"),
                "kind": "pass" if p.get("pass_id") or p.get("reason") != "malformed" else "code"}
    return None


__all__ = ["TYPES", "from_event", "to_item"]
