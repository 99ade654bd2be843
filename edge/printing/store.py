"""The durable print queue: a `print_jobs` table in the edge journal's SQLite file.

Living in the journal file lets a print.slip command's job row commit in the same transaction
as the command's acknowledgement (a command is either queued and acknowledged, or neither).
The queue's own connection uses WAL, synchronous=FULL and a busy timeout like the journal.

A job moves queued -> sending -> sent -> confirmed, or to failed. 'sending' is committed before
the first byte goes out, so after a crash or power cut a job found in 'sending' or 'sent' is
known to have (maybe) reached the printer and is never sent again by itself: it is failed with
maybe_printed, and only a reprint prints it again. A job found 'queued' prints normally.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from frontdesk.schema.printing import Language, SlipKind

from .. import dbfile

Source = Literal["command", "event", "reprint", "local"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS print_jobs (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    language TEXT NOT NULL,
    data TEXT NOT NULL,
    printer TEXT NOT NULL,
    source TEXT NOT NULL,
    reprint_of TEXT,
    state TEXT NOT NULL CHECK (state IN ('queued','sending','sent','confirmed','failed')),
    announced INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS print_jobs_state ON print_jobs(state, printer, n);
"""


@dataclass(frozen=True)
class Job:
    """One print job as stored (a print_jobs row); `n` is its place in the queue."""
    n: int
    job_id: str
    kind: SlipKind
    language: Language
    data: dict[str, Any]
    printer: str
    source: Source
    reprint_of: str | None
    state: str
    announced: bool
    attempts: int
    bytes: int
    error: str | None
    created: float


_COLS = ("n, job_id, kind, language, data, printer, source, reprint_of, state, announced, attempts, bytes, error, "
         "created")


def _job(row) -> Job:
    n, job_id, kind, lang, data, printer, source, reprint_of, state, announced, attempts, nbytes, error, created = row
    return Job(n, job_id, kind, lang, json.loads(data), printer, source, reprint_of, state, bool(announced),
               attempts, nbytes, error, created)


def ensure_schema(db: sqlite3.Connection) -> None:
    """Create the print_jobs table and its index if they are missing (idempotent)."""
    db.executescript(SCHEMA)


def insert_job(db: sqlite3.Connection, *, job_id: str, kind: str, language: str, data: dict[str, Any],
               printer: str, source: str, reprint_of: str | None = None) -> bool:
    """Queue a job on an open connection (e.g. inside the journal's command transaction).
    Returns False when the job id is already known: asking twice never prints twice."""
    now = time.time()
    cur = db.execute(
        "INSERT OR IGNORE INTO print_jobs(job_id, kind, language, data, printer, source, reprint_of, state, "
        "created, updated) VALUES (?,?,?,?,?,?,?, 'queued', ?, ?)",
        (job_id, kind, language, json.dumps(data, ensure_ascii=False), printer, source, reprint_of, now, now))
    return cur.rowcount == 1


def find_job(db: sqlite3.Connection, job_id: str) -> Job | None:
    """The job with this id, read on an open connection, or None."""
    row = db.execute(f"SELECT {_COLS} FROM print_jobs WHERE job_id = ?", (job_id,)).fetchone()
    return _job(row) if row else None


def next_reprint_id(db: sqlite3.Connection, job_id: str) -> str:
    """A new id for a reprint of `job_id`: the id (at most 70 characters) + '.rN', N one more than
    its reprints so far."""
    (count,) = db.execute("SELECT COUNT(*) FROM print_jobs WHERE reprint_of = ?", (job_id,)).fetchone()
    return f"{job_id[:70]}.r{count + 1}"


class JobStore:
    """The print queue through a connection of its own (WAL, synchronous=FULL); thread-safe."""
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self.db = dbfile.connect(self.path)
        with self._lock:
            ensure_schema(self.db)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def _write(self, sql: str, args: tuple) -> int:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                cur = self.db.execute(sql, args)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            return cur.rowcount

    def add(self, **job: Any) -> bool:
        """Queue a job (insert_job's fields) in a transaction of its own; False if its id is already known."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                added = insert_job(self.db, **job)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            return added

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None."""
        with self._lock:
            return find_job(self.db, job_id)

    def all(self) -> list[Job]:
        """Every job in the table, in queue order."""
        with self._lock:
            return [_job(r) for r in self.db.execute(f"SELECT {_COLS} FROM print_jobs ORDER BY n")]

    def next_queued(self, printer: str) -> Job | None:
        """The oldest queued job for this printer, or None."""
        with self._lock:
            row = self.db.execute(f"SELECT {_COLS} FROM print_jobs WHERE state = 'queued' AND printer = ? "
                                  "ORDER BY n LIMIT 1", (printer,)).fetchone()
        return _job(row) if row else None

    def count_queued(self, printer: str) -> int:
        """How many jobs are queued for this printer."""
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM print_jobs WHERE state = 'queued' AND printer = ?",
                                   (printer,)).fetchone()[0]

    def queued_printers(self) -> list[str]:
        """The printers that have at least one queued job."""
        with self._lock:
            return [r[0] for r in self.db.execute("SELECT DISTINCT printer FROM print_jobs WHERE state = 'queued'")]

    def unannounced(self) -> list[Job]:
        """Jobs whose print.job.queued event is not journaled yet, in queue order."""
        with self._lock:
            return [_job(r) for r in self.db.execute(
                f"SELECT {_COLS} FROM print_jobs WHERE announced = 0 ORDER BY n")]

    def mark_announced(self, job_id: str) -> None:
        """Note that the job's print.job.queued event is journaled."""
        self._write("UPDATE print_jobs SET announced = 1 WHERE job_id = ?", (job_id,))

    def move(self, from_printer: str, to_printer: str) -> int:
        """Hand every queued job of one printer to another (failover)."""
        return self._write("UPDATE print_jobs SET printer = ?, updated = ? WHERE state = 'queued' AND printer = ?",
                           (to_printer, time.time(), from_printer))

    def set_state(self, job_id: str, state: str, *, expect: str | None = None, error: str | None = None,
                  nbytes: int | None = None, attempt: bool = False, printer: str | None = None) -> bool:
        """Move a job to `state`, recording what is given (error, bytes sent, one more attempt, another
        printer); with `expect`, only from that state. True if the job was changed."""
        sets = ["state = ?", "updated = ?"]
        args: list[Any] = [state, time.time()]
        if error is not None:
            sets.append("error = ?")
            args.append(error[:500])
        if nbytes is not None:
            sets.append("bytes = ?")
            args.append(nbytes)
        if attempt:
            sets.append("attempts = attempts + 1")
        if printer is not None:
            sets.append("printer = ?")
            args.append(printer)
        where = "job_id = ?"
        args.append(job_id)
        if expect:
            where += " AND state = ?"
            args.append(expect)
        return self._write(f"UPDATE print_jobs SET {', '.join(sets)} WHERE {where}", tuple(args)) == 1

    def interrupted(self) -> list[Job]:
        """Jobs a previous run left between first byte and confirmation."""
        with self._lock:
            return [_job(r) for r in self.db.execute(
                f"SELECT {_COLS} FROM print_jobs WHERE state IN ('sending','sent') ORDER BY n")]
