"""Live fan-out of committed events to the browsers that have a dashboard open.

`LiveHub.publish` is registered in `Store.listeners`, so it runs on whatever thread committed
an ingest batch (the MQTT thread, or a test). It must never block that thread: each browser has
its own bounded queue living on the web server's event loop, and the hub only schedules a
non-blocking `offer` there with `call_soon_threadsafe`. A browser that cannot keep up loses the
oldest items and is told so (`resync`), and reloads its state over HTTP instead of stalling
ingest or growing memory without bound.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from frontdesk.schema import Event

log = logging.getLogger(__name__)

# The event types a dashboard screen reacts to. Everything else (printer telemetry, journal
# housekeeping ...) stays off the wire to the browser.
LIVE_PREFIXES = ("call.", "note.", "transcript.", "visitor.", "print.", "command.", "ticket.", "pass.")

QUEUE_ITEMS = 256          # per browser: a few minutes of a busy desk
MAX_SUBSCRIBERS = 200      # per central process: desks, guard phones, the manager's screen


def live_item(event: Event) -> dict[str, Any]:
    """What a browser receives for one event: the envelope fields a screen shows."""
    return {"id": event.id, "type": event.type, "site": event.site, "device": event.device,
            "occurred_at": event.occurred_at.isoformat(), "tz": event.tz, "payload": event.payload}


@dataclass(eq=False)
class Subscriber:
    loop: asyncio.AbstractEventLoop
    sites: tuple[str, ...] | None = None   # None: every site
    mask: bool = False                     # personal data masked for this viewer's role
    items: deque = field(default_factory=lambda: deque(maxlen=QUEUE_ITEMS))
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: int = 0

    def offer(self, item: dict[str, Any]) -> None:
        """Runs on the web loop. A full queue drops its oldest item (deque maxlen)."""
        if len(self.items) == self.items.maxlen:
            self.dropped += 1
        self.items.append(item)
        self.wake.set()

    async def next_batch(self, timeout: float) -> tuple[list[dict[str, Any]], int]:
        """The queued items (oldest first) and how many were dropped since the last call."""
        if not self.items:
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), timeout)
            except TimeoutError:
                pass
        batch = list(self.items)
        self.items.clear()
        dropped, self.dropped = self.dropped, 0
        return batch, dropped


class HubFull(RuntimeError):
    pass


class LiveHub:
    def __init__(self, max_subscribers: int = MAX_SUBSCRIBERS) -> None:
        self.max_subscribers = max_subscribers
        self._subs: set[Subscriber] = set()
        self._lock = threading.Lock()
        self.published = 0

    def subscribe(self, sites: tuple[str, ...] | None = None, mask: bool = False) -> Subscriber:
        sub = Subscriber(loop=asyncio.get_running_loop(), sites=sites, mask=mask)
        with self._lock:
            if len(self._subs) >= self.max_subscribers:
                raise HubFull(f"{len(self._subs)} live screens are open already")
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subs.discard(sub)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)

    def publish(self, events: Iterable[Event]) -> None:
        """Store listener: schedule each relevant new event onto every matching browser queue."""
        items = [live_item(e) for e in events if e.type.startswith(LIVE_PREFIXES)]
        if not items:
            return
        with self._lock:
            subs = list(self._subs)
        self.published += len(items)
        masked: list[dict[str, Any]] | None = None
        for sub in subs:
            mine = items
            if sub.mask:
                if masked is None:
                    from .masking import mask_live_item
                    masked = [mask_live_item(i) for i in items]
                mine = masked
            for item in mine:
                if sub.sites is not None and item["site"] not in sub.sites:
                    continue
                try:
                    sub.loop.call_soon_threadsafe(sub.offer, item)
                except RuntimeError:  # that browser's loop is closed: the server is stopping
                    self.unsubscribe(sub)
                    break


def sse_message(event: str, data: Any, event_id: str | None = None) -> bytes:
    """One Server-Sent Events message. JSON never contains a raw newline, so one data line."""
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()
