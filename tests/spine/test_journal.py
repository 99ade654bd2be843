"""The edge journal: on disk before anything acts, removed only by central's ack."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from frontdesk.edge.journal import Journal, JournalFullError, SchemaError
from frontdesk.schema import make_command, parse_command_payload


def journal(tmp_path, **kw):
    return Journal(tmp_path / "j" / "journal.db", site="s1", device="d1", tz="Asia/Shanghai", **kw)


def test_durability_settings(tmp_path):
    j = journal(tmp_path)
    db = sqlite3.connect(j.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert j._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_outbox_rows_leave_only_when_acknowledged(tmp_path):
    j = journal(tmp_path)
    events = [j.record("desk.note", {"text": f"n{i}"}) for i in range(5)]
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [p.event_id for p in j.pending(0, 10)] == [e.id for e in events]
    assert j.acknowledge([events[1].id, events[3].id, "not-ours"]) == 2
    assert [p.seq for p in j.pending(0, 10)] == [1, 3, 5]
    assert [p.seq for p in j.pending(3, 10)] == [5]


def test_invalid_events_are_not_recorded(tmp_path):
    j = journal(tmp_path)
    with pytest.raises(SchemaError):
        j.record("desk.note", {"text": ""})
    with pytest.raises(SchemaError):
        j.record_many([("desk.note", {"text": "ok"}, None), ("desk.note", {"nope": 1}, None)])
    assert j.last_seq() == 0 and j.backlog() == 0  # all or nothing


def test_disk_full_is_a_clear_error_and_stores_nothing_half(tmp_path):
    j = journal(tmp_path, max_pages=40)
    stored = []
    with pytest.raises(JournalFullError, match="disk full, event NOT recorded"):
        for i in range(10_000):
            stored.append(j.record("desk.note", {"text": "x" * 2000}).id)
    assert j.backlog() == len(stored)  # everything acknowledged to the caller is there
    assert [p.event_id for p in j.pending(0, 100_000)] == stored
    j.acknowledge(stored[:5])  # space can be freed and the journal goes on


def test_gap_free_seq_with_writers_in_several_processes(tmp_path):
    j = journal(tmp_path)
    code = ("import sys; from frontdesk.edge.journal import Journal\n"
            "j = Journal(sys.argv[1], site='s1', device='d1')\n"
            "for i in range(200): j.record('desk.note', {'text': 'p%s' % i})\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(j.path)]) for _ in range(3)]
    for i in range(200):
        j.record("desk.note", {"text": f"main {i}"})
    assert all(p.wait(60) == 0 for p in procs)
    seqs = [e["seq"] for e in j.events(0, 10_000)]
    assert seqs == list(range(1, 801))


def test_commands_apply_once_and_failures_roll_back(tmp_path):
    j = journal(tmp_path)
    calls = []

    def handler(db, payload):
        calls.append(payload)
        db.execute("CREATE TABLE IF NOT EXISTS t(x)")
        db.execute("INSERT INTO t VALUES (1)")
        return {"ok": True}

    cmd = make_command(parse_command_payload("edge.ping", {}), site="s1", device="d1")
    first = j.apply_command(cmd, handler)
    assert first.payload["status"] == "applied" and first.payload["result"] == {"ok": True}
    assert j.apply_command(cmd, handler) is None and len(calls) == 1

    def broken(db, payload):
        db.execute("INSERT INTO t VALUES (2)")
        raise ValueError("printer name unknown")

    bad = make_command(parse_command_payload("edge.ping", {}), site="s1", device="d1")
    ack = j.apply_command(bad, broken)
    assert ack.payload["status"] == "rejected" and "printer name unknown" in ack.payload["detail"]
    assert j._db.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 1  # the failed handler's write undone
    none = j.apply_command(make_command(parse_command_payload("edge.ping", {}), site="s1", device="d1"), None)
    assert "no handler" in none.payload["detail"]
