"""Central's own events (ticket changes made through the API, SLA breaches).

They are written as device `central` of their site with a gap-free seq of their own and go in
through Store.ingest like any edge batch, so the same validation, the same events table and the
same projections apply; a ticket changed by hand and one changed by an edge look alike.
"""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from frontdesk import topics
from frontdesk.schema import Event, SchemaError, encode_batch, make_event, parse_event_payload

from ..store import Store
from ..tables import events


class CentralEventWriter:
    def __init__(self, store: Store, device: str = "central") -> None:
        self.store = store
        self.device = device
        # One central process writes its own events; the lock keeps its seq gap-free.
        self._lock = threading.Lock()

    def write(self, site: str, type_: str, payload: dict[str, Any], tz: str) -> Event:
        with self._lock:
            with self.store.engine.connect() as conn:
                last = conn.execute(select(func.max(events.c.seq)).where(
                    events.c.site == site, events.c.device == self.device)).scalar()
            event = make_event(parse_event_payload(type_, payload), site=site, device=self.device, seq=(last or 0) + 1, tz=tz)
            topic = topics.topic(site, self.device, topics.EVENTS)
            result = self.store.ingest([(topic, encode_batch([event.to_wire()]))])
        if result.rejected:
            raise SchemaError(f"central event {type_} was not accepted")
        return event
