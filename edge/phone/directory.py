"""The resident directory and the blocklist that central pushes down, kept in the journal's
settings table (so they survive restarts and apply in the same transaction as their ack)."""
from __future__ import annotations

import sqlite3
import threading
from typing import Any

from frontdesk.drivers.modem.callerid import normalise
from frontdesk.edge.journal import Journal, put_setting
from frontdesk.schema.call import BlocklistReplace, DirectoryReplace

DIRECTORY_KEY = "phone.directory"
BLOCKLIST_KEY = "phone.blocklist"


class Directory:
    """Residents' numbers and blocked numbers pushed by central, read from the journal's settings on
    first use and again after each replace; thread-safe."""
    def __init__(self, journal: Journal, country: str, area_code: str | None) -> None:
        self.journal = journal
        self.country, self.area_code = country, area_code
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, Any]] | None = None
        self._blocked: set[str] | None = None

    def norm(self, number: str | None) -> str | None:
        """A caller-ID number in the form the directory and blocklist are keyed by (None for no number)."""
        return normalise(number, self.country, self.area_code)

    # Command handlers: run inside the journal transaction that records the acknowledgement.
    def replace_directory(self, db: sqlite3.Connection, payload: DirectoryReplace) -> dict[str, Any]:
        """directory.replace: the residents' numbers, replaced in the command's transaction."""
        table: dict[str, dict[str, Any]] = {}
        for entry in payload.entries:
            key = self.norm(entry.number)
            if key:
                table[key] = {"unit": entry.unit, "name": entry.name}
        put_setting(db, DIRECTORY_KEY, table)
        with self._lock:
            self._entries = None
        return {"entries": len(table)}

    def replace_blocklist(self, db: sqlite3.Connection, payload: BlocklistReplace) -> dict[str, Any]:
        """blocklist.replace: the numbers never put through, replaced in the command's transaction."""
        numbers = sorted({n for n in (self.norm(x) for x in payload.numbers) if n})
        put_setting(db, BLOCKLIST_KEY, numbers)
        with self._lock:
            self._blocked = None
        return {"numbers": len(numbers)}

    def forget(self) -> None:
        """Read the directory and blocklist again on next use (an erasure changed them)."""
        with self._lock:
            self._entries, self._blocked = None, None

    def lookup(self, number: str | None) -> dict[str, Any] | None:
        """The directory entry ({"unit", "name"}) for a normalised number, or None."""
        if not number:
            return None
        with self._lock:
            if self._entries is None:
                self._entries = self.journal.setting(DIRECTORY_KEY, {}) or {}
            return self._entries.get(number)

    def blocked(self, number: str | None) -> bool:
        """True if this normalised number is on the blocklist."""
        if not number:
            return False
        with self._lock:
            if self._blocked is None:
                self._blocked = set(self.journal.setting(BLOCKLIST_KEY, []) or [])
            return number in self._blocked
