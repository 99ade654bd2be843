"""The live feed: every decision the access service makes, pushed to each open screen.

The access service tells its observers after the decision's event is on disk; the feed numbers
each one (`seq`, this feed's own order, used by the pages to never show an item twice; `boot`
names the numbering), keeps
the last few for screens that connect later, and hands them to every subscriber.

Each subscriber (an open page's stream) has a bounded queue: a screen that stops reading (a
frozen tab) is cut off rather than growing the server's memory, and its page reconnects and
resynchronises from the snapshot of recent items every (re)connect begins with.
"""
from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections import deque
from typing import Any

# What a subscriber queue receives when the feed closes or the subscriber fell too far behind.
CLOSED = ("closed", None)


class Subscription:
    def __init__(self, feed: LiveFeed, loop: asyncio.AbstractEventLoop, maxsize: int) -> None:
        self.feed = feed
        self.loop = loop
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=maxsize)
        self.overflowed = False

    def _offer(self, message: tuple[str, Any]) -> None:
        # Runs on the subscriber's event loop (call_soon_threadsafe).
        if self.overflowed:
            return
        if message is CLOSED:
            self.overflowed = True
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # Too far behind: end this stream; the page reconnects and gets a fresh snapshot.
            self.overflowed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(CLOSED)

    async def get(self, timeout: float) -> tuple[str, Any]:
        return await asyncio.wait_for(self.queue.get(), timeout)

    def close(self) -> None:
        self.feed._unsubscribe(self)


class LiveFeed:
    def __init__(self, keep: int = 50, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self._recent: deque[dict[str, Any]] = deque(maxlen=keep)
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self.head = 0
        self.status: dict[str, Any] = {}
        self.closed = False
        # Numbers restart with the process: a page that reconnects to a new feed (an agent restart)
        # sees a different boot id and forgets the numbers it had seen.
        self.boot = uuid.uuid4().hex

    @property
    def keep(self) -> int:
        return self._recent.maxlen or 0

    def publish(self, item: dict[str, Any]) -> dict[str, Any]:
        """Number `item`, remember it and push it to every subscriber (any thread)."""
        with self._lock:
            item = {**item, "seq": next(self._seq)}
            self.head = item["seq"]
            self._recent.append(item)
            subs = list(self._subs)
        for sub in subs:
            self._deliver(sub, ("scan", item))
        return item

    def publish_status(self, status: dict[str, Any]) -> None:
        with self._lock:
            self.status = status
            subs = list(self._subs)
        for sub in subs:
            self._deliver(sub, ("status", status))

    def recent(self, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._recent)[-limit:] if limit > 0 else []

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> Subscription:
        sub = Subscription(self, loop, self.queue_size)
        with self._lock:
            if self.closed:
                self._deliver(sub, CLOSED)
            else:
                self._subs.add(sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)

    def close(self) -> None:
        """End every open stream (the service is stopping)."""
        with self._lock:
            self.closed = True
            subs = list(self._subs)
            self._subs.clear()
        for sub in subs:
            self._deliver(sub, CLOSED)

    @staticmethod
    def _deliver(sub: Subscription, message: tuple[str, Any]) -> None:
        try:
            sub.loop.call_soon_threadsafe(sub._offer, message)
        except RuntimeError:  # that event loop has closed: the server is gone
            pass


__all__ = ["CLOSED", "LiveFeed", "Subscription"]
