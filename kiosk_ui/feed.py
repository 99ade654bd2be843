"""The screens' live feed: every decision the access service makes, and its device status.

The access service tells its observers after the decision's event is on disk; the feed numbers
each one (`seq`, this feed's own order, used by the pages to never show an item twice; `boot`
names the numbering), keeps the last few for screens that connect later, and hands them to every
open page's stream through the shared fan-out (frontdesk.web.Fanout): a screen that stops
reading (a frozen tab) loses items rather than growing the server's memory, and its stream ends
so the page reconnects and resynchronises from the snapshot every (re)connect begins with.
"""
from __future__ import annotations

import itertools
import threading
import uuid
from collections import deque
from typing import Any

from frontdesk.web import Fanout, Subscriber

# What a stream sends: ("scan", item) for a decision, ("status", status) for the devices.
Message = tuple[str, dict[str, Any]]

QUEUE_ITEMS = 256  # per open page


class LiveFeed:
    """Numbered decisions, the last `keep` of them, and the device status, fanned out live."""

    def __init__(self, keep: int = 50, queue_items: int = QUEUE_ITEMS) -> None:
        self.fanout: Fanout[Message] = Fanout(queue_items=queue_items)
        self._recent: deque[dict[str, Any]] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self.head = 0
        self.status: dict[str, Any] = {}
        # Numbers restart with the process: a page that reconnects to a new feed (an agent restart)
        # sees a different boot id and forgets the numbers it had seen.
        self.boot = uuid.uuid4().hex

    @property
    def keep(self) -> int:
        """How many decisions the feed remembers for screens that connect later."""
        return self._recent.maxlen or 0

    def publish(self, item: dict[str, Any]) -> dict[str, Any]:
        """Number `item`, remember it and push it to every open stream (any thread)."""
        with self._lock:
            item = {**item, "seq": next(self._seq)}
            self.head = item["seq"]
            self._recent.append(item)
        self.fanout.publish([("scan", item)])
        return item

    def publish_status(self, status: dict[str, Any]) -> None:
        """The access service's device status changed: remember it and push it (any thread)."""
        with self._lock:
            self.status = status
        self.fanout.publish([("status", status)])

    def recent(self, limit: int) -> list[dict[str, Any]]:
        """The last `limit` decisions, oldest first."""
        with self._lock:
            return list(self._recent)[-limit:] if limit > 0 else []

    def subscribe(self) -> Subscriber[Message]:
        """A stream's subscription, on the running event loop."""
        return self.fanout.subscribe()

    def close(self) -> None:
        """End every open stream (the service is stopping)."""
        self.fanout.close()


__all__ = ["LiveFeed", "Message"]
