"""The [access] section of the edge TOML file.

    [access]
    role = "kiosk"                      # "kiosk" (lobby, visitors) or "gate" (guard's post)
    direction = "in"                    # this post lets people "in" or "out"
    site_public_keys = ["ed25519:BASE64..."]   # or paths of PEM files; several during key rotation
    camera = "v4l2:/dev/video0?width=1280&height=720"   # or folder:/dir, file:/clip.mp4, rtsp://...; "" = none
    card_readers = ["evdev:/dev/input/frontdesk-card", "serial:/dev/ttyUSB0?baud=9600"]   # 99-frontdesk-cards.rules
    card_format = "auto"                # auto | hex | dec | wiegand
    print_badges = true                 # journal print.requested for a badge on check-in (kiosk default)
    badge_printer = "lobby"             # printer name for badges (default: the printing service's choice)
    language = "zh"                     # language of badges when the screen does not say
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from frontdesk.config import Section
from frontdesk.drivers.camera import CAMERAS
from frontdesk.drivers.cards import READERS
from frontdesk.passes import check_public_keys

DECODERS: tuple[Literal["zxing", "zbar"], ...] = ("zxing", "zbar")


class AccessConfig(Section):
    """The [access] section: the post's role and direction, pass keys, camera, card readers, badges."""
    role: Literal["kiosk", "gate"] = "kiosk"
    direction: Literal["in", "out"] = "in"
    site_public_keys: list[str] = Field(default_factory=list)
    camera: str = ""
    card_readers: list[str] = Field(default_factory=list)
    card_format: Literal["auto", "hex", "dec", "wiegand"] = "auto"
    decoders: list[Literal["zxing", "zbar"]] = Field(default_factory=lambda: list(DECODERS), min_length=1)
    # A symbol out of view this long and shown again is a new scan (one scan per presentation).
    dedup_gap_s: float = Field(default=1.5, ge=0.0, le=60.0)
    # Clock difference tolerated between central (which set the validity) and this post.
    clock_leeway_s: int = Field(default=120, ge=0, le=3600)
    print_badges: bool | None = None
    badge_printer: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    language: Literal["zh", "en"] = "zh"
    walk_in_hours: float = Field(default=8.0, gt=0, le=72)

    _keys_load = field_validator("site_public_keys")(classmethod(lambda cls, v: check_public_keys(v)))

    @field_validator("card_readers")
    @classmethod
    def _reader_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            READERS.check(url)
        return value

    @field_validator("camera")
    @classmethod
    def _camera_url(cls, value: str) -> str:
        if value:
            CAMERAS.check(value)
        return value

    @property
    def badges(self) -> bool:
        """Whether a check-in here asks for a visitor badge: print_badges if set, else only at a kiosk."""
        return self.role == "kiosk" if self.print_badges is None else self.print_badges
