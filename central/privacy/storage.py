"""After an erasure or a retention round: make the removed text leave the database files too.

SQLite: every central connection runs with `PRAGMA secure_delete=ON` (central/db.py), so a deleted
or rewritten row's bytes are overwritten with zeros in the page and freed pages are zeroed; the old
page images still sit in the write-ahead log until a checkpoint, so a TRUNCATE checkpoint copies the
log into the database and empties the -wal file. (Truncating does not overwrite the disk blocks
the file used; a filesystem-level copy or snapshot taken before keeps the old text.)

PostgreSQL: an UPDATE or DELETE leaves the old row version (a dead tuple) in the table and its
indexes until VACUUM removes it and marks its space free for reuse. VACUUM makes the dead tuples
unreachable to any query and lets their space be overwritten by later rows; it does not promise to
zero those bytes at once, and it cannot reach copies outside the table files: WAL segments (until
recycled after checkpoints, and any WAL archive), base backups, replicas and dumps keep the old
values until they expire by their own retention. Those are the operator's to age out.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from sqlalchemy import text

from ..store import Store

log = logging.getLogger(__name__)


def compact(store: Store, tables: Iterable[str]) -> dict[str, object]:
    """Checkpoint (SQLite) or VACUUM the `tables` (PostgreSQL); what was done."""
    if store.backend == "sqlite":
        return checkpoint(store)
    names = sorted(set(tables))
    if not names:
        return {"vacuumed": []}
    # VACUUM cannot run inside a transaction: an autocommit connection of its own.
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        quoted = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)
        conn.execute(text(f"VACUUM {quoted}"))
    return {"vacuumed": names}


def checkpoint(store: Store, tries: int = 20) -> dict[str, object]:
    """PRAGMA wal_checkpoint(TRUNCATE), retried while another connection still reads (busy)."""
    busy = 1
    for _ in range(tries):
        with store.engine.connect() as conn:
            busy, log_frames, done = conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
        if not busy:
            return {"checkpoint": "truncated", "frames": log_frames}
        time.sleep(0.1)
    log.warning("privacy: the WAL checkpoint stayed busy (a reader held it); erased text may remain in the "
                "-wal file until the next checkpoint")
    return {"checkpoint": "busy"}
