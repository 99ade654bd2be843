"""The journal's part of erasure and retention (edge/privacy/base.py PersonalData).

The journal is the edge's record of what happened: its event rows stay (their ids and seq are
what sync counts on; an event still in the outbox must reach central), only the personal values
inside their payloads are replaced, at any depth. An event not yet sent is redacted here before
the uplink sends it (it reads the body from this table). Central erases its own copy when asked.

    events    payloads redacted (erasure), or the personal fields of one kind blanked (retention)
    commands  the `detail` of answered commands (a refusal may quote what a command carried)
    settings  values central pushed with settings.update (the phone directory and blocklist are
              the phone service's: edge/phone/personal_data.py)
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from .privacy.base import Outcome
from .privacy.match import ERASED, EXPIRED, Match, blank_keys

CALL_TYPES = ("call.ringing", "call.answered", "call.missed", "call.message_recorded", "call.ended")
TRANSCRIPT_TYPES = ("call.transcribed", "note.transcribed")
# Retention: kind -> (event types, the payload fields of that kind blanked once older than the period).
RETENTION_FIELDS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "calls": (CALL_TYPES, frozenset({"number", "number_raw", "name", "resident_name"})),
    "visits": (("visitor.checked_in", "visitor.checked_out", "card.scanned", "pass.rejected"),
               frozenset({"visitor_name", "phone", "phone_masked", "purpose", "holder", "raw", "card_id",
                          "payload_hex"})),
    "transcripts": (TRANSCRIPT_TYPES, frozenset({"text", "matched_words"})),
    "commands": (("command.applied", "command.rejected"), frozenset({"detail", "result"})),
    "print_jobs": (("print.requested",), frozenset({"data"})),
}
# Settings that belong to another store, or hold nothing of a person's.
OTHER_SETTINGS = ("phone.directory", "phone.blocklist", "command_keys", "privacy.retention")
BATCH = 1000


def _encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


class JournalPersonalData:
    """Events, answered commands and settings in journal.db."""

    name: str = "journal"
    keys: tuple[str, ...] = ("journal_events", "journal_commands", "transcripts", "settings")

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @staticmethod
    def _rows(db: sqlite3.Connection, where: str = "1", args: tuple = (),
              match: Match | None = None) -> Iterator[tuple[int, str, str, Any]]:
        """(seq, id, type, decoded body) of events, in batches (the journal may be large); with
        `match`, only those whose text may hold the subject (Match.may_touch)."""
        after = 0
        while True:
            rows = db.execute(f"SELECT seq, type, body FROM events WHERE seq > ? AND {where} ORDER BY seq LIMIT ?",
                              (after, *args, BATCH)).fetchall()
            if not rows:
                return
            for seq, type_, body in rows:
                text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
                if match is not None and not match.may_touch(text):
                    continue
                try:
                    doc = json.loads(text)
                except ValueError:
                    continue  # not ours to judge here; the uplink sends it as it is
                yield seq, doc.get("id", ""), type_, doc
            after = rows[-1][0]

    def link(self, db: sqlite3.Connection, match: Match) -> None:
        for _seq, _id, _type, doc in self._rows(db, match=match):
            match.add_links(match.collect_links(doc.get("payload")))
        marks = ",".join("?" * len(CALL_TYPES))
        for _seq, event_id, _type, doc in self._rows(db, f"type IN ({marks})", CALL_TYPES):
            payload = doc.get("payload") or {}
            if _type == "call.message_recorded" and payload.get("call_id") in match.call_ids:
                match.message_ids.add(event_id)
                if isinstance(payload.get("path"), str):
                    match.recording_paths.add(payload["path"])

    def erase(self, db: sqlite3.Connection, match: Match, done: Outcome) -> None:
        for seq, _id, type_, doc in self._rows(db, match=match):
            payload = doc.get("payload")
            redacted = match.redact(payload, ERASED)
            if redacted == payload:
                continue
            doc["payload"] = redacted
            db.execute("UPDATE events SET body = ? WHERE seq = ?", (_encode(doc), seq))
            done.count("journal_events")
            if type_ in TRANSCRIPT_TYPES and isinstance(payload, dict) and redacted.get("text") != payload.get("text"):
                done.count("transcripts")
        for command_id, detail in db.execute("SELECT command_id, detail FROM commands WHERE detail IS NOT NULL"):
            if (scrubbed := match.scrub(detail, False, ERASED)) != detail:
                db.execute("UPDATE commands SET detail = ? WHERE command_id = ?", (scrubbed, command_id))
                done.count("journal_commands")
        self._erase_settings(db, match, done)
        done.touched(self.path)

    @staticmethod
    def _erase_settings(db: sqlite3.Connection, match: Match, done: Outcome) -> None:
        marks = ",".join("?" * len(OTHER_SETTINGS))
        for key, value in db.execute(f"SELECT key, value FROM settings WHERE key NOT IN ({marks})",
                                     OTHER_SETTINGS).fetchall():
            try:
                decoded = json.loads(value)
            except ValueError:
                continue
            redacted = match.redact(decoded, ERASED)
            if redacted != decoded:
                db.execute("UPDATE settings SET value = ? WHERE key = ?", (json.dumps(redacted, ensure_ascii=False),
                                                                         key))
                done.count("settings")

    def expire(self, db: sqlite3.Connection, kind: str, cutoff: datetime, done: Outcome) -> None:
        if kind == "commands":
            cur = db.execute("UPDATE commands SET detail = NULL WHERE received_at < ? AND detail IS NOT NULL",
                             (cutoff.isoformat(),))
            done.count("journal_commands", cur.rowcount)
        if kind not in RETENTION_FIELDS:
            return
        types, fields = RETENTION_FIELDS[kind]
        marks = ",".join("?" * len(types))
        for seq, _id, _type, doc in self._rows(db, f"occurred_at < ? AND type IN ({marks})",
                                               (cutoff.isoformat(), *types)):
            payload = doc.get("payload")
            blanked = blank_keys(payload, fields, EXPIRED)
            if blanked != payload:
                doc["payload"] = blanked
                db.execute("UPDATE events SET body = ? WHERE seq = ?", (_encode(doc), seq))
                done.count("journal_events")
        done.touched(self.path)


__all__ = ["CALL_TYPES", "RETENTION_FIELDS", "TRANSCRIPT_TYPES", "JournalPersonalData"]
