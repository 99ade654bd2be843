"""The [kiosk] section of the edge TOML file."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from frontdesk.config import Section

LANGUAGES = ("zh-Hans", "en")


class KioskConfig(Section):
    """Where the screen is served, which screen, its language and its timings."""

    # Loopback by default: the screen's Chromium runs on the same Pi, and the app has no login.
    host: str = "127.0.0.1"
    # 0 lets the system pick a free port (the service logs where it listens).
    port: int = Field(default=8410, ge=0, le=65535)
    # kiosk: the lobby touch screen used by visitors; gate: the guard's screen at a gate post.
    role: Literal["kiosk", "gate"] = "kiosk"
    language: Literal["zh-Hans", "en"] = "zh-Hans"
    # A form left untouched this long shows the "are you still there?" warning, which counts down
    # idle_warning_s before the screen resets and forgets what was typed.
    idle_timeout_s: float = Field(default=45.0, ge=1, le=3600)
    idle_warning_s: float = Field(default=15.0, ge=1, le=600)
    # Welcome / goodbye / refused screens go back to the start after this long.
    result_s: float = Field(default=8.0, ge=1, le=600)
    # How many scans the gate post lists (the page never holds more than this many rows).
    recent_scans: int = Field(default=8, ge=1, le=50)
    # Keep-alive on the live stream; the page reconnects when it misses three in a row.
    heartbeat_s: float = Field(default=15.0, ge=0.2, le=300)
    # Where this screen stands, for scans whose event does not say (a gate post's reader side).
    direction: Literal["in", "out"] = "in"


__all__ = ["KioskConfig", "LANGUAGES"]
