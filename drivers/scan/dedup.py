"""One scan per symbol presented, however many frames it stays in view.

A pass held up to the camera is decoded in every frame for a second or more; the kiosk must
act once. A symbol is reported when it appears, then ignored while it keeps being seen; once
it has been out of view for `gap_s` (the visitor took it away) showing it again is a new scan.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from .symbol import Symbol


class Deduplicator:
    """Turns per-frame findings into scans: a symbol counts again only after `gap_s` seconds out of view.
    Not thread-safe; once more than `max_keys` symbols are remembered, those out of view are forgotten."""

    def __init__(self, gap_s: float = 1.5, clock: Callable[[], float] = time.monotonic, max_keys: int = 256) -> None:
        self.gap_s = gap_s
        self._clock = clock
        self._last_seen: dict[tuple[str, bytes], float] = {}
        self._max_keys = max_keys

    def fresh(self, symbols: Iterable[Symbol], now: float | None = None) -> list[Symbol]:
        """The symbols among `symbols` (one frame's findings) that are new scans."""
        now = self._clock() if now is None else now
        out = []
        for sym in symbols:
            last = self._last_seen.get(sym.key)
            if last is None or now - last > self.gap_s:
                out.append(sym)
            self._last_seen[sym.key] = now
        if len(self._last_seen) > self._max_keys:
            # Forget what has been gone longest; bounded memory on a kiosk left running for months.
            cutoff = now - self.gap_s
            self._last_seen = {k: t for k, t in self._last_seen.items() if t >= cutoff}
        return out

    def reset(self) -> None:
        """Forget every symbol seen: the next sighting of any is a new scan."""
        self._last_seen.clear()
