"""How every SQLite file on the edge is opened, and how its write-ahead log is emptied.

One place for the pragmas, so no store can forget one: WAL, the caller's synchronous level, a
busy timeout, and `secure_delete`, which makes SQLite overwrite deleted and updated content with
zeros instead of leaving it in free pages, where a raw read of the file would still find a
resident's number after it was "erased". What a transaction leaves behind in the -wal file is
removed by `checkpoint()` (TRUNCATE), which erasure and retention call once they are committed.
"""
from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

log = logging.getLogger(__name__)


def connect(path: str | Path, synchronous: str = "FULL") -> sqlite3.Connection:
    """An autocommit connection (transactions are explicit) usable from several threads behind the
    caller's lock, with the edge's pragmas."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("PRAGMA busy_timeout=30000")
    db.execute("PRAGMA secure_delete=ON")
    return db


def checkpoint(path: str | Path, attempts: int = 20) -> bool:
    """Copy the WAL into the database file and truncate the WAL to nothing. A reader holding an old
    snapshot makes SQLite answer "busy"; it is asked again for a few seconds. True when the WAL was
    emptied."""
    path = Path(path)
    if not path.exists():
        return True
    db = connect(path)
    try:
        for _ in range(attempts):
            busy, _frames, _done = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return True
            time.sleep(0.1)
        log.warning("edge: %s: the write-ahead log could not be emptied (readers kept it busy)", path)
        return False
    finally:
        db.close()


def vacuum(path: str | Path) -> None:
    """Rebuild the database file, leaving none of its old pages behind (free pages written before
    secure_delete was on, for example), then empty the WAL."""
    db = connect(path)
    try:
        db.execute("VACUUM")
    finally:
        db.close()
    checkpoint(path)


__all__ = ["checkpoint", "connect", "vacuum"]
