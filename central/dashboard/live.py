"""The dashboard's live stream: committed events, as browsers see them, fanned out to every open
dashboard through the shared `frontdesk.web.Fanout`.

`LiveEvents` is registered in `Store.listeners`, so it runs on whatever thread committed an
ingest batch (the MQTT thread, or a test); the fan-out never blocks that thread. A browser that
cannot keep up loses the oldest items and is told so (`resync`), and reloads its state over HTTP.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from frontdesk.schema import Event
from frontdesk.web import Fanout

# The event types a dashboard screen reacts to. Everything else (printer telemetry, journal
# housekeeping ...) stays off the wire to the browser.
LIVE_PREFIXES = ("call.", "note.", "transcript.", "visitor.", "print.", "command.", "ticket.", "pass.")

QUEUE_ITEMS = 256          # per browser: a few minutes of a busy desk
MAX_SUBSCRIBERS = 200      # per central process: desks, guard phones, the manager's screen

LiveItem = dict[str, Any]


def live_item(event: Event) -> LiveItem:
    """What a browser receives for one event: the envelope fields a screen shows."""
    return {"id": event.id, "type": event.type, "site": event.site, "device": event.device,
            "occurred_at": event.occurred_at.isoformat(), "tz": event.tz, "payload": event.payload}


class LiveEvents:
    """Store listener: each newly committed event a screen reacts to, into the fan-out `hub`."""

    def __init__(self, hub: Fanout[LiveItem] | None = None) -> None:
        self.hub: Fanout[LiveItem] = hub or Fanout(queue_items=QUEUE_ITEMS, max_subscribers=MAX_SUBSCRIBERS)

    def __call__(self, events: Iterable[Event]) -> None:
        self.hub.publish(live_item(e) for e in events if e.type.startswith(LIVE_PREFIXES))


__all__ = ["LIVE_PREFIXES", "LiveEvents", "LiveItem", "MAX_SUBSCRIBERS", "QUEUE_ITEMS", "live_item"]
