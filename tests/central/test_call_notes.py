"""Transcripts, dictated notes and transcription failures land on the call's register line."""
from __future__ import annotations

from frontdesk.central.store import Store
from frontdesk.central.tickets.registers import CALL_COLUMNS
from frontdesk.central.tickets.tables import calls
from frontdesk.schema import encode_batch, make_event, parse_event_payload


def _ingest(store: Store, device: str, items: list[tuple[str, dict]]) -> None:
    events = [make_event(parse_event_payload(t, p), site="s1", device=device, seq=i + 1, tz="Asia/Shanghai").to_wire()
              for i, (t, p) in enumerate(items)]
    store.ingest([(f"frontdesk/v1/s1/{device}/events", encode_batch(events))])


def _line(store: Store, call_id: str) -> dict:
    with store.engine.connect() as conn:
        return dict(conn.execute(calls.select().where(calls.c.call_id == call_id)).mappings().one())


def test_call_record_carries_transcript_failure_then_text_and_notes(database_url):
    from frontdesk.central.tickets.system import TicketSystem

    store = Store(database_url)
    TicketSystem(store).install()
    failed = {"job_id": "j1", "kind": "call", "call_id": "c1", "recording": "/r/c1.wav",
              "reason": "model_unavailable", "detail": "no model at /m/zh", "attempt": 1, "will_retry": True}
    common = {"outcome": "text", "confidence": 0.9, "model": "m", "language": "zh", "audio_s": 3.0}
    note = {**common, "job_id": "j2", "text": "住户说下午在家", "call_id": "c1", "author": "desk"}
    # out of order on purpose: the failure and a dictated note come before the ring
    _ingest(store, "desk-1", [("transcript.failed", failed), ("note.transcribed", note)])
    line = _line(store, "c1")
    assert line["transcript"] is None and line["transcript_error"].startswith("model_unavailable: no model")
    assert line["notes"] == "住户说下午在家"
    _ingest(store, "desk-2", [
        ("call.ringing", {"call_id": "c1", "ring": 1, "number": "+8613812345678", "cadence": "cn",
                          "caller_id_received": True}),
        ("call.transcribed", {**common, "job_id": "j3", "text": "卫生间 漏水", "call_id": "c1",
                              "category": "repair", "matched_words": ["漏水"], "category_basis": "keywords"}),
        ("note.transcribed", {**note, "job_id": "j4", "text": "已派王师傅"}),
    ])
    line = _line(store, "c1")
    assert line["transcript"] == "卫生间 漏水" and line["transcript_error"] is None
    assert line["notes"] == "住户说下午在家\n已派王师傅"
    assert {"transcript", "transcript_error", "notes"} <= set(CALL_COLUMNS)
