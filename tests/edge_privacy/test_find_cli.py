"""`frontdesk edge privacy find|erase` as a person at the edge runs them: where a text is, exit codes,
and erasing without central."""
from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import subprocess
import sys

from frontdesk.cli import main

from .helpers import DEVICE, SITE, WANG, ZHANG


def _config(desk) -> str:
    path = desk.data_dir.parent / "edge.toml"
    path.write_text(f'[site]\nid = "{SITE}"\ncountry = "cn"\n\n[edge]\ndevice = "{DEVICE}"\n'
                    f'data_dir = "{desk.data_dir}"\n')
    return str(path)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "frontdesk", "edge", "privacy", *args], capture_output=True,
                          text=True, timeout=120)


def find(desk, text: str) -> tuple[int, dict]:
    """`frontdesk edge privacy find TEXT --json`, in this process (the real process is run() below)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["edge", "privacy", "find", text, "-c", _config(desk), "--json"])
    assert code in (0, 1)
    return code, json.loads(out.getvalue())


def test_find_lists_rows_json_paths_files_and_raw_bytes(desk):
    code, report = find(desk, "138 0013 8000")  # typed another way than any stored form
    assert code == 1 and report["found"]
    places = {(r["database"], r["table"], r["column"]) for r in report["rows"]}
    assert {("journal.db", "events", "body"), ("journal.db", "settings", "value"), ("journal.db", "print_jobs", "data"),
            ("journal.db", "commands", "detail")} <= places
    paths = {r["path"] for r in report["rows"] if r["table"] == "events"}
    assert {"$.payload.number", "$.payload.number_raw", "$.payload.text"} <= paths
    settings = {r["path"] for r in report["rows"] if r["table"] == "settings"}
    assert "$.+8613800138000 (key)" in settings  # the directory is keyed by number
    assert all(r["key"] for r in report["rows"])  # each row named by its key (seq, key, job n ...)
    assert report["raw_live"]  # the bytes on disk, in pages of tables that show them

    code, by_name = find(desk, ZHANG.name)
    assert code == 1 and any(r["table"] == "access_cards" for r in by_name["rows"])
    call_id = desk.filled.calls[ZHANG.name]
    code, by_file = find(desk, call_id)
    assert code == 1 and {"file": desk.filled.recordings[ZHANG.name].relative_to(desk.data_dir).as_posix(),
                          "where": "name"} in by_file["files"]


def test_find_reports_free_pages_and_wal_apart(desk):
    # Bytes left behind by a writer without secure_delete (an old version of the software).
    db = sqlite3.connect(desk.data_dir / "old.db")
    db.execute("PRAGMA secure_delete=OFF")
    db.execute("CREATE TABLE notes(t TEXT)")
    db.execute("INSERT INTO notes VALUES (?)", ("孤儿数据-" + "x" * 3000,))
    db.commit()
    db.execute("DELETE FROM notes")
    db.commit()
    db.close()
    code, report = find(desk, "孤儿数据")
    assert code == 1 and report["rows"] == [] and report["raw_live"] == []
    assert {h["file"] for h in report["raw_unused"]} == {"old.db"}
    assert report["raw_unused"][0]["where"] in ("free page", "unused space in a page of notes")
    lines = run("find", "孤儿数据", "-c", _config(desk))
    assert lines.returncode == 1 and "free pages / WAL" in lines.stdout


def test_erase_from_the_command_line_then_find_nothing(desk):
    config = _config(desk)
    for text in (ZHANG.phone, ZHANG.name, ZHANG.card):
        assert find(desk, text)[0] == 1
    done = run("erase", "--name", ZHANG.name, "--unit", ZHANG.unit, "-c", config)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["directory"] == 1 and result["cards"] == 1 and result["recordings"] == 1
    for text in (ZHANG.phone, "138-0013-8000", ZHANG.name, ZHANG.card):
        code, report = find(desk, text)
        assert code == 0 and not report["found"], (text, report)
        assert report["rows"] == report["files"] == report["raw_live"] == report["raw_unused"] == []
    assert run("find", ZHANG.phone, "-c", config).stdout.startswith("not found")
    # The call's id stays on its events (sync and central's own erasure count on it); its recording is gone.
    assert find(desk, desk.filled.calls[ZHANG.name])[1]["files"] == []
    assert find(desk, WANG.phone)[0] == 1  # the other resident is still there


def test_erase_refuses_a_name_without_its_unit(desk):
    done = run("erase", "--name", ZHANG.name, "-c", _config(desk))
    assert done.returncode == 2 and "name together with its unit" in done.stderr
    assert find(desk, ZHANG.name)[0] == 1
