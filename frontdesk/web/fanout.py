"""Live fan-out: every subscriber (an open browser stream) gets each published item.

Used by central's desk dashboard (committed events) and the edge's kiosk screens (scans and
device status). `publish` runs on whatever thread produced the items (the MQTT thread that
committed an ingest batch, the access service's deciding thread) and never blocks it: each
subscriber has its own bounded queue living on the web server's event loop, and publishing only
schedules a non-blocking offer there with `call_soon_threadsafe`. A subscriber that cannot keep
up loses its oldest items and is told how many (`Batch.dropped`), so its page can reload its
state instead of stalling the producer or growing memory without bound.
"""
from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

QUEUE_ITEMS = 256  # per subscriber: a few minutes of a busy desk


class FanoutFull(RuntimeError):
    """No room for another subscriber; the message says how many there are."""


@dataclass(frozen=True)
class Batch(Generic[T]):
    """What a subscriber's stream sends next: the queued items (oldest first), how many were lost
    since the last batch, and whether the fan-out has closed (the stream should end)."""

    items: list[T]
    dropped: int
    closed: bool


@dataclass(eq=False)
class Subscriber(Generic[T]):
    """One open stream: its event loop, what it wants, and its bounded queue.

    `wants` filters items for this subscriber (e.g. its sites); `view` turns an item into what
    this subscriber may see (e.g. personal data masked). Subscribers sharing one `view` function
    share its result: it runs once per published item, not once per subscriber.
    """

    loop: asyncio.AbstractEventLoop
    wants: Callable[[T], bool] | None = None
    view: Callable[[T], T] | None = None
    queue_items: int = QUEUE_ITEMS
    items: deque[T] = field(init=False)
    dropped: int = 0
    closed: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.items = deque(maxlen=self.queue_items)

    def _offer(self, items: list[T]) -> None:
        # Runs on the subscriber's loop. A full queue drops its oldest item (deque maxlen).
        overflow = len(self.items) + len(items) - self.queue_items
        if overflow > 0:
            self.dropped += overflow
        self.items.extend(items)
        self.wake.set()

    def _close(self) -> None:
        self.closed = True
        self.wake.set()

    async def next_batch(self, timeout: float) -> Batch[T]:
        """Wait up to `timeout` seconds for items; an empty batch means nothing came (a heartbeat)."""
        if not self.items and not self.closed:
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), timeout)
            except TimeoutError:
                pass
        batch = list(self.items)
        self.items.clear()
        dropped, self.dropped = self.dropped, 0
        return Batch(batch, dropped, self.closed)


class Fanout(Generic[T]):
    """Hands each published item to every subscriber's queue; see the module docstring."""

    def __init__(self, queue_items: int = QUEUE_ITEMS, max_subscribers: int | None = None) -> None:
        self.queue_items = queue_items
        self.max_subscribers = max_subscribers
        self.published = 0
        self.closed = False
        self._subs: set[Subscriber[T]] = set()
        self._lock = threading.Lock()

    def subscribe(self, wants: Callable[[T], bool] | None = None,
                  view: Callable[[T], T] | None = None) -> Subscriber[T]:
        """A new subscriber on the running event loop (call from the stream's handler).

        FanoutFull when `max_subscribers` are open; after `close` the subscriber is closed at once.
        """
        sub = Subscriber(loop=asyncio.get_running_loop(), wants=wants, view=view, queue_items=self.queue_items)
        with self._lock:
            if self.closed:
                sub._close()
                return sub
            if self.max_subscribers is not None and len(self._subs) >= self.max_subscribers:
                raise FanoutFull(f"{len(self._subs)} live screens are open already")
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber[T]) -> None:
        """Forget `sub` (its stream ended); unknown subscribers are ignored."""
        with self._lock:
            self._subs.discard(sub)

    @property
    def subscribers(self) -> int:
        """How many streams are open."""
        with self._lock:
            return len(self._subs)

    def publish(self, items: Iterable[T]) -> None:
        """Schedule `items` onto every subscriber that wants them (any thread; never blocks)."""
        items = list(items)
        if not items:
            return
        with self._lock:
            subs = list(self._subs)
        self.published += len(items)
        views: dict[Callable[[T], T] | None, list[T]] = {None: items}
        for sub in subs:
            if sub.view not in views:
                views[sub.view] = [sub.view(item) for item in items]  # type: ignore[misc]
            mine = [item for item in views[sub.view] if sub.wants is None or sub.wants(item)]
            if mine:
                self._deliver(sub, sub._offer, mine)

    def close(self) -> None:
        """End every open stream and refuse new ones (the service is stopping)."""
        with self._lock:
            self.closed = True
            subs = list(self._subs)
            self._subs.clear()
        for sub in subs:
            self._deliver(sub, sub._close)

    def _deliver(self, sub: Subscriber[T], call: Callable[..., None], *args: object) -> None:
        try:
            sub.loop.call_soon_threadsafe(call, *args)
        except RuntimeError:  # that subscriber's loop is closed: the server is stopping
            self.unsubscribe(sub)


__all__ = ["Batch", "Fanout", "FanoutFull", "QUEUE_ITEMS", "Subscriber"]
