"""The edge journal: every fact is on disk here before anything acts on it.

One SQLite file per edge, WAL mode with synchronous=FULL, so a committed event survives both a
crash and a power cut. Tables:

    events    the journal itself (seq = this edge's order, body = the event as sent on the wire)
    outbox    seq/id of events central has not yet confirmed; a row leaves only on central's
              application-level ack naming the event id (never on a broker PUBACK)
    commands  ids of commands from central already applied, so each applies at most once
    settings  values central pushed down (settings.update) and drivers' local state
    followers each follower's cursor: the seq of the last event handed to it (follower.py)

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
from types import TracebackType
from typing import Any, Literal

from frontdesk.schema import Command, Event, Payload, SchemaError, make_event
from frontdesk.schema.envelope import encode_event
from frontdesk.schema.system import CommandApplied

from . import dbfile
from .commands import CommandHandlers
from .follower import Follower, Start

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
CREATE TABLE IF NOT EXISTS followers (
    name TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
"""


class JournalError(Exception):
    """The journal could not store something; nothing was recorded."""


class JournalFullError(JournalError):
    """The disk (or the journal's size limit) is full; the event was not recorded."""


@dataclass(frozen=True)
class Pending:
    """An event waiting in the outbox, as the uplink sends it."""

    seq: int
    event_id: str
    body: bytes


class Journal:
    """The edge's journal file: record events, follow them, apply commands, keep settings."""

    def __init__(self, path: str | Path, *, site: str, device: str, tz: str = "UTC",
                 max_pages: int | None = None) -> None:
        self.path = Path(path)
        self.site, self.device, self.tz = site, device, tz
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        # Producers in this process wake the uplink and the followers at once; other processes
        # are found by polling. `generation` counts appends, so a waiter never misses one.
        self.appended = threading.Condition(threading.Lock())
        self.generation = 0
        # Work that must wait until the transaction now open has committed (e.g. emptying the WAL
        # after an erasure); run by the transaction's end, dropped if it rolls back.
        self._after_commit: list[Callable[[], None]] = []
        try:
            self._db = self._connect("FULL", max_pages)
            self._db.executescript(SCHEMA)
            # Followers' cursors on a connection of their own without an fsync per move: a cursor
            # lost to a power cut only hands some events again, which followers must accept anyway.
            self._cursors_lock = threading.Lock()
            self._cursors = self._connect("NORMAL", max_pages)
        except sqlite3.Error as err:
            raise JournalError(f"edge journal {self.path}: cannot open: {err}") from None

    def _connect(self, synchronous: str, max_pages: int | None) -> sqlite3.Connection:
        db = dbfile.connect(self.path, synchronous)
        if max_pages:
            db.execute(f"PRAGMA max_page_count={int(max_pages)}")
        return db

    # -- writing -------------------------------------------------------------------------------

    def _fail(self, err: sqlite3.Error) -> JournalError:
        if isinstance(err, sqlite3.OperationalError) and "full" in str(err).lower():
            return JournalFullError(f"edge journal {self.path}: disk full, event NOT recorded ({err})")
        return JournalError(f"edge journal {self.path}: {err}")

    def _txn(self) -> _Transaction:
        return _Transaction(self)

    def transaction(self) -> _Transaction:
        """`with journal.transaction() as db:` one write transaction on the journal's connection
        (BEGIN IMMEDIATE ... COMMIT, rolled back on an exception), as command handlers get it."""
        return _Transaction(self)

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Call `fn` once the transaction now open (a command handler's, a transaction()) has
        committed; it is forgotten if that transaction rolls back. A failing `fn` is logged."""
        self._after_commit.append(fn)

    def _take_after_commit(self, committed: bool) -> list[Callable[[], None]]:
        work, self._after_commit = self._after_commit, []
        return work if committed else []

    @staticmethod
    def _run_after_commit(work: list[Callable[[], None]]) -> None:
        for fn in work:
            try:
                fn()
            except Exception:
                log.exception("edge journal: work after a commit failed")

    def _append(self, db: sqlite3.Connection, payload: Payload) -> Event:
        (last,) = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        event = make_event(payload, site=self.site, device=self.device, seq=last + 1, tz=self.tz)
        db.execute("INSERT INTO events(seq, id, type, occurred_at, body) VALUES (?,?,?,?,?)",
                   (event.seq, event.id, event.type, event.occurred_at.isoformat(), encode_event(event)))
        db.execute("INSERT INTO outbox(seq, event_id) VALUES (?,?)", (event.seq, event.id))
        return event

    def record(self, payload: Payload) -> Event:
        """Commit one event (its type is the payload's class) to disk, then return it.

        Raises SchemaError (not a registered event payload, too large) or JournalError.
        """
        return self.record_many([payload])[0]

    def record_many(self, payloads: Iterable[Payload]) -> list[Event]:
        """Several events in one transaction, in this order: all are stored, or none."""
        with self._txn() as db:
            events = [self._append(db, p) for p in payloads]
        self._notify()
        return events

    def _notify(self) -> None:
        with self.appended:
            self.generation += 1
            self.appended.notify_all()

    def wake(self) -> None:
        """Wake everyone waiting for an append (e.g. a service that is stopping)."""
        with self.appended:
            self.appended.notify_all()

    def wait_appended(self, seen: int, timeout: float) -> int:
        """Wait until an event is recorded in this process after generation `seen` was read (or
        timeout, or wake()); returns the generation now."""
        with self.appended:
            if self.generation == seen:
                self.appended.wait(timeout)
            return self.generation

    # -- following -------------------------------------------------------------------------------

    def follow(self, name: str, *, start: Start = "beginning", poll_s: float = 0.5) -> Follower:
        """A follower with a durable cursor under `name`; register handlers with .on(Model, fn)."""
        return Follower(self, name, start=start, poll_s=poll_s)

    def cursor(self, name: str) -> int | None:
        """Where follower `name` stands (None before its first follow)."""
        with self._cursors_lock:
            row = self._cursors.execute("SELECT seq FROM followers WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_cursor(self, name: str, seq: int) -> None:
        """Store where follower `name` stands (committed at once, on the cursors' own connection);
        raises JournalError."""
        with self._cursors_lock:
            try:
                self._cursors.execute(
                    "INSERT INTO followers(name, seq, updated_at) VALUES (?,?,?) ON CONFLICT(name) DO UPDATE "
                    "SET seq = excluded.seq, updated_at = excluded.updated_at",
                    (name, seq, datetime.now(UTC).isoformat()))
            except sqlite3.Error as err:
                raise self._fail(err) from None

    def read(self, *, after: int, upto: int, types: list[str], limit: int) -> list[Event]:
        """Events of these types with after < seq <= upto, oldest first (for followers)."""
        marks = ",".join("?" * len(types))
        with self._lock:
            rows = self._db.execute(f"SELECT body FROM events WHERE seq > ? AND seq <= ? AND type IN ({marks}) "
                                    "ORDER BY seq LIMIT ?", (after, upto, *types, limit)).fetchall()
        return [Event.model_validate_json(body) for (body,) in rows]

    def latest(self, models: Iterable[type[Payload]], *, within: int) -> list[Event]:
        """Events of these types among the last `within` recorded, oldest first: history for a
        screen that starts, not a way to consume events (that is follow())."""
        types = [m.TYPE for m in models]
        marks = ",".join("?" * len(types))
        with self._lock:
            rows = self._db.execute(f"SELECT body FROM events WHERE seq > (SELECT COALESCE(MAX(seq), 0) FROM events)"
                                    f" - ? AND type IN ({marks}) ORDER BY seq", (within, *types)).fetchall()
        return [Event.model_validate_json(body) for (body,) in rows]

    # -- outbox ----------------------------------------------------------------------------------

    def pending(self, after_seq: int = 0, limit: int = 500) -> list[Pending]:
        """Outbox events after `after_seq`, in seq order, at most `limit`: what the uplink has still to
        send (or send again) because central has not acknowledged it."""
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
        """How many events are in the outbox (recorded, not yet acknowledged by central)."""
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def last_seq(self) -> int:
        """The seq of the newest event (0 for an empty journal)."""
        with self._lock:
            return self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]

    def events(self, after_seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Stored events as on the wire, for tools and tests that inspect the journal."""
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

    def apply_command(self, command: Command, handlers: CommandHandlers) -> Event | None:
        """Apply a command once. Returns the `command.applied` event, or None for a repeat.

        The handler's changes, the command's id and the acknowledgement event commit together.
        A handler that raises (or no handler for the type) gives a 'rejected' acknowledgement,
        so central stops retrying and shows why.
        """
        with self._txn() as db:
            if self._seen_command(db, command.id):
                return None
            handler = handlers.bind(command)
            status: Literal["applied", "rejected"] = "applied"
            detail, result = None, None
            if handler is None:
                status, detail = "rejected", f"this edge has no handler for {command.type!r}"
            else:
                db.execute("SAVEPOINT handler")
                try:
                    result = handler(db)
                    db.execute("RELEASE handler")
                except Exception as err:  # the handler's own failure is reported, not raised
                    db.execute("ROLLBACK TO handler")
                    db.execute("RELEASE handler")
                    status, detail = "rejected", f"{type(err).__name__}: {err}"[:500]
            self._note_command(db, command.id, command.type, status, detail)
            event = self._append(db, CommandApplied(command_id=command.id, command_type=command.type, status=status,
                                                    detail=detail, result=result))
        self._notify()
        return event

    def reject_command(self, command_id: str, command_type: str, detail: str) -> Event | None:
        """Acknowledge a command this edge cannot apply (invalid, misaddressed), once per id."""
        with self._txn() as db:
            if self._seen_command(db, command_id):
                return None
            self._note_command(db, command_id, command_type, "rejected", detail[:500])
            try:
                event = self._append(db, CommandApplied(command_id=command_id, command_type=command_type,
                                                        status="rejected", detail=detail[:500]))
            except SchemaError:
                raise JournalError(f"cannot acknowledge command {command_id!r}: unusable id or type") from None
        self._notify()
        return event

    @staticmethod
    def _seen_command(db: sqlite3.Connection, command_id: str) -> bool:
        return db.execute("SELECT 1 FROM commands WHERE command_id = ?", (command_id,)).fetchone() is not None

    @staticmethod
    def _note_command(db: sqlite3.Connection, command_id: str, command_type: str, status: str,
                      detail: str | None) -> None:
        db.execute("INSERT INTO commands(command_id, type, received_at, status, detail) VALUES (?,?,?,?,?)",
                   (command_id, command_type, datetime.now(UTC).isoformat(), status, detail))

    def command_status(self, command_id: str) -> str | None:
        """What became of a command at this edge ('applied' or 'rejected'), or None if never seen."""
        with self._lock:
            row = self._db.execute("SELECT status FROM commands WHERE command_id = ?", (command_id,)).fetchone()
        return row[0] if row else None

    # -- settings ---------------------------------------------------------------------------

    def setting(self, key: str, default: Any = None) -> Any:
        """A setting a command handler stored (put_setting), decoded from JSON; `default` when unset."""
        with self._lock:
            row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def close(self) -> None:
        with self._lock, self._cursors_lock:
            self._db.close()
            self._cursors.close()


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

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        committed = False
        try:
            if exc_type is None:
                try:
                    self.j._db.execute("COMMIT")
                    committed = True
                    return
                except sqlite3.Error as err:
                    self._rollback()
                    raise self.j._fail(err) from None
            self._rollback()
            if isinstance(exc, sqlite3.Error):
                raise self.j._fail(exc) from None
        finally:
            # Taken under the lock, run after it is released: emptying a WAL must not hold up
            # every producer of events.
            work = self.j._take_after_commit(committed)
            self.j._lock.release()
            self.j._run_after_commit(work)

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


__all__ = ["Follower", "Journal", "JournalError", "JournalFullError", "Pending", "SchemaError", "put_setting",
           "wait_for_backlog"]
