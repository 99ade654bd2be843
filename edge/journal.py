"""The edge journal: every fact is on disk here before anything acts on it.

One SQLite file per edge, WAL mode with synchronous=FULL, so a committed event survives both a
crash and a power cut. Tables:

    events    the journal itself (seq = this edge's order, body = the event as sent on the wire)
    outbox    seq/id of events central has not yet confirmed; a row leaves only on central's
              application-level ack naming the event id (never on a broker PUBACK)
    commands  ids of commands from central already applied, so each applies at most once
    settings  values central pushed down (settings.update) and drivers' local state

Producers in other processes (drivers, command-line tools) open the same file; writers are
serialised by SQLite (BEGIN IMMEDIATE), so `seq` stays gap-free and ordered.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from frontdesk.schema import Command, Event, SchemaError, make_event, parse_event_payload
from frontdesk.schema.envelope import encode_event

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS commands (
    command_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    received_at TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


class JournalError(Exception):
    """The journal could not store something; nothing was recorded."""


class JournalFullError(JournalError):
    """The disk (or the journal's size limit) is full; the event was not recorded."""


@dataclass(frozen=True)
class Pending:
    seq: int
    event_id: str
    body: bytes


# Handlers apply a command inside the journal transaction that also records its acknowledgement,
# so "applied" and "acknowledged" can never disagree. They return an optional result dict.
CommandHandler = Callable[[sqlite3.Connection, dict[str, Any]], dict[str, Any] | None]


class Journal:
    def __init__(self, path: str | Path, *, site: str, device: str, tz: str = "UTC",
                 max_pages: int | None = None) -> None:
        self.path = Path(path)
        self.site, self.device, self.tz = site, device, tz
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        # Producers in this process wake the uplink at once; other processes are found by polling.
        self.appended = threading.Condition(threading.Lock())
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=30000")
            if max_pages:
                self._db.execute(f"PRAGMA max_page_count={int(max_pages)}")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as err:
            raise JournalError(f"edge journal {self.path}: cannot open: {err}") from None

    # -- writing -------------------------------------------------------------------------------

    def _fail(self, err: sqlite3.Error) -> JournalError:
        if isinstance(err, sqlite3.OperationalError) and "full" in str(err).lower():
            return JournalFullError(f"edge journal {self.path}: disk full, event NOT recorded ({err})")
        return JournalError(f"edge journal {self.path}: {err}")

    def _txn(self):
        return _Transaction(self)

    def _append(self, db: sqlite3.Connection, type_: str, payload: dict[str, Any] | BaseModel,
                occurred_at: datetime | None) -> Event:
        (last,) = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        event = make_event(parse_event_payload(type_, payload), site=self.site, device=self.device, seq=last + 1,
                           tz=self.tz, occurred_at=occurred_at)
        db.execute("INSERT INTO events(seq, id, type, occurred_at, body) VALUES (?,?,?,?,?)",
                   (event.seq, event.id, event.type, event.occurred_at.isoformat(), encode_event(event)))
        db.execute("INSERT INTO outbox(seq, event_id) VALUES (?,?)", (event.seq, event.id))
        return event

    def record(self, type_: str, payload: dict[str, Any] | BaseModel, *,
               occurred_at: datetime | None = None) -> Event:
        """Validate, commit to disk, then return the event. Raises SchemaError or JournalError."""
        return self.record_many([(type_, payload, occurred_at)])[0]

    def record_many(self, items: Iterable[tuple[str, dict[str, Any] | BaseModel, datetime | None]]) -> list[Event]:
        """Several events in one transaction: all are stored, or none."""
        with self._txn() as db:
            events = [self._append(db, t, p, at) for t, p, at in items]
        self._notify()
        return events

    def _notify(self) -> None:
        with self.appended:
            self.appended.notify_all()

    # -- outbox ----------------------------------------------------------------------------------

    def pending(self, after_seq: int = 0, limit: int = 500) -> list[Pending]:
        with self._lock:
            rows = self._db.execute(
                "SELECT o.seq, o.event_id, e.body FROM outbox o JOIN events e ON e.seq = o.seq "
                "WHERE o.seq > ? ORDER BY o.seq LIMIT ?", (after_seq, limit)).fetchall()
        return [Pending(seq, eid, bytes(body)) for seq, eid, body in rows]

    def acknowledge(self, event_ids: Iterable[str]) -> int:
        """Central committed these: drop them from the outbox. Returns how many were removed."""
        ids = list(event_ids)
        removed = 0
        with self._txn() as db:
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                cur = db.execute(f"DELETE FROM outbox WHERE event_id IN ({','.join('?' * len(chunk))})", chunk)
                removed += cur.rowcount
        return removed

    def backlog(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def last_seq(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]

    def events(self, after_seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                                    (after_seq, limit)).fetchall()
        return [json.loads(body) for (body,) in rows]

    def prune(self, keep_days: int) -> int:
        """Forget events central has confirmed and that are older than keep_days."""
        cutoff = (datetime.now(UTC) - timedelta(days=keep_days)).isoformat()
        with self._txn() as db:
            cur = db.execute("DELETE FROM events WHERE occurred_at < ? AND seq < "
                             "(SELECT MAX(seq) FROM events) AND seq NOT IN (SELECT seq FROM outbox)", (cutoff,))
            return cur.rowcount

    # -- commands from central ---------------------------------------------------------------

    def apply_command(self, command: Command, handler: CommandHandler | None) -> Event | None:
        """Apply a command once. Returns the `command.applied` event, or None for a repeat.

        The handler's changes, the command's id and the acknowledgement event commit together.
        A handler that raises (or a missing handler) gives a 'rejected' acknowledgement, so
        central stops retrying and shows why.
        """
        with self._txn() as db:
            if db.execute("SELECT 1 FROM commands WHERE command_id = ?", (command.id,)).fetchone():
                return None
            status, detail, result = "applied", None, None
            if handler is None:
                status, detail = "rejected", f"this edge has no handler for {command.type!r}"
            else:
                db.execute("SAVEPOINT handler")
                try:
                    result = handler(db, command.payload)
                    db.execute("RELEASE handler")
                except Exception as err:  # the handler's own failure is reported, not raised
                    db.execute("ROLLBACK TO handler")
                    db.execute("RELEASE handler")
                    status, detail = "rejected", f"{type(err).__name__}: {err}"[:500]
            db.execute("INSERT INTO commands(command_id, type, received_at, status, detail) VALUES (?,?,?,?,?)",
                       (command.id, command.type, datetime.now(UTC).isoformat(), status, detail))
            event = self._append(db, "command.applied", {
                "command_id": command.id, "command_type": command.type, "status": status,
                "detail": detail, "result": result}, None)
        self._notify()
        return event

    def reject_command(self, command_id: str, command_type: str, detail: str) -> Event | None:
        """Acknowledge a command this edge cannot apply (invalid, misaddressed), once per id."""
        with self._txn() as db:
            if db.execute("SELECT 1 FROM commands WHERE command_id = ?", (command_id,)).fetchone():
                return None
            db.execute("INSERT INTO commands(command_id, type, received_at, status, detail) VALUES (?,?,?,?,?)",
                       (command_id, command_type, datetime.now(UTC).isoformat(), "rejected", detail[:500]))
            try:
                event = self._append(db, "command.applied", {
                    "command_id": command_id, "command_type": command_type, "status": "rejected",
                    "detail": detail[:500]}, None)
            except SchemaError:
                raise JournalError(f"cannot acknowledge command {command_id!r}: unusable id or type") from None
        self._notify()
        return event

    def command_status(self, command_id: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT status FROM commands WHERE command_id = ?", (command_id,)).fetchone()
        return row[0] if row else None

    # -- settings ---------------------------------------------------------------------------

    def setting(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def close(self) -> None:
        with self._lock:
            self._db.close()


def put_setting(db: sqlite3.Connection, key: str, value: Any) -> None:
    """Store a setting inside a command handler's transaction."""
    db.execute("INSERT INTO settings(key, value, updated_at) VALUES (?,?,?) ON CONFLICT(key) DO UPDATE "
               "SET value = excluded.value, updated_at = excluded.updated_at",
               (key, json.dumps(value, ensure_ascii=False), datetime.now(UTC).isoformat()))


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT under the journal's lock; SQLite errors become JournalError."""

    def __init__(self, journal: Journal) -> None:
        self.j = journal

    def __enter__(self) -> sqlite3.Connection:
        self.j._lock.acquire()
        try:
            self.j._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            self.j._lock.release()
            raise self.j._fail(err) from None
        return self.j._db

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                try:
                    self.j._db.execute("COMMIT")
                    return False
                except sqlite3.Error as err:
                    self._rollback()
                    raise self.j._fail(err) from None
            self._rollback()
            if isinstance(exc, sqlite3.Error):
                raise self.j._fail(exc) from None
            return False
        finally:
            self.j._lock.release()

    def _rollback(self) -> None:
        try:
            self.j._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass


def wait_for_backlog(journal: Journal, target: int = 0, timeout: float = 30.0) -> bool:
    """Test and tool helper: wait until the outbox holds at most `target` events."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if journal.backlog() <= target:
            return True
        time.sleep(0.05)
    return journal.backlog() <= target


__all__ = ["Journal", "JournalError", "JournalFullError", "Pending", "SchemaError", "put_setting",
           "wait_for_backlog"]
