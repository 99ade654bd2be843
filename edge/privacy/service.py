"""The privacy service: owns `privacy.erase` and `retention.set`, and applies retention hourly.

The agent builds it after every device service, so each has added its store to
ctx.personal_data (places.py adds the stores of services not running here). An erasure runs
inside the journal transaction that records the command's acknowledgement: the journal file's
stores change with it, all or nothing; files (recordings) and transcribe.db change as it runs (a
repeat finds nothing more to do). Once committed, every touched database's WAL is emptied
(TRUNCATE); if a raw read of a database file still finds one of the person's identifiers (pages
freed before secure_delete was on), the file is rebuilt (VACUUM).
"""
from __future__ import annotations

import functools
import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from frontdesk.schema.privacy import RETENTION_KINDS, PrivacyErase, RetentionApplied, RetentionSet, Subject

from .. import dbfile
from ..journal import JournalError, put_setting
from ..services import EdgeContext
from .base import Outcome, PersonalData
from .config import RetentionConfig
from .find import raw_hits
from .match import Match
from .places import all_places

log = logging.getLogger("frontdesk.edge.privacy")

# The site's retention days from central (retention.set), in the journal's settings.
RETENTION_SETTING = "privacy.retention"
# Linking order: a number from the directory finds calls, a card from the allow-list finds scans,
# a visit of a name in a unit finds its events; the journal then links calls and visits to recordings.
LINK_FIRST = ("directory", "access", "journal")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class PrivacyService:
    """Erasure and retention over every store of personal data on this edge."""

    name = "privacy"

    def __init__(self, cfg: RetentionConfig, ctx: EdgeContext, *, clock: Clock = utc_now,
                 area_code: str | None = None) -> None:
        self.cfg, self.ctx, self.clock = cfg, ctx, clock
        self.journal = ctx.journal
        self.places: list[PersonalData] = all_places(ctx.personal_data, ctx.journal.path, Path(ctx.data_dir))
        self.area_code = area_code or next((a for p in self.places if (a := getattr(p, "area_code", None))), None)
        ctx.commands.on(PrivacyErase, self._on_erase)
        ctx.commands.on(RetentionSet, self._on_retention_set)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_retention: dict[str, dict[str, int]] | None = None

    def keys(self) -> tuple[str, ...]:
        return tuple(k for p in self.places for k in p.keys)

    # -- erasure ---------------------------------------------------------------------------------

    def match(self, db: sqlite3.Connection, subject: Subject) -> Match:
        """The subject with everything the stores link to them (their calls, visits, numbers, cards)."""
        match = Match.of(subject, self.ctx.country, self.area_code)
        # The stores that add numbers and cards first, so the journal's one pass finds their calls and scans.
        for place in sorted(self.places, key=lambda p: LINK_FIRST.index(p.name) if p.name in LINK_FIRST else 9):
            place.link(db, match)
        return match

    def erase(self, db: sqlite3.Connection, subject: Subject) -> dict[str, Any]:
        """Erase the subject from every store, inside the journal transaction `db` belongs to;
        returns counts per place. The WALs are emptied once that transaction commits."""
        match = self.match(db, subject)
        done = Outcome(keys=self.keys())
        for place in self.places:
            place.erase(db, match, done)
        self.journal.after_commit(functools.partial(self._tidy, sorted(done.databases), match.needles()))
        result = done.result()
        log.info("privacy: erasure done: %s", {k: v for k, v in result.items() if k != "errors"})
        for error in done.errors:
            log.warning("privacy: erasure could not remove %s", error)
        return result

    def _on_erase(self, db: sqlite3.Connection, payload: PrivacyErase) -> dict[str, Any]:
        return {"request_id": payload.request_id, **self.erase(db, payload.subject)}

    def erase_now(self, subject: Subject) -> dict[str, Any]:
        """An erasure in a transaction of its own (the command line, an edge without central)."""
        with self.journal.transaction() as db:
            return self.erase(db, subject)

    @staticmethod
    def _tidy(databases: list[Path], needles: list[bytes]) -> None:
        for path in databases:
            dbfile.checkpoint(path)
            if needles and raw_hits(path, needles):
                log.warning("privacy: %s still held erased bytes in unused space; rebuilding it (VACUUM)", path)
                dbfile.vacuum(path)

    # -- retention -------------------------------------------------------------------------------

    def days(self) -> dict[str, int]:
        """Days per kind in force: the site's (retention.set) over this edge's [retention]."""
        days = self.cfg.days()
        site = self.journal.setting(RETENTION_SETTING, {}) or {}
        days.update({k: int(v) for k, v in site.items() if k in RETENTION_KINDS and isinstance(v, int)})
        return days

    def _on_retention_set(self, db: sqlite3.Connection, payload: RetentionSet) -> dict[str, Any]:
        put_setting(db, RETENTION_SETTING, dict(payload.days))
        self.journal.after_commit(self._wake.set)  # apply the new periods now, not in an hour
        days = self.cfg.days()
        days.update(payload.days)
        return {"days": days}

    def apply_retention(self) -> dict[str, dict[str, int]]:
        """Apply the periods in force once, now (the injected clock's now): counts per kind and place,
        logged and journaled (privacy.retention_applied) when anything was removed."""
        now, days = self.clock(), self.days()
        by_kind: dict[str, dict[str, int]] = {}
        touched: set[Path] = set()
        with self.journal.transaction() as db:
            for kind, n in days.items():
                if n <= 0:
                    continue  # 0 = kept for ever
                done = Outcome()
                for place in self.places:
                    place.expire(db, kind, now - timedelta(days=n), done)
                touched |= done.databases
                for error in done.errors:
                    log.warning("privacy: retention (%s) could not remove %s", kind, error)
                if counts := {k: v for k, v in done.counts.items() if v}:
                    by_kind[kind] = counts
        self.last_retention = by_kind
        if by_kind:
            log.info("privacy: retention removed %s (days %s)", by_kind, days)
            try:
                self.journal.record(RetentionApplied(days=days, counts=by_kind))
            except JournalError:
                log.exception("privacy: could not journal the retention run")
        self._tidy(sorted(touched), [])  # after the event, so the WAL is left empty
        return by_kind

    # -- lifecycle -------------------------------------------------------------------------------

    def wake(self) -> None:
        """Run retention now instead of at the end of the interval."""
        self._wake.set()

    def start(self) -> None:
        """Apply retention now and then every [retention] every_s (or at once after retention.set)."""
        self._thread = threading.Thread(target=self._run, name="privacy-retention", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not (self._stop.is_set() or self.ctx.stopping.is_set()):
            try:
                self.apply_retention()
            except Exception:  # a bad row or a full disk must not end retention for good
                log.exception("privacy: retention run failed; trying again at the next interval")
            self._wake.wait(self.cfg.every_s)
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)


__all__ = ["RETENTION_SETTING", "PrivacyService", "utc_now"]
