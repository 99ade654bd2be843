"""The lobby kiosk and gate-post screens' own events (their decisions are in access.py).

    kiosk.rate_limited   a screen refused walk-in registrations or badge prints because they came
                         faster than a real lobby sends them; the desk is told so someone can go
                         and look (a school group is helped at the desk, a prankster is stopped)

One event stands for a spell of refusals: the screen journals the first refusal and then at
most one event per `event_gap_s` of its configuration, `refused` counting every refusal since
the previous event, so a screen being hammered cannot flood the journal.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from .access import PostRole
from .envelope import Payload, register_event

RateLimitedAction = Literal["registration", "print"]


@register_event("kiosk.rate_limited")
class KioskRateLimited(Payload):
    """Walk-in registrations or badge prints refused at a screen for coming too fast."""

    action: RateLimitedAction
    post_role: PostRole
    # The limit that was hit: at most `burst` in a row, then one every `per_s` seconds.
    burst: int = Field(ge=1)
    per_s: float = Field(gt=0)
    # Refusals since the previous kiosk.rate_limited event of this action (this one included).
    refused: int = Field(default=1, ge=1)
    # When the screen will take the next one.
    retry_after_s: float = Field(ge=0)


__all__ = ["KioskRateLimited", "RateLimitedAction"]
