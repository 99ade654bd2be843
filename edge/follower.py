"""Following the journal: the one way an edge service consumes events.

    follower = journal.follow("printer.requests", start="now")
    follower.on(PrintRequested, self._take_request)     # _take_request(event, payload: PrintRequested)
    follower.start(ctx.stopping)                        # or call follower.catch_up() from your own loop

Each follower has a name and a durable cursor (the `followers` table in journal.db): the seq of
the last event it has been handed. The rules, chosen so services stay simple and safe:

  * At least once. The cursor moves only after the handlers of a batch have returned, so a crash
    or power cut hands the same events again; handlers must be idempotent (e.g. INSERT OR IGNORE
    keyed by the event id).
  * Filter by payload class. Only events of the registered models are read; the cursor still
    moves over the others.
  * Typed. A handler gets the Event and its payload as the registered model.
  * A failing handler does not stop the follower. Its exception is logged with the event id and
    counted in `failures`, and the cursor moves on: a poison event must never stall a service
    forever. A handler that can fail for a passing reason (a printer, a network) retries inside
    itself or records its own failure event; it does not rely on being called again.
  * Starting point of a new name: "beginning" (every event the journal still holds) or "now"
    (only events recorded after the first follow; the cursor is stored at once, so a restart
    before the first event does not skip anything).
  * Waking: producers in this process wake followers at once (the journal's `appended`
    condition, with a generation counter so a wake-up between two looks is never missed);
    events written by other processes are found by polling every `poll_s`.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from frontdesk.schema import Event, Payload

if TYPE_CHECKING:
    from .journal import Journal

log = logging.getLogger(__name__)

P = TypeVar("P", bound=Payload)
Start = Literal["beginning", "now"]
EventHandler = Callable[[Event, Any], None]


class Follower:
    """One named reader of the journal with a durable cursor; see the module docstring."""

    def __init__(self, journal: Journal, name: str, *, start: Start = "beginning", poll_s: float = 0.5,
                 batch: int = 500) -> None:
        self.journal, self.name = journal, name
        self.poll_s, self.batch = poll_s, batch
        self.failures = 0
        self._handlers: dict[str, tuple[type[Payload], EventHandler]] = {}
        # One delivery at a time: a service may call catch_up() from several threads.
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        stored = journal.cursor(name)
        if stored is None:
            stored = journal.last_seq() if start == "now" else 0
            journal.set_cursor(name, stored)
        self._position: int = stored

    def on(self, model: type[P], handler: Callable[[Event, P], None]) -> Follower:
        """Hand events of `model`'s type to `handler(event, payload)`; returns the follower."""
        if model.TYPE in self._handlers:
            raise ValueError(f"follower {self.name}: {model.TYPE!r} already has a handler")
        self._handlers[model.TYPE] = (model, handler)
        return self

    @property
    def position(self) -> int:
        """The seq of the last event handed over (durable)."""
        return self._position

    def catch_up(self) -> int:
        """Hand every event recorded so far to its handler, in this thread; returns how many."""
        delivered = 0
        with self._lock:
            while True:
                top = self.journal.last_seq()
                if top <= self._position:
                    return delivered
                upto = min(top, self._position + 50 * self.batch)
                events = self.journal.read(after=self._position, upto=upto, types=list(self._handlers),
                                           limit=self.batch)
                for event in events:
                    self._deliver(event)
                # Fewer than a batch: every matching event up to `upto` was read, the rest are others.
                end = events[-1].seq if len(events) == self.batch else upto
                self.journal.set_cursor(self.name, end)
                self._position = end
                delivered += len(events)

    def _deliver(self, event: Event) -> None:
        model, handler = self._handlers[event.type]
        try:
            handler(event, event.payload_as(model))
        except Exception:  # one event's problem; the follower goes on (module docstring)
            self.failures += 1
            log.exception("follower %s: handling %s %s (seq %d) failed; skipped", self.name, event.type, event.id,
                          event.seq)

    # -- a thread of its own ------------------------------------------------------------------------

    def start(self, stopping: threading.Event | None = None) -> None:
        """Follow in a background thread until stop() (or `stopping` is set)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(stopping,), name=f"follow-{self.name}",
                                        daemon=True)
        self._thread.start()

    def _run(self, stopping: threading.Event | None) -> None:
        while not self._stop.is_set() and not (stopping is not None and stopping.is_set()):
            seen = self.journal.generation
            try:
                self.catch_up()
            except Exception:  # the journal itself failed (disk, closed): look again later
                log.exception("follower %s: reading the journal failed", self.name)
                self._stop.wait(self.poll_s)
            self.journal.wait_appended(seen, self.poll_s)

    def stop(self) -> None:
        """Stop the background thread (if any) and wait for it."""
        self._stop.set()
        self.journal.wake()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None


__all__ = ["EventHandler", "Follower", "Start"]
