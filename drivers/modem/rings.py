"""Counting rings by the line's cadence.

A modem reports RING per burst of ringing voltage; the UK double ring may come as one RING or two,
and caller ID can arrive before ring 1, between rings 1 and 2, or never. So rings are counted from
the RING reports and their timing alone (never from caller ID), and ringing that does not come
back within a cadence period (plus margin) has stopped: someone picked up elsewhere, or the
caller gave up.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cadence:
    """A named ring cadence: alternating on/off seconds of one ring cycle."""

    name: str
    # Alternating on/off seconds of one ring cycle, ending with the long off period.
    pattern: tuple[float, ...]

    @property
    def period(self) -> float:
        """Seconds of one whole ring cycle."""
        return sum(self.pattern)

    @property
    def burst(self) -> float:
        """From the start of a ring to the end of its last ringing burst."""
        return sum(self.pattern[:-1])

    @property
    def gap(self) -> float:
        """The long silent period at the end of a cycle, in seconds."""
        return self.pattern[-1]

    def ring_starts(self, count: int) -> list[float]:
        """Start times (seconds from the first ring) of the first `count` rings."""
        return [i * self.period for i in range(count)]


CADENCES = {
    "na": Cadence("na", (2.0, 4.0)),
    "cn": Cadence("cn", (1.0, 4.0)),
    "uk": Cadence("uk", (0.4, 0.2, 0.4, 2.0)),
}


def cadence(spec: str | tuple[float, ...] | list[float]) -> Cadence:
    """'na', 'cn', 'uk', or explicit on/off seconds such as (1.0, 4.0) or 'custom:0.4,0.2,0.4,2.0'."""
    if isinstance(spec, str):
        key = spec.strip().lower()
        if key in CADENCES:
            return CADENCES[key]
        if key.startswith("custom:"):
            spec = tuple(float(x) for x in key[7:].split(","))
        else:
            raise ValueError(f"unknown cadence {spec!r} (use na, cn, uk or on/off seconds)")
    pattern = tuple(float(x) for x in spec)
    if len(pattern) < 2 or len(pattern) % 2 or any(x <= 0 for x in pattern) or sum(pattern) > 30:
        raise ValueError(f"cadence {pattern} must be on/off pairs of positive seconds (cycle <= 30 s)")
    return Cadence("custom:" + ",".join(f"{x:g}" for x in pattern), pattern)


class RingTracker:
    """Feed RING reports with their (monotonic) time; `time_scale` < 1 speeds an emulated line."""

    def __init__(self, cad: Cadence, time_scale: float = 1.0) -> None:
        self.cadence = cad
        self.scale = time_scale
        self.rings = 0
        self.first_at: float | None = None
        self.last_ring_at: float | None = None
        self.started_at: float | None = None

    @property
    def active(self) -> bool:
        """True once a ring or caller ID has opened a call (until reset())."""
        return self.started_at is not None

    def _same_ring_window(self) -> float:
        # Only a multi-burst ring (UK double ring) can give several RING reports for one ring; a
        # single-burst ring gives one report each, so every report counts even when a busy
        # host reads several at once.
        if len(self.cadence.pattern) <= 2:
            return 0.0
        # Reports up to a quarter of the long gap after the last burst still belong to this ring;
        # that leaves most of the gap as margin before the next ring's first report.
        return (self.cadence.burst + 0.25 * self.cadence.gap) * self.scale

    def stop_window(self) -> float:
        """Seconds (scaled) without a new ring after which ringing counts as stopped:
        one cycle plus one more gap, so a late report does not split a call."""
        # A whole extra silent gap past the next ring's due time: a late report (busy host,
        # slow USB) must not split one call into two.
        return (self.cadence.period + self.cadence.gap) * self.scale

    def ring(self, now: float) -> int | None:
        """A RING report: the new ring's number, or None if it belongs to the ring in progress."""
        if self.started_at is None:
            self.started_at = now
        if self.last_ring_at is not None and now - self.last_ring_at < self._same_ring_window():
            return None
        self.rings += 1
        self.last_ring_at = now
        if self.first_at is None:
            self.first_at = now
        return self.rings

    def caller_id(self, now: float) -> None:
        """Caller ID may open a call before its first ring; it never counts as a ring."""
        if self.started_at is None:
            self.started_at = now

    def stopped(self, now: float) -> bool:
        """Ringing has not come back in time (or caller ID came and no ring followed)."""
        if self.started_at is None:
            return False
        ref = self.last_ring_at if self.last_ring_at is not None else self.started_at
        return now - ref > self.stop_window()

    def reset(self) -> None:
        """Forget the call: no rings, not active."""
        self.rings, self.first_at, self.last_ring_at, self.started_at = 0, None, None, None
