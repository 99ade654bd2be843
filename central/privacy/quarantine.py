"""The person's data in `quarantine`: what ingest could not accept, kept as raw bytes.

A row is decoded as UTF-8 and, if it is JSON, redacted like any payload (matching.redact) and
written back re-encoded; text that is not JSON (a truncated head of a large batch) has the number,
card id and name replaced where they stand. A row that is not UTF-8, or that still holds one of the
subject's needles after redaction (as raw bytes, JSON-escaped or not), cannot be redacted safely:
it is deleted. Rows are read in pages by id; each is at most QUARANTINE_KEEP_BYTES long.
"""
from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import Connection, delete, select, update

from frontdesk import topics

from ..tables import quarantine
from .matching import ERASED, Matcher, Redaction, escaped, redact

PAGE = 200


def _site_of(topic: str) -> str | None:
    where = topics.parse(topic)
    return where[0] if where else None


def _forms(value: str | None) -> list[bytes]:
    return [value.encode(), escaped(value).encode()] if value else []


def _holds_subject(m: Matcher, raw: bytes) -> bool:
    """True if the bytes may hold the subject: their number or card id, or their name where their
    unit is written too (as raw bytes, JSON-escaped or not)."""
    if any(n in raw for n in _forms(m.card_id)) or m.phones_in(raw.decode("utf-8", "replace")):
        return True
    unit = m.unit or ""
    return any(n in raw for n in _forms(m.name)) and unit.encode() in raw.lower()


def redact_raw(m: Matcher, raw: bytes) -> bytes | None:
    """`raw` without the subject's data; unchanged bytes if nothing of theirs is in it; None if it
    cannot be redacted safely (the row is then deleted)."""
    if not _holds_subject(m, raw):
        return raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        # Text that is not JSON (a large batch's head): the name goes only where the unit stands too.
        new = m.scrub_text(text, name_here=True)
        if m.name:
            new = new.replace(escaped(m.name), ERASED)
        out = new.encode()
        return None if _holds_subject(m, out) else out
    result = Redaction()
    cleaned = redact(m, data, out=result)
    if not result.changed:
        return raw  # the name and unit were there, but not as one person's record
    out = json.dumps(cleaned, ensure_ascii=False).encode()
    still = any(n in out for n in _forms(m.card_id)) or m.phones_in(out.decode())
    return None if still else out


def erase_in_quarantine(conn: Connection, m: Matcher, sites: tuple[str, ...] | None) -> Counter[str]:
    """Redact or delete the subject's data in quarantine rows (of `sites`' topics; None = all)."""
    counts: Counter[str] = Counter()
    q = quarantine.c
    last = 0
    while True:
        rows = conn.execute(select(q.id, q.topic, q.raw).where(q.id > last).order_by(q.id).limit(PAGE)).all()
        for row in rows:
            if sites is not None and _site_of(row.topic) not in sites:
                continue
            raw = bytes(row.raw)
            new = redact_raw(m, raw)
            if new is None:
                conn.execute(delete(quarantine).where(q.id == row.id))
                counts["quarantine_dropped"] += 1
            elif new != raw:
                conn.execute(update(quarantine).where(q.id == row.id).values(raw=new))
                counts["quarantine_redacted"] += 1
        if len(rows) < PAGE:
            return counts
        last = rows[-1].id
