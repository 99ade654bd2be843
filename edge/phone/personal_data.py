"""The phone service's part of erasure and retention (edge/privacy/base.py PersonalData): the
resident directory and blocklist central pushed down, and the recorded voice messages."""
from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path

from ..journal import put_setting
from ..privacy.base import Outcome, inside
from ..privacy.match import Match, safe_id
from .directory import BLOCKLIST_KEY, DIRECTORY_KEY, Directory


def _setting(db: sqlite3.Connection, key: str) -> object:
    row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    try:
        return json.loads(row[0]) if row else None
    except ValueError:
        return None


class DirectoryPersonalData:
    """Directory lines (number -> unit, name) and blocked numbers, in the journal's settings."""

    name: str = "directory"
    keys: tuple[str, ...] = ("directory", "blocklist")

    def __init__(self, directory: Directory | None = None, area_code: str | None = None) -> None:
        # The running phone service's directory, whose cached copy must be read again afterwards.
        self.directory = directory
        self.area_code = area_code

    def _owned(self, match: Match, number: str, entry: object) -> bool:
        if match.is_phone(number):
            return True
        return (isinstance(entry, dict) and match.is_unit(entry.get("unit"))
                and isinstance(entry.get("name"), str) and match.is_name(entry["name"]))

    def link(self, db: sqlite3.Connection, match: Match) -> None:
        table = _setting(db, DIRECTORY_KEY)
        if isinstance(table, dict):
            for number, entry in table.items():
                if self._owned(match, number, entry):
                    match.add_phone(number)  # the resident's number finds their calls

    def erase(self, db: sqlite3.Connection, match: Match, done: Outcome) -> None:
        table = _setting(db, DIRECTORY_KEY)
        if isinstance(table, dict):
            kept = {n: e for n, e in table.items() if not self._owned(match, n, e)}
            if len(kept) != len(table):
                put_setting(db, DIRECTORY_KEY, kept)
                done.count("directory", len(table) - len(kept))
        blocked = _setting(db, BLOCKLIST_KEY)
        if isinstance(blocked, list):
            kept_numbers = [n for n in blocked if not (isinstance(n, str) and match.is_phone(n))]
            if len(kept_numbers) != len(blocked):
                put_setting(db, BLOCKLIST_KEY, kept_numbers)
                done.count("blocklist", len(blocked) - len(kept_numbers))
        if self.directory is not None:
            self.directory.forget()

    def expire(self, db: sqlite3.Connection, kind: str, cutoff: datetime, done: Outcome) -> None:
        """The directory is today's list from central, not a record: nothing expires here."""


class RecordingsPersonalData:
    """Voice messages: <data_dir>/recordings/<local date>/<call_id>.wav."""

    name: str = "recordings"
    keys: tuple[str, ...] = ("recordings",)

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "recordings"

    def link(self, db: sqlite3.Connection, match: Match) -> None:
        """Recordings know nothing the journal does not."""

    def files_of(self, match: Match) -> set[Path]:
        """The person's recordings still on disk: by call id, and the paths the journal named for
        their calls (only inside the data folder)."""
        found: set[Path] = set()
        if self.root.is_dir():
            for call_id in filter(safe_id, match.call_ids):
                found |= {p for p in self.root.glob(f"*/{call_id}.wav") if p.is_file()}
        for named in match.recording_paths:
            path = inside(named if Path(named).is_absolute() else self.data_dir / named, self.data_dir)
            if path is not None and path.is_file():
                found.add(path)
        return found

    def erase(self, db: sqlite3.Connection, match: Match, done: Outcome) -> None:
        for path in sorted(self.files_of(match)):
            remove(path, self.data_dir, "recordings", done)

    def expire(self, db: sqlite3.Connection, kind: str, cutoff: datetime, done: Outcome) -> None:
        if kind == "recordings" and self.root.is_dir():
            expire_files(self.root, "*.wav", cutoff, self.data_dir, "recordings", done)


def remove(path: Path, data_dir: Path, key: str, done: Outcome) -> bool:
    """Delete one file, counting it under `key`; a file that cannot be deleted is reported (its name
    relative to the data folder, and why), never raised."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as err:
        done.count(f"{key}_not_deleted")
        done.error(f"{path.relative_to(data_dir) if path.is_relative_to(data_dir) else path.name}: "
                   f"{err.strerror or type(err).__name__}")
        return False
    done.count(key)
    return True


def expire_files(root: Path, pattern: str, cutoff: datetime, data_dir: Path, key: str, done: Outcome) -> None:
    """Delete files under `root` last written before `cutoff`, then the folders left empty."""
    limit = cutoff.timestamp()
    for path in sorted(root.rglob(pattern)):
        try:
            old = path.is_file() and path.stat().st_mtime < limit
        except OSError:
            continue
        if old:
            remove(path, data_dir, key, done)
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        try:
            os.rmdir(folder)  # only if empty
        except OSError:
            pass


__all__ = ["DirectoryPersonalData", "RecordingsPersonalData", "expire_files", "remove"]
