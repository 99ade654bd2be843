"""[phone] section of the edge TOML file."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from frontdesk.config import Section
from frontdesk.drivers.modem.modem import MODEMS
from frontdesk.drivers.modem.rings import cadence as parse_cadence

GREETINGS = Path(__file__).parent / "greetings"
_SPAN = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class PhoneConfig(Section):
    """The [phone] section: the modem, staffed hours and answer rings, greetings, menu, recording limits."""
    # A modem URL: serial:/dev/frontdesk-modem (a path, a udev symlink, the emulator's pty),
    # rfc2217://host:port or socket://host:port (see frontdesk.drivers.modem.modem).
    device: str
    family: Literal["auto", "usr5637", "cx93001"] = "auto"
    baudrate: int = Field(default=115200, ge=1200)
    # Defaults to [site].country; decides caller-ID number normalisation and AT+GCI.
    country: str | None = Field(default=None, pattern="^[a-z]{2}$")
    area_code: str | None = Field(default=None, pattern=r"^0?\d{1,4}$")
    # na, cn, uk or explicit on/off seconds, e.g. [0.4, 0.2, 0.4, 2.0]; default from the country.
    cadence: str | list[float] | None = None
    # Local times (site zone) when the desk is staffed; outside them the agent answers on ring 1.
    staffed_hours: list[str] = ["08:30-17:30"]
    staffed_days: list[int] = [1, 2, 3, 4, 5, 6, 7]
    answer_ring: int = Field(default=3, ge=1, le=3)
    after_hours_ring: int = Field(default=1, ge=1, le=3)
    greeting_zh: Path = GREETINGS / "greeting_zh.wav"
    greeting_en: Path = GREETINGS / "greeting_en.wav"
    after_hours_greeting_zh: Path | None = GREETINGS / "after_hours_zh.wav"
    after_hours_greeting_en: Path | None = GREETINGS / "after_hours_en.wav"
    dtmf_menu: bool = False
    menu: dict[str, str] = {"1": "repair", "2": "complaint", "3": "other"}
    menu_wait_s: float = Field(default=4.0, ge=0, le=30)
    record_max_s: float = Field(default=120.0, ge=5, le=900)
    record_silence_s: float = Field(default=5.0, ge=1, le=60)
    codec: Literal["pcm_u8", "mulaw"] = "pcm_u8"
    blocklist_action: Literal["hangup", "ignore"] = "hangup"
    idle_voice_mode: bool = True  # idle in voice class, so a local handset lifting shows as <DLE>H
    cid_reassert_s: float = Field(default=600.0, ge=1)
    health_check_s: float = Field(default=60.0, ge=1)
    reconnect_min_s: float = Field(default=1.0, gt=0)
    reconnect_max_s: float = Field(default=60.0, gt=0)
    # Emulated lines only: < 1 runs cadences, timers and audio faster (tests, benchmarks).
    time_scale: float = Field(default=1.0, gt=0, le=1)

    @field_validator("device")
    @classmethod
    def _device_url(cls, value: str) -> str:
        MODEMS.check(value)
        return value

    @field_validator("cadence")
    @classmethod
    def _cadence(cls, value):
        if value is not None:
            parse_cadence(value if isinstance(value, str) else tuple(value))
        return value

    @field_validator("staffed_hours")
    @classmethod
    def _hours(cls, value: list[str]) -> list[str]:
        for span in value:
            if not _SPAN.match(span):
                raise ValueError(f"staffed hours {span!r} must look like '08:30-17:30'")
        return value

    @field_validator("staffed_days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if any(d < 1 or d > 7 for d in value):
            raise ValueError("staffed days are ISO weekdays 1 (Monday) .. 7 (Sunday)")
        return value

    @field_validator("menu")
    @classmethod
    def _menu(cls, value: dict[str, str]) -> dict[str, str]:
        if any(k not in "0123456789*#" or len(k) != 1 for k in value):
            raise ValueError("menu keys are single DTMF digits")
        return value

    def cadence_spec(self, country: str):
        """The ring cadence to expect: `cadence` if set, else the country's (na for us/ca, uk for gb/uk,
        cn otherwise)."""
        if self.cadence is not None:
            return parse_cadence(self.cadence if isinstance(self.cadence, str) else tuple(self.cadence))
        return parse_cadence({"us": "na", "ca": "na", "gb": "uk", "uk": "uk"}.get(country, "cn"))
