"""The one interface every edge store holding residents' personal data offers the privacy service.

Each store owns its erasure code (edge/journal_personal_data.py, edge/phone/personal_data.py,
edge/printing/personal_data.py, edge/access/personal_data.py, edge/transcribe/personal_data.py);
the privacy service (service.py) owns the commands and calls them in turn:

    link(db, match)                 add what this store knows about the person to the match
                                    (their calls' and visits' ids, their numbers and cards)
    erase(db, match, done)          remove or redact the person's data; counts into `done`
    expire(db, kind, cutoff, done)  retention: personal data of `kind` older than `cutoff`

`db` is the journal file's connection inside the transaction that records the command's
acknowledgement (stores living in journal.db use it, so their changes commit with it); stores in
files of their own open them and tell `done` which database files they touched, so their WAL is
emptied afterwards.
"""
from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from .match import Match


@dataclass
class Outcome:
    """What one erasure or retention run did: counts per place, what could not be done, and which
    database files were touched."""

    keys: tuple[str, ...] = ()
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    databases: set[Path] = field(default_factory=set)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] += n

    def error(self, text: str) -> None:
        self.errors.append(text[:300])

    def touched(self, path: str | Path) -> None:
        self.databases.add(Path(path))

    def result(self) -> dict[str, Any]:
        """Counts for every key (zeros too, so an answer always has the same shape), and `errors`
        when something could not be done. Never the data itself."""
        done: dict[str, Any] = {key: self.counts.get(key, 0) for key in self.keys}
        done.update({k: v for k, v in self.counts.items() if k not in done})
        if self.errors:
            done["errors"] = self.errors[:20]
        return done


class PersonalData(Protocol):
    """A store of residents' personal data on the edge (see the module docstring)."""

    name: str
    # The counts this store answers with (always present in a result, zero when nothing matched).
    keys: tuple[str, ...]

    def link(self, db: sqlite3.Connection, match: Match) -> None:
        """Add ids and identifiers this store holds for the person to `match`."""

    def erase(self, db: sqlite3.Connection, match: Match, done: Outcome) -> None:
        """Remove or redact the person's data."""

    def expire(self, db: sqlite3.Connection, kind: str, cutoff: datetime, done: Outcome) -> None:
        """Remove or redact personal data of `kind` (frontdesk.schema.privacy.RETENTION_KINDS)
        recorded before `cutoff` (UTC)."""


def table_exists(db: sqlite3.Connection, table: str) -> bool:
    """True when the journal file has this table (a store whose service never ran has none)."""
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None


def inside(path: str | Path, root: Path) -> Path | None:
    """`path` resolved, if it lies inside `root` (a path read from a record is input, not an order)."""
    try:
        resolved = Path(path).resolve()
        resolved.relative_to(root.resolve())
    except (OSError, ValueError):
        return None
    return resolved


__all__ = ["Outcome", "PersonalData", "inside", "table_exists"]
