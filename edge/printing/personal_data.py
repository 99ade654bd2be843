"""The printing service's part of erasure and retention (edge/privacy/base.py PersonalData): print
jobs keep the slip's fields (names, units, phone numbers) in journal.db's print_jobs table."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from ..privacy.base import Outcome, table_exists
from ..privacy.match import Match


class PrintJobsPersonalData:
    """Jobs whose slip names the person are deleted (queued ones too: they would print the data
    again); retention deletes every job older than the period."""

    name: str = "print_jobs"
    keys: tuple[str, ...] = ("print_jobs",)

    def link(self, db: sqlite3.Connection, match: Match) -> None:
        """A slip's fields are found through the match; they add nothing to it."""

    def erase(self, db: sqlite3.Connection, match: Match, done: Outcome) -> None:
        if not table_exists(db, "print_jobs"):
            return
        doomed = []
        for n, data in db.execute("SELECT n, data FROM print_jobs").fetchall():
            try:
                fields = json.loads(data)
            except ValueError:
                continue
            if match.touches(fields):
                doomed.append((n,))
        db.executemany("DELETE FROM print_jobs WHERE n = ?", doomed)
        done.count("print_jobs", len(doomed))

    def expire(self, db: sqlite3.Connection, kind: str, cutoff: datetime, done: Outcome) -> None:
        if kind == "print_jobs" and table_exists(db, "print_jobs"):
            cur = db.execute("DELETE FROM print_jobs WHERE created < ?", (cutoff.timestamp(),))
            done.count("print_jobs", cur.rowcount)


__all__ = ["PrintJobsPersonalData"]
