"""The edge journal: on disk before anything acts, removed only by central's ack."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from frontdesk.edge.commands import CommandHandlers
from frontdesk.edge.journal import Journal, JournalFullError, SchemaError
from frontdesk.ids import new_id
from frontdesk.schema import Command, make_command
from frontdesk.schema.system import CommandApplied, DeskNote, Ping, SettingsUpdate


def journal(tmp_path, **kw):
    return Journal(tmp_path / "j" / "journal.db", site="s1", device="d1", tz="Asia/Shanghai", **kw)


def test_durability_settings(tmp_path):
    j = journal(tmp_path)
    db = sqlite3.connect(j.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert j._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_outbox_rows_leave_only_when_acknowledged(tmp_path):
    j = journal(tmp_path)
    events = [j.record(DeskNote(text=f"n{i}")) for i in range(5)]
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [p.event_id for p in j.pending(0, 10)] == [e.id for e in events]
    assert j.acknowledge([events[1].id, events[3].id, "not-ours"]) == 2
    assert [p.seq for p in j.pending(0, 10)] == [1, 3, 5]
    assert [p.seq for p in j.pending(3, 10)] == [5]


def test_invalid_events_are_not_recorded(tmp_path):
    j = journal(tmp_path)
    with pytest.raises(SchemaError, match="not a registered event payload"):
        j.record(Ping())  # a command's payload is no event
    too_big = CommandApplied(command_id="c1", command_type="edge.ping", status="applied", result={"x": "y" * 70_000})
    with pytest.raises(SchemaError, match="larger than"):
        j.record(too_big)
    with pytest.raises(SchemaError):
        j.record_many([DeskNote(text="ok"), too_big])
    assert j.last_seq() == 0 and j.backlog() == 0  # all or nothing


def test_record_many_keeps_the_order_given(tmp_path):
    j = journal(tmp_path)
    events = j.record_many([DeskNote(text="first"), DeskNote(text="second")])
    assert [(e.seq, e.type, e.payload_as(DeskNote).text) for e in events] == [
        (1, "desk.note", "first"), (2, "desk.note", "second")]


def test_disk_full_is_a_clear_error_and_stores_nothing_half(tmp_path):
    j = journal(tmp_path, max_pages=40)
    stored = []
    with pytest.raises(JournalFullError, match="disk full, event NOT recorded"):
        for _ in range(10_000):
            stored.append(j.record(DeskNote(text="x" * 2000)).id)
    assert j.backlog() == len(stored)  # everything acknowledged to the caller is there
    assert [p.event_id for p in j.pending(0, 100_000)] == stored
    j.acknowledge(stored[:5])  # space can be freed and the journal goes on


def test_gap_free_seq_with_writers_in_several_processes(tmp_path):
    j = journal(tmp_path)
    code = ("import sys; from frontdesk.edge.journal import Journal\n"
            "from frontdesk.schema.system import DeskNote\n"
            "j = Journal(sys.argv[1], site='s1', device='d1')\n"
            "for i in range(200): j.record(DeskNote(text='p%s' % i))\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(j.path)]) for _ in range(3)]
    for i in range(200):
        j.record(DeskNote(text=f"main {i}"))
    assert all(p.wait(60) == 0 for p in procs)
    seqs = [e["seq"] for e in j.events(0, 10_000)]
    assert seqs == list(range(1, 801))


def test_commands_apply_once_and_failures_roll_back(tmp_path):
    j = journal(tmp_path)
    calls = []
    fail = []

    def handler(db, payload: Ping):
        calls.append(payload)
        db.execute("CREATE TABLE IF NOT EXISTS t(x)")
        db.execute("INSERT INTO t VALUES (?)", (2 if fail else 1,))
        if fail:
            raise ValueError("printer name unknown")
        return {"ok": True, "note": payload.note}

    handlers = CommandHandlers()
    handlers.on(Ping, handler)
    cmd = make_command(Ping(note="hi"), site="s1", device="d1")
    first = j.apply_command(cmd, handlers).payload_as(CommandApplied)
    assert first.status == "applied" and first.result == {"ok": True, "note": "hi"}
    assert calls == [Ping(note="hi")]  # the handler is handed the typed payload
    assert j.apply_command(cmd, handlers) is None and len(calls) == 1

    fail.append(True)
    ack = j.apply_command(make_command(Ping(), site="s1", device="d1"), handlers).payload_as(CommandApplied)
    assert ack.status == "rejected" and "printer name unknown" in ack.detail
    assert j._db.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 1  # the failed handler's write undone
    none = j.apply_command(make_command(Ping(), site="s1", device="d1"), CommandHandlers())
    assert "no handler" in none.payload_as(CommandApplied).detail


def test_a_command_type_has_one_owner_and_only_command_payloads_register():
    handlers = CommandHandlers()
    handlers.on(Ping, lambda db, payload: None)
    with pytest.raises(ValueError, match="already has a handler"):
        handlers.on(Ping, lambda db, payload: None)
    with pytest.raises(ValueError, match="not a registered command payload"):
        handlers.on(DeskNote, lambda db, payload: None)
    assert handlers.types() == ["edge.ping"]


def test_a_command_payload_the_model_refuses_is_rejected_with_the_reason(tmp_path):
    j = journal(tmp_path)
    handlers = CommandHandlers()
    handlers.on(SettingsUpdate, lambda db, payload: {"n": len(payload.values)})
    good = make_command(SettingsUpdate(values={"a": 1}), site="s1", device="d1")
    # As if it came off the wire with a payload the schema refuses (the uplink validates first;
    # this is the handler's own line of defence).
    bad = Command.model_validate({**good.to_wire(), "id": new_id(),
                                  "payload": {"values": {}}})
    ack = j.apply_command(bad, handlers).payload_as(CommandApplied)
    assert ack.status == "rejected" and "values" in ack.detail
    assert j.apply_command(good, handlers).payload_as(CommandApplied).result == {"n": 1}


def test_the_agent_hands_services_a_typed_context(tmp_path):
    from frontdesk.edge.agent import EdgeAgent
    from frontdesk.edge.config import parse_edge

    cfg = parse_edge({"site": {"id": "garden-court", "name": "花园里", "timezone": "Asia/Shanghai"},
                      "edge": {"device": "desk-1", "data_dir": str(tmp_path)}})
    agent = EdgeAgent(cfg)
    try:
        assert agent.ctx.site_name == "花园里"
        assert agent.ctx.commands.types() == ["edge.ping", "privacy.erase", "retention.set", "settings.update"]
        assert agent.ctx.transcriber is None and agent.ctx.access is None
        assert not hasattr(agent.ctx, "shared")
    finally:
        agent.journal.close()
