"""The event and command contract: what edge and central both accept and refuse."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk import topics
from frontdesk.ids import is_uuid7, new_id
from frontdesk.schema import (
    MAX_BATCH_BYTES,
    SchemaError,
    decode_batch,
    encode_batch,
    make_command,
    make_event,
    parse_command_payload,
    parse_event_payload,
    validate_command,
    validate_event,
)
from frontdesk.schema.call import CallRinging
from frontdesk.schema.system import DeskNote, SettingsUpdate


def note(seq=1, **kw):
    return make_event(DeskNote(text="3-201 厨房漏水", unit="3-201"), site="s1", device="d1", seq=seq,
                      tz="Asia/Shanghai", **kw)


def test_ids_are_uuid7_and_sort_by_time():
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    assert is_uuid7(first) and is_uuid7(second) and first < second
    assert not is_uuid7("0b4e8b52-2d4e-4c8e-9a39-3e8c3c1f5e9b")  # a v4
    assert not is_uuid7("not-a-uuid")


def test_event_round_trips_through_the_wire():
    event = note()
    again = validate_event(event.to_wire())
    assert again == event
    assert again.occurred_at.tzinfo is not None and again.occurred_at.utcoffset() == timedelta(0)
    assert decode_batch(encode_batch([event.to_wire()])) == [event.to_wire()]


def test_local_times_are_stored_as_utc():
    shanghai = timezone(timedelta(hours=8))
    event = note(occurred_at=datetime(2026, 3, 21, 14, 5, tzinfo=shanghai))
    assert event.occurred_at == datetime(2026, 3, 21, 6, 5, tzinfo=UTC)


@pytest.mark.parametrize("change, message", [
    ({"schema_version": 2}, "schema version 2 is not supported"),
    ({"type": "no.such_type"}, "unknown event type"),
    ({"type": "Bad Type"}, "type"),
    ({"id": "0b4e8b52-2d4e-4c8e-9a39-3e8c3c1f5e9b"}, "UUIDv7"),
    ({"site": "a/b"}, "site"),
    ({"device": "+"}, "device"),
    ({"seq": 0}, "seq"),
    ({"tz": "Mars/Olympus"}, "unknown time zone"),
    ({"occurred_at": "2026-03-21T14:05:00"}, "UTC offset"),
    ({"payload": {"text": ""}}, "payload"),
    ({"payload": {"text": "x", "colour": "red"}}, "colour"),
    ({"extra": 1}, "extra"),
])
def test_bad_events_are_refused_with_the_reason(change, message):
    wire = note().to_wire()
    wire.update(change)
    with pytest.raises(SchemaError, match=message):
        validate_event(wire)


def test_missing_fields_and_non_objects():
    wire = note().to_wire()
    del wire["occurred_at"]
    with pytest.raises(SchemaError, match="occurred_at"):
        validate_event(wire)
    for thing in ([], "x", 3, None):
        with pytest.raises(SchemaError, match="JSON object"):
            validate_event(thing)


def test_oversized_event_refused_at_the_edge():
    with pytest.raises(SchemaError, match="payload|larger"):
        make_event(parse_event_payload("desk.note", {"text": "字" * 40000}), site="s1", device="d1", seq=1, tz="UTC")


def test_batches():
    with pytest.raises(SchemaError, match="exceeds"):
        decode_batch(b" " * (MAX_BATCH_BYTES + 1))
    for bad in (b"\xff", b"[]", b'{"v": 2, "items": []}', b'{"v": 1}'):
        with pytest.raises(SchemaError):
            decode_batch(bad)


def test_commands():
    cmd = make_command(parse_command_payload("settings.update", {"values": {"a": 1}}), site="s1", device="d1")
    assert validate_command(cmd.to_wire()) == cmd
    with pytest.raises(SchemaError, match="unknown command type"):
        make_command(parse_command_payload("print.nothing", {}), site="s1", device="d1")
    with pytest.raises(SchemaError, match="values"):
        make_command(parse_command_payload("settings.update", {"values": {}}), site="s1", device="d1")


def test_topics():
    assert topics.topic("s1", "d1", "events") == "frontdesk/v1/s1/d1/events"
    assert topics.parse("frontdesk/v1/s1/d1/acks") == ("s1", "d1", "acks")
    for bad in ("frontdesk/v1/s1/d1", "frontdesk/v2/s1/d1/events", "frontdesk/v1/s1/d1/other", "x"):
        assert topics.parse(bad) is None
    with pytest.raises(ValueError):
        topics.topic("s/1", "d1", "events")


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=20))
def test_validation_never_crashes_on_any_json(value):
    try:
        validate_event(value)
    except SchemaError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_batch_decoding_never_crashes_on_any_bytes(data):
    try:
        decode_batch(data)
    except SchemaError:
        pass


def test_payload_classes_carry_their_type_name():
    event = make_event(DeskNote(text="3-201 厨房漏水", unit="3-201"), site="s1", device="d1", seq=1, tz="UTC")
    assert DeskNote.TYPE == event.type == "desk.note"
    note_ = event.payload_as(DeskNote)
    assert note_.unit == "3-201"
    assert event.typed_payload() == note_
    # Reading a payload as the wrong model is an error at that line, not a silent None.
    with pytest.raises(SchemaError, match="does not carry a CallRinging"):
        event.payload_as(CallRinging)
    command = make_command(SettingsUpdate(values={"a": 1}), site="s1", device="d1")
    assert command.type == SettingsUpdate.TYPE and command.payload_as(SettingsUpdate).values == {"a": 1}


def test_only_registered_payloads_make_events():
    from frontdesk.schema.envelope import Payload

    class Stray(Payload):
        text: str

    with pytest.raises(SchemaError, match="not a registered event payload"):
        make_event(Stray(text="x"), site="s1", device="d1", seq=1, tz="UTC")
    with pytest.raises(SchemaError, match="not a registered command payload"):
        make_command(DeskNote(text="x"), site="s1", device="d1")


@pytest.mark.parametrize("value", ["7", True, 1.5, 1.0])
def test_seq_and_version_are_whole_numbers_on_the_wire(value):
    # Lax parsing would turn "7" or true into a seq the edge never sent.
    wire = note().to_wire()
    for field in ("seq", "schema_version"):
        with pytest.raises(SchemaError, match=field):
            validate_event({**wire, field: value})
