"""`frontdesk central privacy find|erase`: every place a text is stored (table, row, column, JSON
path), its escaped form, a number however typed, the SQLite file and WAL byte by byte; exit codes."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from frontdesk.central.privacy.find import find

from ..central.helpers import SITE, Edge
from .seed import NAMESAKE, ZHANG, register_device, seed_everyone


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "frontdesk", "central", "privacy", *args, "-c", str(config)],
                          capture_output=True, text=True, timeout=300)


def _config(tmp_path: Path, url: str) -> Path:
    cfg = tmp_path / "central.toml"
    cfg.write_text(f'[central]\ndatabase_url = "{url}"\n')
    return cfg


def test_find_then_erase_then_nothing_left(central, tmp_path):
    seed_everyone(central)
    register_device(central, "desk-1")
    config = _config(tmp_path, central.store.url)
    r = _cli(config, "find", "138 1234 5678", "--json")
    assert r.returncode == 1, r.stderr
    found = json.loads(r.stdout)
    paths = {p["path"] for p in found["stored"]}
    # nested payloads, lists, commands, quarantine bytes and the read models, as JSON paths
    assert any(p.startswith("events[") and p.endswith(".payload.data.lines[1].text") for p in paths), paths
    assert any(p.startswith("commands[") and ".body.payload.entries[" in p for p in paths), paths
    assert any(p.startswith("quarantine[") and ".raw@" in p for p in paths), paths
    assert any(p.startswith("calls[") and p.endswith(".number") for p in paths), paths
    assert any(p.startswith("directory[") and p.endswith(".phone") for p in paths), paths
    # the name JSON-escaped in a quarantined batch (\u5f20\u4e09) is found too
    r = _cli(config, "find", ZHANG.name)
    assert r.returncode == 1 and "quarantine[" in r.stdout, r.stdout
    r = _cli(config, "erase", "--phone", ZHANG.typed, "--name", ZHANG.name, "--unit", ZHANG.unit,
             "--card", ZHANG.card, "--site", SITE)
    assert r.returncode == 0, r.stderr
    request = json.loads(r.stdout)
    assert request["by"].startswith("cli:") and request["central"]["events"] > 0 and len(request["edges"]) == 1
    # until desk-1 answers, its command carries the number (it must); then nothing anywhere
    r = _cli(config, "find", "+86 138 1234 5678", "--json")
    assert r.returncode == 1 and {p["table"] for p in json.loads(r.stdout)["stored"]} == {"commands"}, r.stdout
    Edge(central.store, device="desk-1").emit("command.applied", {
        "command_id": request["edges"][0]["command_id"], "command_type": "privacy.erase", "status": "applied",
        "result": {"journal_events": 2}})
    for text in ("13812345678", ZHANG.typed, ZHANG.card):
        r = _cli(config, "find", text)
        assert r.returncode == 0 and r.stdout.strip().endswith("not found"), (text, r.stdout)
    assert _cli(config, "find", NAMESAKE.typed).returncode == 1  # the namesake is still there
    assert _cli(config, "find", "nobody-stores-this").returncode == 0


def test_erase_cli_refuses_nobody(tmp_path, sqlite_url):
    config = _config(tmp_path, sqlite_url)
    r = _cli(config, "erase", "--name", "张三")
    assert r.returncode == 2 and "give a phone number" in r.stderr
    r = _cli(config, "erase", "--phone", "ab-c")
    assert r.returncode == 2 and "fewer than 3 digits" in r.stderr


def test_raw_search_tells_free_pages_and_wal_apart(central_sqlite):
    """What a delete without secure_delete leaves behind is reported as free pages / WAL; after an
    erasure central's own files hold nothing (secure_delete + checkpoint)."""
    store = central_sqlite.store
    path = make_url(store.url).database
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA secure_delete=OFF")
    raw.execute("INSERT INTO quarantine (received_at, topic, reason, size, raw) VALUES "
                "('2026-01-01', 't', 'r', 1, ?)", (b"LEFT-BEHIND-13812345678" + b"." * 5000,))
    raw.commit()
    raw.execute("DELETE FROM quarantine")
    raw.commit()
    result = find(store, "13812345678")
    assert result["stored"] == [] and result["found"] is True
    assert {h["where"] for h in result["files"]} <= {"free page", "WAL"} and result["files"], result["files"]
    raw.close()
    r = central_sqlite.client("admin").post("/api/v1/privacy/erase", json={"phone": "13812345678"})
    assert r.status_code == 201
    # the checkpoint moved the WAL into the file, but the free page written without secure_delete remains:
    # VACUUM would rebuild the file; what central deletes itself is zeroed (test_find_then_erase...)
    assert all(h["where"] != "WAL" for h in find(store, "13812345678")["files"])
