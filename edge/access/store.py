"""The access service's durable memory, in tables of the edge journal's own SQLite file.

Kept in the journal file (not a file of its own) because central's commands are applied
inside the journal's transaction: the allow-list or revocation a command carries and the
command's acknowledgement commit together, through the connection the handler is given.
The service reads and writes the other tables through its own connection to the same file
(WAL, synchronous=FULL, busy_timeout), which SQLite serialises with the journal's writers.

    access_cards    resident/staff card allow-list (cards.allowlist.replace)
    access_revoked  revoked pass ids, forgotten after `until` (passes.revoke)
    access_used     single-use passes used at this post, kept until the pass expires
    access_visits   visits checked in here, for check-out by badge and "who is in"
    access_meta     the allow-list's version

Used passes and visits are an index over the journal's visitor.* events, kept by the access
service's journal follower: the event is committed first, then folded in here; the follower's
cursor moves only after that, so a crash between the two folds the event in again at start-up
(folding is idempotent) and can never forget that a single-use pass was used.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from frontdesk.drivers.cards import normalize_card_id
from frontdesk.schema import Event
from frontdesk.schema.access import CardsAllowlistReplace, PassesRevoke, VisitorCheckedIn, VisitorCheckedOut

from .. import dbfile

SCHEMA = """
CREATE TABLE IF NOT EXISTS access_cards (
    card_id TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    unit TEXT,
    role TEXT NOT NULL,
    valid_until TEXT
);
CREATE TABLE IF NOT EXISTS access_revoked (
    pass_id TEXT PRIMARY KEY,
    until TEXT,
    reason TEXT
);
CREATE TABLE IF NOT EXISTS access_used (
    pass_id TEXT PRIMARY KEY,
    valid_until TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS access_visits (
    visit_id TEXT PRIMARY KEY,
    pass_id TEXT,
    visitor_name TEXT NOT NULL,
    host_unit TEXT NOT NULL,
    phone_masked TEXT,
    checked_in_at TEXT NOT NULL,
    valid_until TEXT,
    checked_out_at TEXT
);
CREATE INDEX IF NOT EXISTS access_visits_pass ON access_visits(pass_id);
CREATE TABLE IF NOT EXISTS access_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _iso(value: Any) -> str | None:
    """One text form for every stored time, so that SQL string comparison orders them."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).isoformat()


class AccessStore:
    """The access tables, through a connection of the store's own to the journal file; thread-safe."""
    def __init__(self, path: str | Path) -> None:
        self._lock = threading.RLock()
        self._db = dbfile.connect(path)
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on the store's connection: committed, or rolled back on error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- lookups ------------------------------------------------------------------------------

    def card(self, candidates: tuple[str, ...]) -> dict[str, Any] | None:
        """The allow-list entry of the first of these card ids that is on it (card_id, holder, unit,
        role, valid_until), or None. Its validity is not checked here."""
        with self._lock:
            for cid in candidates:
                row = self._db.execute("SELECT card_id, holder, unit, role, valid_until FROM access_cards "
                                       "WHERE card_id = ?", (cid,)).fetchone()
                if row:
                    return dict(zip(("card_id", "holder", "unit", "role", "valid_until"), row, strict=True))
        return None

    def card_count(self) -> int:
        """How many cards the allow-list holds."""
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM access_cards").fetchone()[0]

    def allowlist_version(self) -> int | None:
        """The version of the allow-list central last sent, or None before the first."""
        return self._meta("allowlist_version")

    def is_revoked(self, pass_id: str) -> bool:
        """True while this pass is revoked (for good, or until its revocation's `until`)."""
        with self._lock:
            row = self._db.execute("SELECT until FROM access_revoked WHERE pass_id = ?", (pass_id,)).fetchone()
        return bool(row) and (row[0] is None or row[0] > _now())

    def is_used(self, pass_id: str) -> bool:
        """True if this single-use pass was already used to check in here."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM access_used WHERE pass_id = ?", (pass_id,)).fetchone() is not None

    def visit(self, visit_id: str) -> dict[str, Any] | None:
        """The visit checked in here under this id (its columns as a dict, times in ISO UTC), or None."""
        with self._lock:
            row = self._db.execute("SELECT visit_id, pass_id, visitor_name, host_unit, phone_masked, checked_in_at, "
                                   "valid_until, checked_out_at FROM access_visits WHERE visit_id = ?",
                                   (visit_id,)).fetchone()
        return _visit(row)

    def open_visit_for_pass(self, pass_id: str) -> dict[str, Any] | None:
        """The latest visit under this pass that is not checked out yet, or None."""
        with self._lock:
            row = self._db.execute("SELECT visit_id, pass_id, visitor_name, host_unit, phone_masked, checked_in_at, "
                                   "valid_until, checked_out_at FROM access_visits WHERE pass_id = ? AND "
                                   "checked_out_at IS NULL ORDER BY checked_in_at DESC LIMIT 1", (pass_id,)).fetchone()
        return _visit(row)

    def present(self, limit: int = 500) -> list[dict[str, Any]]:
        """Visits not checked out yet, earliest check-in first, at most `limit`."""
        with self._lock:
            rows = self._db.execute("SELECT visit_id, pass_id, visitor_name, host_unit, phone_masked, checked_in_at, "
                                    "valid_until, checked_out_at FROM access_visits WHERE checked_out_at IS NULL "
                                    "ORDER BY checked_in_at LIMIT ?", (limit,)).fetchall()
        return [v for v in map(_visit, rows) if v is not None]

    # -- folding journal events in -----------------------------------------------------------------

    def fold_checked_in(self, event: Event, visit: VisitorCheckedIn) -> None:
        """Remember a check-in (and a single-use pass as used); a repeat changes nothing."""
        with self._write() as db:
            if visit.method == "pass" and visit.single_use and visit.pass_id:
                db.execute("INSERT OR IGNORE INTO access_used(pass_id, valid_until, seq) VALUES (?,?,?)",
                                 (visit.pass_id, _iso(visit.valid_until or event.occurred_at), event.seq))
            db.execute("INSERT OR IGNORE INTO access_visits(visit_id, pass_id, visitor_name, host_unit, "
                             "phone_masked, checked_in_at, valid_until) VALUES (?,?,?,?,?,?,?)",
                             (visit.visit_id, visit.pass_id, visit.visitor_name, visit.host_unit, visit.phone_masked,
                              _iso(event.occurred_at), _iso(visit.valid_until)))

    def fold_checked_out(self, event: Event, visit: VisitorCheckedOut) -> None:
        """Close a visit checked in here; a repeat (or a visit never seen here) changes nothing."""
        with self._write() as db:
            db.execute("UPDATE access_visits SET checked_out_at = ? WHERE visit_id = ? AND checked_out_at IS NULL",
                             (_iso(event.occurred_at), visit.visit_id))

    def prune(self, keep_visits_days: int = 7) -> None:
        """Forget used passes past expiry, lapsed revocations, and old closed visits."""
        now = datetime.now(UTC)
        with self._lock:
            self._db.execute("DELETE FROM access_used WHERE valid_until < ?", ((now - timedelta(hours=1)).isoformat(),))
            self._db.execute("DELETE FROM access_revoked WHERE until IS NOT NULL AND until < ?", (now.isoformat(),))
            self._db.execute("DELETE FROM access_visits WHERE checked_out_at IS NOT NULL AND checked_out_at < ?",
                             ((now - timedelta(days=keep_visits_days)).isoformat(),))

    def _meta(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM access_meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None


def _visit(row) -> dict[str, Any] | None:
    if row is None:
        return None
    return dict(zip(("visit_id", "pass_id", "visitor_name", "host_unit", "phone_masked", "checked_in_at",
                     "valid_until", "checked_out_at"), row, strict=True))


# -- command handlers: run inside the journal's transaction, on the connection it hands over --

def handle_allowlist_replace(db: sqlite3.Connection, payload: CardsAllowlistReplace) -> dict[str, Any]:
    """cards.allowlist.replace: the post's whole card list, replaced in the command's transaction."""
    rows, bad = {}, []
    for entry in payload.entries:
        try:
            cid = normalize_card_id(entry.card_id)
        except ValueError as err:
            bad.append(f"{entry.card_id[:40]}: {err}")
            continue
        rows[cid] = (cid, entry.holder, entry.unit, entry.role, _iso(entry.valid_until))
    if bad and not rows:
        raise ValueError(f"no usable card ids ({len(bad)} refused, first: {bad[0]})")
    db.execute("DELETE FROM access_cards")
    db.executemany("INSERT INTO access_cards(card_id, holder, unit, role, valid_until) VALUES (?,?,?,?,?)",
                   list(rows.values()))
    db.execute("INSERT INTO access_meta(key, value) VALUES ('allowlist_version', ?) ON CONFLICT(key) DO UPDATE "
               "SET value = excluded.value", (json.dumps(payload.version),))
    return {"cards": len(rows), "refused": len(bad), "refused_examples": bad[:5], "version": payload.version}


def handle_revoke(db: sqlite3.Connection, payload: PassesRevoke) -> dict[str, Any]:
    """passes.revoke: stop accepting these passes (until `until`, if given)."""
    until = _iso(payload.until)
    db.executemany("INSERT INTO access_revoked(pass_id, until, reason) VALUES (?,?,?) ON CONFLICT(pass_id) DO "
                   "UPDATE SET until = excluded.until, reason = excluded.reason",
                   [(pid, until, payload.reason) for pid in payload.pass_ids])
    return {"revoked": len(payload.pass_ids)}
