"""Each store's erasure, and the matching rules every store shares (edge/privacy/match.py)."""
from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk.edge.phone.directory import BLOCKLIST_KEY, DIRECTORY_KEY
from frontdesk.edge.privacy.match import ERASED, Match
from frontdesk.edge.transcribe.jobqueue import JobQueue
from frontdesk.schema import Event
from frontdesk.schema.privacy import Subject
from frontdesk.schema.system import DeskNote

from .helpers import VISITOR, WANG, ZHANG, events, make_service


def _rows(desk, sql: str, *args) -> list[tuple]:
    db = sqlite3.connect(desk.journal.path)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def test_journal_events_are_redacted_in_place_and_still_valid(desk):
    before = events(desk.journal)
    outbox_before = [p.event_id for p in desk.journal.pending(0, 10**6)]
    result = make_service(desk.journal, desk.data_dir).erase_now(Subject(phone="138-0013-8000"))
    after = events(desk.journal)
    # The rows stay: same ids, same seq, same order, still waiting in the outbox.
    assert [(e["id"], e["seq"], e["type"]) for e in after] == [(e["id"], e["seq"], e["type"]) for e in before]
    assert [p.event_id for p in desk.journal.pending(0, 10**6)] == outbox_before
    changed = [a for a, b in zip(after, before, strict=True) if a != b]
    assert result["journal_events"] == len(changed) >= 5
    for event in after:  # what the uplink will send still validates as its type (central accepts it)
        Event.model_validate(event).typed_payload()
    text = json.dumps(after, ensure_ascii=False)
    assert ZHANG.phone not in text and "138 0013 8000" not in text and "138-0013-8000" not in text
    assert WANG.phone in text and WANG.name in text  # the other resident's calls are untouched
    zhang_call = desk.filled.calls[ZHANG.name]
    for event in after:
        p = event["payload"]
        if p.get("call_id") == zhang_call and event["type"] != "call.transcribed":
            assert p["number"] == p["number_raw"] == p["name"] == p["resident_name"] == ERASED
            assert p["unit"] == ZHANG.unit  # the unit is kept: it is the building's, not the caller's
        if event["type"] == "call.transcribed" and p["call_id"] == zhang_call:
            assert p["text"] == ERASED
    assert result["transcripts"] == 1


def test_directory_and_blocklist_lose_the_number_however_it_was_typed(desk):
    result = make_service(desk.journal, desk.data_dir).erase_now(Subject(phone="+86 (138) 0013 8000"))
    assert result["directory"] == 1 and result["blocklist"] == 1
    directory = desk.journal.setting(DIRECTORY_KEY)
    assert list(directory) == ["+86" + WANG.phone]
    assert desk.journal.setting(BLOCKLIST_KEY) == ["95588"]


def test_a_name_is_erased_only_with_its_unit(desk):
    service = make_service(desk.journal, desk.data_dir)
    nobody = service.erase_now(Subject(name=ZHANG.name, unit="9-909"))  # the same name in another unit
    assert {k: v for k, v in nobody.items() if k != "request_id"} == dict.fromkeys(service.keys(), 0)
    assert ZHANG.name in json.dumps(events(desk.journal), ensure_ascii=False)

    result = service.erase_now(Subject(name=ZHANG.name, unit=" 3-201 "))
    # The directory line gives the number, the number gives the calls, the allow-list the card.
    assert result["directory"] == 1 and result["cards"] == 1 and result["recordings"] == 1
    assert result["print_jobs"] == 1 and result["transcribe_jobs"] == 1
    note = events(desk.journal, "desk.note")[0]["payload"]["text"]
    assert ZHANG.name not in note and "138-0013-8000" not in note and WANG.name in note
    scan = events(desk.journal, "card.scanned")[0]["payload"]
    assert scan["holder"] == scan["card_id"] == scan["raw"] == ERASED
    assert _rows(desk, "SELECT holder FROM access_cards") == [(WANG.name,)]


def test_print_jobs_naming_the_person_are_deleted(desk):
    result = make_service(desk.journal, desk.data_dir).erase_now(Subject(phone=ZHANG.phone))
    assert result["print_jobs"] == 1
    assert _rows(desk, "SELECT job_id FROM print_jobs") == [(desk.filled.print_jobs[WANG.name],)]


def test_a_visit_is_erased_by_the_visitors_number_or_its_id(desk):
    service = make_service(desk.journal, desk.data_dir)
    result = service.erase_now(Subject(phone=VISITOR.phone))
    assert result["visits"] == 1 and result["cards"] == 0
    assert _rows(desk, "SELECT COUNT(*) FROM access_visits") == [(0,)]
    visit = events(desk.journal, "visitor.checked_in")[0]["payload"]
    assert visit["visitor_name"] == visit["phone"] == visit["phone_masked"] == ERASED
    assert visit["visit_id"] == desk.filled.visit_id  # ids stay: central erases its copy by them
    badge = events(desk.journal, "print.requested")[0]["payload"]["data"]
    assert badge["display_name"] == ERASED  # linked through the visit id
    again = service.erase_now(Subject(visit_id=desk.filled.visit_id))
    assert again["visits"] == 0 and again["journal_events"] == 0  # nothing left to do


def test_a_card_is_erased_from_the_allow_list_and_the_scans(desk):
    result = make_service(desk.journal, desk.data_dir).erase_now(Subject(card_id=ZHANG.card.lower()))
    assert result["cards"] == 1 and result["journal_events"] >= 1
    assert events(desk.journal, "card.scanned")[0]["payload"]["holder"] == ERASED
    assert _rows(desk, "SELECT card_id FROM access_cards") == [(WANG.card,)]


def test_recordings_and_transcription_jobs_of_the_persons_calls_go(desk):
    result = make_service(desk.journal, desk.data_dir).erase_now(Subject(phone=ZHANG.phone))
    assert result["recordings"] == 1 and result["transcribe_jobs"] == 1
    assert not desk.filled.recordings[ZHANG.name].exists()
    assert desk.filled.recordings[WANG.name].exists()
    queue = JobQueue(desk.data_dir / "transcribe.db")
    assert queue.get(desk.filled.messages[ZHANG.name]) is None
    assert queue.get(desk.filled.messages[WANG.name]) is not None
    queue.close()


def test_a_recording_that_cannot_be_deleted_is_reported_not_a_crash(desk, monkeypatch):
    path = desk.filled.recordings[ZHANG.name]
    folder = path.parent
    if os.geteuid() != 0:
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)  # no write: the file cannot be unlinked
    else:  # root ignores permissions: refuse the way the kernel would
        real = Path.unlink

        def unlink(self, missing_ok=False):
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self, missing_ok=missing_ok)
        monkeypatch.setattr(Path, "unlink", unlink)
    try:
        result = make_service(desk.journal, desk.data_dir).erase_now(Subject(phone=ZHANG.phone))
    finally:
        folder.chmod(0o755)
    assert result["recordings"] == 0 and result["recordings_not_deleted"] == 1
    assert result["errors"] == [f"recordings/{folder.name}/{path.name}: Permission denied"]
    assert result["journal_events"] >= 5 and result["directory"] == 1  # the rest was done
    assert path.exists()


def test_a_subject_matching_nothing_answers_zero_counts(desk):
    service = make_service(desk.journal, desk.data_dir)
    before = events(desk.journal)
    for subject in (Subject(phone="13512345678"), Subject(card_id="uid:FFFFFFFF"), Subject(visit_id="no-such"),
                    Subject(name="无名", unit="3-201")):
        result = service.erase_now(subject)
        assert result == dict.fromkeys(service.keys(), 0), subject
    assert events(desk.journal) == before


def test_a_short_number_never_erases_longer_numbers_that_contain_it(desk):
    desk.journal.record(DeskNote(
        text="报警电话 110，住户 13811000000、138 110 00000", unit="1-101"))
    result = make_service(desk.journal, desk.data_dir).erase_now(Subject(phone="110"))
    note = events(desk.journal, "desk.note")[-1]["payload"]["text"]
    assert note == f"报警电话 {ERASED}，住户 13811000000、138 110 00000"
    assert result["journal_events"] == 1 and result["directory"] == 0
    assert ZHANG.phone in json.dumps(desk.journal.setting(DIRECTORY_KEY))


@pytest.mark.parametrize("name", ["O'Brien", 'say "hi"', "50%_off", "a%", "_", "x' OR '1'='1", "Li"])
def test_names_with_quotes_and_sql_wildcards_match_only_themselves(tmp_path, name):
    match = Match.of(Subject(name=name, unit="2-1"))
    theirs = {"unit": "2-1", "name": name, "note": f"{name} came"}
    # Near misses: what a LIKE pattern or a quote-stripping query would have confused with the name.
    near = {name[:-1] + ("?" if name[-1] != "?" else "!"), name.replace("%", "x").replace("_", "y"),
            name.replace("'", "").replace('"', ""), "Lix"} - {name}
    others = [*({"unit": "2-1", "name": n, "note": "x"} for n in sorted(near)),
              {"unit": "2-1", "text": "Lift 100% ok, name_with_underscore, O'Briens, sayings"},
              {"unit": "2-10", "name": name, "note": name}]
    redacted = match.redact({"lines": [theirs, *others]})["lines"]
    assert redacted[0] == {"unit": "2-1", "name": ERASED, "note": ERASED}  # theirs: personal fields go
    assert redacted[1:] == others  # no wildcard, no partial word, not another unit


def test_phone_forms_compare_by_digits():
    match = Match.of(Subject(phone="13800138000"))
    for same in ("+8613800138000", "0086 138 0013 8000", "138-0013-8000", "（138）0013-8000", "１３８００１３８０００",
                 "138****8000"):
        assert match.is_phone(same), same
    for other in ("1380013800", "13800138001", "call 13800138000", "a13800138000", "138****8001"):
        assert not match.is_phone(other), other
    assert match.scrub("id 01a13800138000ff, tel 138 0013 8000.", False) == f"id 01a13800138000ff, tel {ERASED}."


_pieces = st.sampled_from([
    "13800138000", "+86 138-0013-8000", "１３８００１３８０００", "138****8000", "(010) 6552 1234", "65521234", "张三",
    "ZHANG", "3-201", "3-202", "uid:04A1B2C3", "04a1b2c3", "\"", "\\", "x", " ", "-", "电话", "0", "8000", "1380"])
_texts = st.lists(_pieces, max_size=6).map("".join)
_records = st.recursive(_texts, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["unit", "host_unit", "name", "text", "number", "card_id", "call_id", "note"]), inner,
    max_size=4), max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(record=_records, subject=st.sampled_from([
    Subject(phone="13800138000"), Subject(phone="010 6552 1234"), Subject(name="张三", unit="3-201"),
    Subject(name="zhang", unit="3-201"), Subject(card_id="uid:04A1B2C3"), Subject(phone="1380")]))
def test_the_quick_look_never_skips_what_the_walk_would_change(record, subject):
    match = Match.of(subject, "cn", "010")
    if match.redact(record) != record:
        assert match.may_touch(json.dumps(record, ensure_ascii=False)), record


def test_a_card_whose_holder_field_holds_the_name_with_more_is_still_theirs():
    """Card lists write holders as "张堃 Zhang": the name as a word of the field, in the unit."""
    from frontdesk.edge.privacy.match import Match
    from frontdesk.schema.privacy import Subject

    m = Match.of(Subject(name="张堃", unit="3-1202"))
    assert m.names("张堃 Zhang") and m.names("张堃")
    assert not m.names("王师傅 Wang (engineering)") and not m.names(None)
    latin = Match.of(Subject(name="Li", unit="3-1202"))
    assert latin.names("Li Wei") and not latin.names("Lift engineer")
