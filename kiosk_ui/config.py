"""The [kiosk] section of the edge TOML file."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from frontdesk.config import Section

LANGUAGES = ("zh-Hans", "en")
# A DNS name or an IPv4 address, or an IPv6 address in brackets (as a Host header carries it).
_HOST_NAME = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*)$")


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
    # How fast this screen takes walk-in registrations and prints visitor badges (a token bucket
    # each, kiosk_ui/ratelimit.py): `*_burst` in a row, then one more every `*_every_s` seconds.
    # A real registration takes 20-30 s of typing, so a queue of visitors never meets the limit;
    # a school group registering one after another gets 5 at once and then one every 20 s; seven
    # badges in a few seconds is someone emptying the badge roll. Refused: "please ask the desk".
    registration_burst: int = Field(default=5, ge=1, le=1000)
    registration_every_s: float = Field(default=20.0, gt=0, le=3600)
    # Badges: check-ins by pass print too, so a family scanning their passes one after another
    # may print a few more than registrations; beyond the limit the visitor is still let in (the
    # pass is valid) and told to collect the badge at the desk.
    print_burst: int = Field(default=6, ge=1, le=1000)
    print_every_s: float = Field(default=15.0, gt=0, le=3600)
    # At most one kiosk.rate_limited event per action this often (it counts the refusals between).
    rate_event_gap_s: float = Field(default=60.0, ge=0, le=86400)
    # Host names this app answers to besides the loopback names and `host` (a name Chromium is
    # pointed at, e.g. "kiosk-lobby.local"); any other Host is refused, which stops a web page
    # whose name was rebound to this address (DNS rebinding) from reading the screens' API.
    allowed_hosts: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, names: list[str]) -> list[str]:
        for name in names:
            if not _HOST_NAME.fullmatch(name):
                raise ValueError(f"allowed_hosts: {name!r} is not a host name or IP address (no port, no scheme)")
        return [name.lower() for name in names]


__all__ = ["KioskConfig", "LANGUAGES"]
