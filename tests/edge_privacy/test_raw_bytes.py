"""What is left on disk: after an erasure or a retention run, a raw byte search of every database
file, its WAL and the recordings folder finds nothing of the person; every edge SQLite connection
has secure_delete on; bytes a writer without it left in free pages are rebuilt away."""
from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from frontdesk.edge.access.store import AccessStore
from frontdesk.edge.printing.store import JobStore
from frontdesk.edge.transcribe.jobqueue import JobQueue
from frontdesk.schema.privacy import RETENTION_KINDS, Subject

from ..code.layout import ROOT
from .helpers import VISITOR, WANG, ZHANG, db_files, make_service, person_bytes, raw_search


def test_nothing_of_the_person_is_left_in_any_file_after_erasure(desk):
    forms = [*person_bytes(ZHANG), b"138 0013 8000", b"138-0013-8000", b"8613800138000"]
    assert {f for _, f in raw_search(desk.data_dir, forms)} == set(forms)  # all of it was on disk
    make_service(desk.journal, desk.data_dir).erase_now(Subject(name=ZHANG.name, unit=ZHANG.unit))
    assert raw_search(desk.data_dir, forms) == []
    assert {p.name for p in db_files(desk.data_dir)} >= {"journal.db", "transcribe.db"}
    for wal in desk.data_dir.glob("*-wal"):
        assert wal.stat().st_size == 0, wal  # emptied (TRUNCATE) after the erasure committed
    assert raw_search(desk.data_dir, person_bytes(WANG)) != []


def test_nothing_expired_is_left_in_any_file_after_retention(desk):
    typed = [b"138 0013 8000", VISITOR.phone.encode(), VISITOR.name.encode()]  # only in calls, visits, transcripts
    assert raw_search(desk.data_dir, typed)
    at = datetime.now(UTC) + timedelta(days=400)
    make_service(desk.journal, desk.data_dir, lambda: at, **dict.fromkeys(RETENTION_KINDS, 30)).apply_retention()
    assert raw_search(desk.data_dir, typed) == []
    assert not list((desk.data_dir / "recordings").rglob("*.wav")) if (desk.data_dir / "recordings").exists() else True
    for wal in desk.data_dir.glob("*-wal"):
        assert wal.stat().st_size == 0, wal


def test_bytes_left_in_free_pages_by_an_old_writer_are_rebuilt_away(desk):
    old = sqlite3.connect(desk.journal.path)
    old.execute("PRAGMA secure_delete=OFF")  # as the edge wrote before this release
    old.execute("CREATE TABLE scratch(t TEXT)")
    old.executemany("INSERT INTO scratch VALUES (?)", [(f"{ZHANG.name} {ZHANG.phone} " + "x" * 5000,)] * 3)
    old.commit()
    old.execute("DROP TABLE scratch")
    old.commit()
    old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    old.close()
    assert raw_search(desk.data_dir, [ZHANG.phone.encode()])
    make_service(desk.journal, desk.data_dir).erase_now(Subject(phone=ZHANG.phone))
    # the name is not the phone's subject, but it sat in the same freed pages: the rebuild took it too
    assert raw_search(desk.data_dir, [ZHANG.phone.encode(), f"{ZHANG.name} {ZHANG.phone}".encode()]) == []


def test_every_edge_connection_has_secure_delete_on(desk, tmp_path):
    journal_db = desk.journal.path
    stores = [JobStore(journal_db), AccessStore(journal_db), JobQueue(tmp_path / "t.db")]
    try:
        connections = [desk.journal._db, desk.journal._cursors, stores[0].db, stores[1]._db, stores[2]._db]
        assert [c.execute("PRAGMA secure_delete").fetchone()[0] for c in connections] == [1] * 5
    finally:
        for store in stores:
            store.close()


def test_no_edge_module_opens_sqlite_but_through_dbfile():
    opened = []
    for path in sorted(Path(ROOT, "edge").rglob("*.py")):
        if path.name != "dbfile.py" and re.search(r"sqlite3\.connect\(", path.read_text(encoding="utf-8")):
            opened.append(path.relative_to(ROOT).as_posix())
    # find.py reads databases read-only (mode=ro): it never writes, so it deletes nothing.
    assert opened == ["edge/privacy/find.py"]
