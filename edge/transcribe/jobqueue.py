"""The durable queue of recordings waiting for a transcript.

Kept in its own SQLite file, ctx.data_dir/transcribe.db (WAL, synchronous=FULL), so the journal's
schema stays the journal's. A job for a recorded message has the call.message_recorded event's id,
and inserting it again changes nothing: the service's journal follower, which hands each event at
least once, neither skips nor repeats a recording. A job leaves the queue (state done/failed) only
after its event is committed in the journal; the event carries the job id, so after a crash
between the two the follower marks the job done and the transcript is not made twice.
"""
from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from .. import dbfile

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,          -- the call.message_recorded event id, or a new id for a note
    kind TEXT NOT NULL,               -- call | note
    state TEXT NOT NULL,              -- recording | queued | done | failed
    path TEXT NOT NULL,
    codec TEXT,
    rate INTEGER,
    language TEXT,
    call_id TEXT,
    ticket_id TEXT,
    author TEXT,
    dtmf TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,   -- unix time; retries wait for their back-off
    notified TEXT,                    -- the last failure reason already on the record
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_waiting ON jobs(state, not_before);
"""


@dataclass
class Job:
    """One recording (or dictated note) waiting for, or done with, its transcript."""

    job_id: str
    kind: Literal["call", "note"]
    state: str
    path: str
    codec: str | None
    rate: int | None
    language: str | None
    call_id: str | None
    ticket_id: str | None
    author: str | None
    dtmf: str | None
    attempts: int
    not_before: float
    notified: str | None
    last_error: str | None


_COLS = "job_id, kind, state, path, codec, rate, language, call_id, ticket_id, author, dtmf, attempts, " \
        "not_before, notified, last_error"


def _now() -> str:
    return datetime.now(UTC).isoformat()


class JobQueue:
    """The queue in its SQLite file (created with its folder if missing); one connection behind one
    lock, so every method is thread-safe."""
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = dbfile.connect(self.path)
        self._db.executescript(SCHEMA)

    def _write(self, sql: str, args: tuple = ()) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    @staticmethod
    def _insert(db: sqlite3.Connection, j: dict[str, Any]) -> None:
        now = _now()
        db.execute("INSERT OR IGNORE INTO jobs(job_id, kind, state, path, codec, rate, language, call_id, ticket_id, "
                   "author, dtmf, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (j["job_id"], j["kind"], j.get("state", "queued"), j["path"], j.get("codec"), j.get("rate"),
                    j.get("language"), j.get("call_id"), j.get("ticket_id"), j.get("author"), j.get("dtmf"), now, now))

    def add(self, **job: Any) -> None:
        """Queue a job; a job id already known is left as it is."""
        with self._lock:
            self._insert(self._db, job)

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None."""
        with self._lock:
            row = self._db.execute(f"SELECT {_COLS} FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return Job(*row) if row else None

    def due(self, now: float, limit: int = 20) -> list[Job]:
        """Queued jobs whose wait is over at `now` (unix time), oldest first, at most `limit`."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLS} FROM jobs WHERE state = 'queued' AND not_before <= ? "
                                    "ORDER BY created_at, job_id LIMIT ?", (now, limit)).fetchall()
        return [Job(*r) for r in rows]

    def waiting(self) -> list[Job]:
        """Jobs still queued or recording, oldest first."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLS} FROM jobs WHERE state IN ('queued', 'recording') "
                                    "ORDER BY created_at").fetchall()
        return [Job(*r) for r in rows]

    def next_due_at(self) -> float | None:
        """When (unix time) the earliest queued job falls due, or None when nothing is queued."""
        with self._lock:
            row = self._db.execute("SELECT MIN(not_before) FROM jobs WHERE state = 'queued'").fetchone()
        return row[0]

    def set_state(self, job_id: str, state: str, *, error: str | None = None) -> None:
        """Set a job's state; `error`, if given, replaces its last error."""
        self._write("UPDATE jobs SET state = ?, last_error = COALESCE(?, last_error), updated_at = ? WHERE job_id = ?",
                    (state, error, _now(), job_id))

    def retry_later(self, job_id: str, *, at: float, error: str, attempts: int, notified: str | None) -> None:
        """Keep a job queued but not before `at` (unix time), with its attempt count, error, and the
        failure reason already journaled for it (`notified`)."""
        self._write("UPDATE jobs SET attempts = ?, not_before = ?, last_error = ?, notified = ?, updated_at = ? "
                    "WHERE job_id = ?", (attempts, at, error, notified, _now(), job_id))

    def due_now(self) -> None:
        """On start-up: waiting jobs are tried at once (the model may have been installed meanwhile)."""
        self._write("UPDATE jobs SET not_before = 0 WHERE state = 'queued'")

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state."""
        with self._lock:
            return dict(self._db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())

    def close(self) -> None:
        with self._lock:
            self._db.close()
