"""The access service's part of erasure and retention (edge/privacy/base.py PersonalData): the card
allow-list (holders' names and units) and the visits checked in at this post, in journal.db."""
from __future__ import annotations

import sqlite3
from datetime import datetime

from ..privacy.base import Outcome, table_exists
from ..privacy.match import Match


class AccessPersonalData:
    """access_cards and access_visits; used passes and revocations hold only pass ids."""

    name: str = "access"
    keys: tuple[str, ...] = ("cards", "visits")

    @staticmethod
    def _card_is_theirs(match: Match, card_id: str, holder: str, unit: str | None) -> bool:
        return match.is_card(card_id) or (match.is_unit(unit) and match.names(holder))

    @staticmethod
    def _visit_is_theirs(match: Match, visit_id: str, name: str, unit: str) -> bool:
        return visit_id in match.visit_ids or (match.is_unit(unit) and match.names(name))

    def link(self, db: sqlite3.Connection, match: Match) -> None:
        if table_exists(db, "access_cards"):
            for card_id, holder, unit in db.execute("SELECT card_id, holder, unit FROM access_cards").fetchall():
                if match.unit and match.is_unit(unit) and match.names(holder):
                    match.add_card(card_id)  # the resident's card finds their scans
        if table_exists(db, "access_visits"):
            rows = db.execute("SELECT visit_id, visitor_name, host_unit FROM access_visits").fetchall()
            match.add_links(("visit_id", v) for v, name, unit in rows if self._visit_is_theirs(match, v, name, unit))

    def erase(self, db: sqlite3.Connection, match: Match, done: Outcome) -> None:
        if table_exists(db, "access_cards"):
            rows = db.execute("SELECT card_id, holder, unit FROM access_cards").fetchall()
            cards = [(c,) for c, holder, unit in rows if self._card_is_theirs(match, c, holder, unit)]
            db.executemany("DELETE FROM access_cards WHERE card_id = ?", cards)
            done.count("cards", len(cards))
        if table_exists(db, "access_visits"):
            rows = db.execute("SELECT visit_id, visitor_name, host_unit FROM access_visits").fetchall()
            visits = [(v,) for v, name, unit in rows if self._visit_is_theirs(match, v, name, unit)]
            db.executemany("DELETE FROM access_visits WHERE visit_id = ?", visits)
            done.count("visits", len(visits))

    def expire(self, db: sqlite3.Connection, kind: str, cutoff: datetime, done: Outcome) -> None:
        if kind == "visits" and table_exists(db, "access_visits"):
            cur = db.execute("DELETE FROM access_visits WHERE checked_in_at < ?", (cutoff.isoformat(),))
            done.count("visits", cur.rowcount)


__all__ = ["AccessPersonalData"]
