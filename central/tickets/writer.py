"""Central's own events: ticket changes made through the API, SLA breaches, and the ticket events
the rules (rules.py) derive from edge events.

API changes and breaches are written as device `central` of their site with a gap-free seq of
their own and go in through Store.ingest like any edge batch, so the same validation, the same
events table and the same projections apply; a ticket changed by hand and one changed by an edge
look alike.

Rule-made events are written inside the ingest transaction of the edge event that caused them
(so a ticket is never missing for a committed call), as device `central-rules`: that device's
seq is only ever allocated inside an ingest transaction, which already holds the write lock, so
it cannot race the API's writes to `central` (whose seq is read before its own transaction).
Their ids are derived from the cause's id, so re-ingesting or replaying the cause finds the event
already there and writes nothing.

Only this writer may change tickets in central's name: the projection applies a `central` event
only while write() is ingesting it (`vouches`), so an event that merely says site/central (a
message published on central's topic, whatever the broker allows) changes nothing; `central-rules`
events are only ever applied straight from emit(), never from ingest.
"""
from __future__ import annotations

import hashlib
import threading
import uuid
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from frontdesk import topics
from frontdesk.schema import Event, SchemaError, encode_batch, make_event
from frontdesk.schema.envelope import Payload

from ..store import Store, event_row
from ..tables import events
from .settings import rules_device

_LAST_SEQ = select(func.max(events.c.seq)).where(events.c.site == bindparam("b_site"),
                                                 events.c.device == bindparam("b_device"))
# INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id: no row back = written before.
_INSERT_NEW = {dialect.__name__.rsplit(".", 1)[-1]: dialect.insert(events).on_conflict_do_nothing(index_elements=["id"])
               .returning(events.c.id) for dialect in (postgresql, sqlite)}


def derived_id(cause_id: str, tag: str) -> str:
    """A UUIDv7 that is a pure function of (cause, tag): the cause's millisecond timestamp (so it
    sorts next to its cause) and 74 bits of a SHA-256 of both in place of the random bits."""
    cause = uuid.UUID(cause_id)
    digest = int.from_bytes(hashlib.sha256(f"{cause_id}/{tag}".encode()).digest()[:10], "big")
    value = (cause.int >> 80) << 80  # unix_ts_ms, 48 bits
    value |= 0x7 << 76  # version 7
    value |= (digest >> 68 & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # RFC 9562 variant
    value |= digest & ((1 << 62) - 1)  # rand_b, 62 bits
    return str(uuid.UUID(int=value))


class CentralEventWriter:
    """Writes central's events for a site, each under a gap-free per-device seq."""

    def __init__(self, store: Store, device: str = "central") -> None:
        self.store = store
        self.device = device
        self.rules_device = rules_device(device)
        # One central process writes its own events; the lock keeps its seq gap-free.
        self._lock = threading.Lock()
        # Ids of the events write() is ingesting right now: the only `central` events the
        # projection lets change tickets (fresh UUIDv7s that nobody outside can know yet).
        self._writing: set[str] = set()

    def vouches(self, event: Event) -> bool:
        """True if `event` is one this writer is ingesting right now (see the module docstring)."""
        return event.device == self.device and event.id in self._writing

    def write(self, site: str, payload: Payload, tz: str) -> Event:
        """Ingest one event made at central now (API change, SLA breach); SchemaError if refused."""
        return self.write_once(site, payload, tz)[0]

    def write_once(self, site: str, payload: Payload, tz: str, event_id: str | None = None) -> tuple[Event, bool]:
        """Ingest one event made at central now under `event_id` (a UUIDv7 the caller made, so
        that sending the same action again is the same event; default: a fresh one). Returns
        (the event, whether it is new): an id the store has already is not written again (the
        store deduplicates by id), and the caller answers with the ticket as it is. SchemaError
        if refused."""
        with self._lock:
            with self.store.engine.connect() as conn:
                seq = _next_seq(conn, site, self.device)
            event = make_event(payload, site=site, device=self.device, seq=seq, tz=tz, event_id=event_id)
            topic = topics.topic(site, self.device, topics.EVENTS)
            self._writing.add(event.id)
            try:
                result = self.store.ingest([(topic, encode_batch([event.to_wire()]))])
            finally:
                self._writing.discard(event.id)
        if result.rejected:
            raise SchemaError(f"central event {event.type} was not accepted")
        return event, result.inserted > 0

    def emit(self, conn: Connection, cause: Event, payload: Payload, tag: str,
             occurred_at: datetime | None = None) -> Event | None:
        """Write the event a rule derives from `cause` inside `cause`'s ingest transaction.

        Returns the new event, or None when this (cause, tag) was written before: replaying the
        cause changes nothing. The event takes the cause's site and time zone, and its time
        (default: the cause's).
        """
        event = make_event(payload, site=cause.site, device=self.rules_device,
                           seq=_next_seq(conn, cause.site, self.rules_device), tz=cause.tz,
                           occurred_at=occurred_at or cause.occurred_at, event_id=derived_id(cause.id, tag))
        inserted = conn.execute(_INSERT_NEW[conn.dialect.name], event_row(event, datetime.now(UTC))).first()
        return event if inserted is not None else None


def _next_seq(conn: Connection, site: str, device: str) -> int:
    last = conn.execute(_LAST_SEQ, {"b_site": site, "b_device": device}).scalar()
    return (last or 0) + 1
