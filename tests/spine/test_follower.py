"""Following the journal: durable cursors, type filter, independence, failures, other processes."""
from __future__ import annotations

import subprocess
import sys
import threading

from frontdesk.edge.journal import Journal
from frontdesk.schema import Event
from frontdesk.schema.system import DeskNote, EdgeStopped

from ..waiting import wait_for


def journal(tmp_path) -> Journal:
    return Journal(tmp_path / "journal.db", site="s1", device="d1", tz="Asia/Shanghai")


def notes(j: Journal, *texts: str) -> None:
    j.record_many([DeskNote(text=t) for t in texts])


def collect(j: Journal, name: str, **kw) -> tuple[list[str], object]:
    seen: list[str] = []

    def on_note(event: Event, note: DeskNote) -> None:
        assert isinstance(note, DeskNote) and event.type == DeskNote.TYPE  # typed, not a dict
        seen.append(note.text)

    return seen, j.follow(name, **kw).on(DeskNote, on_note)



def test_cursor_survives_closing_and_reopening_the_journal(tmp_path):
    j = journal(tmp_path)
    notes(j, "a", "b")
    seen, f = collect(j, "desk")
    assert f.catch_up() == 2 and seen == ["a", "b"]
    j.close()

    j = journal(tmp_path)
    notes(j, "c")
    seen, f = collect(j, "desk")
    assert f.position == 2  # stored on disk, not in the object
    f.catch_up()
    assert seen == ["c"]  # nothing handed twice after a clean restart, nothing skipped


def test_type_filter_hands_only_the_registered_types_and_moves_over_the_rest(tmp_path):
    j = journal(tmp_path)
    j.record_many([DeskNote(text="a"), EdgeStopped(reason="x"), DeskNote(text="b"), EdgeStopped(reason="y")])
    seen, f = collect(j, "notes")
    f.catch_up()
    assert seen == ["a", "b"] and f.position == 4


def test_two_followers_are_independent(tmp_path):
    j = journal(tmp_path)
    notes(j, "a", "b")
    first, f1 = collect(j, "one")
    f1.catch_up()
    notes(j, "c")
    second, f2 = collect(j, "two")
    f2.catch_up()
    f1.catch_up()
    assert first == ["a", "b", "c"] and second == ["a", "b", "c"]
    assert j.cursor("one") == j.cursor("two") == 3


def test_start_from_now_skips_what_was_there_and_remembers_where_now_was(tmp_path):
    j = journal(tmp_path)
    notes(j, "old")
    seen, f = collect(j, "fresh", start="now")
    f.catch_up()
    assert seen == []
    j.close()
    j = journal(tmp_path)
    notes(j, "new")  # recorded before the follower is made again: still after its "now"
    seen, f = collect(j, "fresh", start="now")
    f.catch_up()
    assert seen == ["new"]


def test_a_handler_failure_on_one_event_does_not_stop_the_next(tmp_path, caplog):
    j = journal(tmp_path)
    notes(j, "ok 1", "poison", "ok 2")
    seen: list[str] = []

    def on_note(event: Event, note: DeskNote) -> None:
        if note.text == "poison":
            raise RuntimeError("cannot handle this one")
        seen.append(note.text)

    f = j.follow("picky").on(DeskNote, on_note)
    f.catch_up()
    assert seen == ["ok 1", "ok 2"] and f.failures == 1 and f.position == 3
    assert "poison" not in caplog.text and "cannot handle this one" in caplog.text  # logged, with the reason
    assert any("desk.note" in r.getMessage() and "skipped" in r.getMessage() for r in caplog.records)


def test_the_cursor_moves_only_after_the_handlers_ran(tmp_path):
    """A crash inside a batch hands the batch again: at least once."""
    j = journal(tmp_path)
    notes(j, "a", "b")
    seen: list[str] = []

    class Crash(BaseException):  # not an Exception: what a kill looks like to the follower
        pass

    def on_note(event: Event, note: DeskNote) -> None:
        seen.append(note.text)
        if note.text == "b" and seen.count("b") == 1:
            raise Crash

    f = j.follow("crashy").on(DeskNote, on_note)
    try:
        f.catch_up()
    except Crash:
        pass
    assert j.cursor("crashy") == 0
    j.follow("crashy").on(DeskNote, on_note).catch_up()
    assert seen == ["a", "b", "a", "b"]


def test_a_background_follower_wakes_on_appends_in_this_process(tmp_path):
    j = journal(tmp_path)
    seen, f = collect(j, "live", poll_s=30)  # polling alone would take 30 s
    f.start()
    try:
        notes(j, "now")
        assert wait_for(lambda: seen == ["now"], 2)
    finally:
        f.stop()


def test_events_appended_by_another_process_are_seen(tmp_path):
    j = journal(tmp_path)
    seen, f = collect(j, "poller", poll_s=0.05)
    stopping = threading.Event()
    f.start(stopping)
    try:
        code = ("import sys; from frontdesk.edge.journal import Journal\n"
                "from frontdesk.schema.system import DeskNote\n"
                "j = Journal(sys.argv[1], site='s1', device='d1')\n"
                "j.record(DeskNote(text='from afar'))\n")
        subprocess.run([sys.executable, "-c", code, str(j.path)], check=True, timeout=60)
        assert wait_for(lambda: seen == ["from afar"], 5)
    finally:
        stopping.set()
        f.stop()


def test_latest_reads_recent_history_of_some_types(tmp_path):
    j = journal(tmp_path)
    notes(j, "a", "b", "c")
    j.record(EdgeStopped(reason="x"))
    assert [e.payload_as(DeskNote).text for e in j.latest([DeskNote], within=3)] == ["b", "c"]
