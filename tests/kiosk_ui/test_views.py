"""Journaled decisions read back for the screens through the typed schema (after a restart)."""
from __future__ import annotations

from frontdesk.kiosk_ui.views import TYPES, from_event, to_item
from frontdesk.schema.access import CardScanned, PassRejected, VisitorCheckedIn, VisitorCheckedOut


def event(type_: str, payload: dict) -> dict:
    return {"id": "e1", "type": type_, "occurred_at": "2026-11-23T05:36:30Z", "payload": payload}


def test_the_four_decision_types_and_nothing_else():
    assert set(TYPES) == {VisitorCheckedIn.TYPE, VisitorCheckedOut.TYPE, CardScanned.TYPE, PassRejected.TYPE}
    assert from_event(event("call.ringing", {"call_id": "x"})) is None


def test_card_holder_masked_and_fields_read_from_the_model():
    card = {"raw": "1234", "reader": "r", "decision": "deny", "reason": "unknown_card", "direction": "in",
            "post_role": "gate", "holder": "王小明", "unit": "3-1502", "role": "resident"}
    item = to_item(from_event(event(CardScanned.TYPE, card)))
    assert (item["kind"], item["decision"], item["reason"], item["name"], item["unit"], item["holder"]) == \
        ("card", "deny", "unknown_card", "王*明", "3-1502", "resident")
    out = {"visit_id": "v1", "method": "badge", "post_role": "kiosk", "visitor_name": "李四", "host_unit": "5-0802"}
    item = to_item(from_event(event(VisitorCheckedOut.TYPE, out)))
    assert (item["kind"], item["direction"], item["via"], item["name"]) == ("checked_out", "out", "badge", "李四")


def test_a_payload_the_schema_refuses_is_left_out_not_fatal(caplog):
    assert from_event(event(VisitorCheckedIn.TYPE, {"visit_id": "v1", "method": "teleport"})) is None
    assert "not a decision the screens can show" in caplog.text
    rejected = {"reason": "malformed", "detail": "x", "source": "cam", "payload_hex": "00", "payload_bytes": 1,
                "direction": "in", "post_role": "kiosk"}
    assert to_item(from_event(event(PassRejected.TYPE, rejected)))["via"] == "code"
