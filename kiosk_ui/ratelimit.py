"""How fast a screen takes walk-in registrations and prints visitor badges: a token bucket each.

A bucket holds at most `burst` tokens and gains one every `per_s` seconds; a registration (or a
badge) takes one, and with none left it is refused until the next one arrives. So a school group
or a delivery crew may register a few in a row, while a burst of seven badges in a few seconds
(someone emptying the badge roll, or a script driving the screen) is stopped at the sixth.

The buckets live in the kiosk's process, on the server: reloading the page does not refill them.
Every refusal may tell the desk (`kiosk.rate_limited`), but one event stands for a spell of
refusals (at most one per `event_gap_s`, counting the refusals in between) so that a screen being
hammered cannot flood the journal.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from frontdesk.schema.kiosk import KioskRateLimited, RateLimitedAction

log = logging.getLogger("frontdesk.edge.kiosk")

Clock = Callable[[], float]


class TokenBucket:
    """At most `burst` takes in a row, then one every `per_s` seconds (thread-safe)."""

    def __init__(self, burst: int, per_s: float, clock: Clock = time.monotonic) -> None:
        if burst < 1 or per_s <= 0:
            raise ValueError("a token bucket needs burst >= 1 and per_s > 0")
        self.burst, self.per_s, self.clock = burst, per_s, clock
        self._tokens = float(burst)
        self._at = clock()
        self._lock = threading.Lock()

    def _refill(self) -> float:
        now = self.clock()
        # A clock that goes backwards (it should not: monotonic) must never mint tokens.
        self._tokens = min(float(self.burst), self._tokens + max(0.0, now - self._at) / self.per_s)
        self._at = now
        return self._tokens

    def take(self) -> float:
        """Take a token: 0.0 if taken, else the seconds until one is there (nothing taken)."""
        with self._lock:
            tokens = self._refill()
            if tokens >= 1.0:
                self._tokens = tokens - 1.0
                return 0.0
            return (1.0 - tokens) * self.per_s

    def give_back(self) -> None:
        """Return a token taken for something that did not happen (a form sent back for a typo)."""
        with self._lock:
            self._refill()
            self._tokens = min(float(self.burst), self._tokens + 1.0)

    @property
    def tokens(self) -> float:
        """How many takes would succeed right now (fractional while refilling)."""
        with self._lock:
            return self._refill()


@dataclass(frozen=True)
class Refused:
    """A take that was refused: what, and when the screen will take the next one (whole seconds)."""

    action: RateLimitedAction
    retry_after_s: int


class ScreenLimits:
    """The screen's two buckets (registrations, badge prints) and the desk's events about them.

    `record` journals an event (the edge journal's record); None records nothing (tests).
    """

    def __init__(self, *, registration: tuple[int, float], prints: tuple[int, float], post_role: str,
                 event_gap_s: float = 60.0, record: Callable[[KioskRateLimited], object] | None = None,
                 clock: Clock = time.monotonic) -> None:
        self.buckets: dict[RateLimitedAction, TokenBucket] = {
            "registration": TokenBucket(*registration, clock=clock), "print": TokenBucket(*prints, clock=clock)}
        self.post_role, self.event_gap_s, self.record, self.clock = post_role, event_gap_s, record, clock
        self._lock = threading.Lock()
        self._unreported: dict[str, int] = {}
        self._reported_at: dict[str, float] = {}

    def take(self, action: RateLimitedAction) -> Refused | None:
        """Take one `action`; None when allowed, else the refusal (the desk is told, see above)."""
        wait = self.buckets[action].take()
        if wait <= 0:
            return None
        refused = Refused(action, max(1, math.ceil(wait)))
        self._tell_desk(refused)
        return refused

    def give_back(self, action: RateLimitedAction) -> None:
        """Return the token of an `action` that did not happen."""
        self.buckets[action].give_back()

    def _tell_desk(self, refused: Refused) -> None:
        now = self.clock()
        with self._lock:
            count = self._unreported.get(refused.action, 0) + 1
            last = self._reported_at.get(refused.action)
            if last is not None and now - last < self.event_gap_s:
                self._unreported[refused.action] = count
                return
            self._unreported[refused.action] = 0
            self._reported_at[refused.action] = now
        log.warning("kiosk: %s refused: too many in a row (%d since the last report); next in %d s",
                    refused.action, count, refused.retry_after_s)
        if self.record is None:
            return
        bucket = self.buckets[refused.action]
        try:
            self.record(KioskRateLimited(action=refused.action, post_role=self.post_role,  # type: ignore[arg-type]
                                         burst=bucket.burst, per_s=bucket.per_s, refused=count,
                                         retry_after_s=float(refused.retry_after_s)))
        except Exception:  # the refusal stands even when the journal cannot take the event
            log.exception("kiosk: cannot journal kiosk.rate_limited")


__all__ = ["Refused", "ScreenLimits", "TokenBucket"]
