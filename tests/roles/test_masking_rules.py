"""The one masking rule set (central/auth/masking.py): by field name at any depth, a ticket's own
number left alone, free text scrubbed or omitted, and every field of every event and command
payload and of every slip template classified, so a new personal field cannot slip through."""
from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from frontdesk.central.auth.masking import (
    NAME_FIELDS,
    PHONE_FIELDS,
    RECORD_FIELDS,
    TEXT_OMITTED,
    TEXT_SCRUBBED,
    is_personal,
    mask,
)
from frontdesk.schema.envelope import command_types, event_types

from .roles_helpers import NAME, PHONE

TEMPLATES = Path(__file__).resolve().parents[2] / "edge" / "printing" / "templates"

# Fields of payloads and slips that hold no resident's name, number or words, and why it is safe
# to show them to every role that may read the record at all.
NOT_PERSONAL = {
    # ids, kinds, states, counters, times, devices, printers, models, codes of the system
    "after_hours", "appointment_at", "attachment_id", "attempt", "attempts", "audio_s", "authentic", "blocked",
    "broker_reachable", "bytes", "cadence", "call_id", "caller_id_received", "category", "category_basis", "codec",
    "command_id", "command_type", "complaint_class", "complaint_valid", "confidence", "data", "days", "decision",
    "device", "direction", "dtmf_choice", "due_at", "duration_s", "elapsed_ms", "entries", "family", "fields",
    "format", "job_id", "key_id", "keys", "kind", "known_visit", "language", "major", "maybe_printed", "menu_choice",
    "method", "model", "ms_from_ring", "number_absent_reason", "outbox_backlog", "outcome", "parent_id", "pass_id",
    "pass_ids", "payload_bytes", "post_role", "printer", "quota", "reached", "reader", "registered_by", "reprint_of",
    "request_id", "restarts", "result", "retired", "ring", "rings", "role", "sample_every", "sample_rate",
    "satisfied", "sha256", "single_use", "site", "source", "source_ref", "state", "status", "stay_s", "stop_reason",
    "subject", "suppressed", "thread", "ticket_id", "timer", "to_state", "until", "valid_until", "values", "version",
    "visit_id", "waiting_jobs", "window_s", "warnings", "error", "recovery", "will_retry",
    # a screen's rate limit (kiosk.rate_limited) and a retention run's counts (privacy.retention_applied)
    "action", "burst", "per_s", "refused", "retry_after_s", "counts",
    # staff, not residents: who did it (usernames), who handed the shift over
    "assignee", "author", "by", "handed_by", "taken_by",
    # the unit: every role needs it to do its job (the guard the host unit, the technician the door)
    "unit", "host_unit", "building", "host_building",
    # already masked by the edge (the visitor register keeps the full number in `phone`)
    "phone_masked",
    # codes a slip or a card carries to be scanned: they open a claim, a pickup or a check-out, not a person
    "checkout_code", "claim_code", "pickup_code", "tracking_no", "card_id", "raw",
    # where a recording lies on the edge (named by call id)
    "path", "recording",
    # the keywords that filed a call under a category (repair words, not the caller's)
    "matched_words",
    # slip layout fields
    "property", "shift", "printed_at", "open_tickets", "ticket_no", "unclaimed_mail", "item_type",
    "after_hours_calls", "time", "arrived_at", "carrier", "created_at", "appointment", "sla_deadline",
}
CLASSIFIED = PHONE_FIELDS | NAME_FIELDS | TEXT_OMITTED | TEXT_SCRUBBED


def _fields(model: type[BaseModel]) -> set[str]:
    found = set()
    for name, info in model.model_fields.items():
        found.add(name)
        for arg in (info.annotation, *typing.get_args(info.annotation)):
            for inner in (arg, *typing.get_args(arg)):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    found |= _fields(inner)
    return found


def test_every_payload_field_of_every_event_and_command_is_classified():
    fields = set()
    for model in (*event_types().values(), *command_types().values()):
        fields |= _fields(model)
    unclassified = fields - CLASSIFIED - NOT_PERSONAL
    assert not unclassified, f"classify these payload fields in central/auth/masking.py or here: {unclassified}"
    assert {"number", "name", "holder", "numbers", "text", "payload_hex"} <= fields & CLASSIFIED


def test_every_slip_template_field_is_classified():
    placeholders = set()
    for template in TEMPLATES.glob("*.slip"):
        text = template.read_text(encoding="utf-8")
        placeholders |= set(re.findall(r"\{([a-z_]+)", text))
        for line in re.findall(r"^@(?:each|if|require) (.+)$", text, re.M):
            placeholders |= set(line.split())
    assert {"caller_name", "caller_phone", "addressee", "display_name", "caller", "content"} <= placeholders
    unclassified = placeholders - CLASSIFIED - NOT_PERSONAL
    assert not unclassified, f"classify these slip fields in central/auth/masking.py or here: {unclassified}"


def test_masking_walks_dicts_and_lists_at_any_depth():
    command = {"type": "directory.replace", "payload": {"entries": [{"number": PHONE, "unit": "6-1201", "name": NAME}]},
               "result": {"changed": [[{"holder": NAME}]]}, "numbers": [PHONE, "+86 139 8765 4321"]}
    masked = mask(command)
    assert masked["payload"]["entries"][0] == {"number": "139****4321", "unit": "6-1201", "name": "欧***"}
    assert masked["result"]["changed"][0][0] == {"holder": "欧***"}
    assert masked["numbers"] == ["139****4321", "+86 139 **** 4321"]
    assert command["payload"]["entries"][0]["number"] == PHONE, "the original is not changed"
    assert is_personal(command) and not is_personal({"payload": {"entries": [{"unit": "6-1201"}]}})


def test_a_tickets_number_is_its_own_and_a_callers_number_is_a_phone():
    ticket = {"number": "BX-20261129-007", "contact_phone": PHONE, "timers": [{"name": "claim"}], "holder": "wang"}
    assert mask(ticket, "ticket") == {"number": "BX-20261129-007", "contact_phone": "139****4321",
                                      "timers": [{"name": "claim"}], "holder": "wang"}
    assert mask({"number": PHONE})["number"] == "139****4321"   # a call, a directory entry
    assert mask({"holder": NAME})["holder"] == "欧***"          # a card's holder
    assert set(RECORD_FIELDS["ticket"]) == {"number", "holder", "name"}


def test_free_text_is_scrubbed_or_omitted_by_field():
    row = {"contact_name": NAME,
           "details": f"{NAME}来电，电话 139-8765-4321，约 2026-11-29 14:00，工单 BX-20261129-007",
           "transcript": f"我是{NAME}", "payload_hex": "e6ac",
           "note": "call +86 (139) 8765 4321", "title": "漏水 3-201"}
    masked = mask(row)
    assert masked["details"] == "欧***来电，电话 139-****-4321，约 2026-11-29 14:00，工单 BX-20261129-007"
    assert masked["transcript"] is None and masked["payload_hex"] is None
    assert PHONE[-4:] in masked["note"] and "8765" not in masked["note"]
    assert masked["title"] == "漏水 3-201"
    # a name that only the text knows is recognised when the caller names it (known=)
    assert mask({"title": f"{NAME}家漏水"})["title"] == f"{NAME}家漏水"
    assert mask({"title": f"{NAME}家漏水"}, known=[NAME])["title"] == "欧***家漏水"
    assert not is_personal({"title": "漏水 3-201", "unit": "3-201"})
    assert is_personal({"title": f"回电 {PHONE}"})
