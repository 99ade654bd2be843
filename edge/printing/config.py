"""The [printer] section of the edge TOML file.

    [printer]
    default = "desk"                       # printer for kinds without a route
    property_name = "锦绣花园物业服务中心"     # shown on slips whose data has no 'property'
    routes = { workorder = "engineering" }  # kind -> printer

    [printer.printers.desk]
    url = "usb://0416:5011"
    profile = "80mm-gb18030"

    [printer.printers.engineering]
    url = "tcp://192.168.10.31:9100"
    profile = "58mm-gb2312"
    fallback = "desk"                      # takes over while this one is out of paper or gone

    [printer.profiles.my-58]               # optional: a model not in the built-in list
    paper_mm = 58
    dots = 384
    columns = 32
    chinese = "gb2312"
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator

from frontdesk.config import Section
from frontdesk.drivers.printer import BUILTIN_PROFILES, PrinterProfile, get_profile
from frontdesk.drivers.printer.transport import PRINTERS

from .layout import KINDS


class PrinterDevice(Section):
    """One printer under [printer.printers]: its URL, profile, fallback printer and timeouts."""
    url: str
    profile: str = "80mm-gb18030"
    fallback: str | None = None
    # A printer that does not answer DLE EOT within this is "no answer" (not "paper out").
    status_timeout_s: float = Field(default=1.0, gt=0, le=30)
    # Wait for GS r 1 this long after the last byte (plus the transfer time at the line speed).
    confirm_timeout_s: float = Field(default=15.0, gt=0, le=600)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        PRINTERS.check(value)  # scheme, path and options; connecting happens when printing
        return value


class PrintingConfig(Section):
    """The [printer] section: the printers, extra profiles, routes by slip kind, templates and retry."""
    default: str | None = None
    property_name: str = ""
    printers: dict[str, PrinterDevice] = Field(min_length=1)
    profiles: dict[str, PrinterProfile] = Field(default_factory=dict)
    routes: dict[str, str] = Field(default_factory=dict)
    templates_dir: Path | None = None
    # How often a held printer is asked whether it is ready again.
    retry_s: float = Field(default=2.0, gt=0, le=300)

    @model_validator(mode="after")
    def _check(self) -> PrintingConfig:
        names = set(self.printers)
        if self.default is None:
            self.default = next(iter(self.printers))
        if self.default not in names:
            raise ValueError(f"default printer {self.default!r} is not under [printer.printers]")
        for kind, name in self.routes.items():
            if kind not in KINDS:
                raise ValueError(f"routes: unknown slip kind {kind!r} (one of {', '.join(KINDS)})")
            if name not in names:
                raise ValueError(f"routes.{kind}: no printer named {name!r}")
        custom = {k: v.model_copy(update={"name": k}) for k, v in self.profiles.items()}
        self.profiles = custom
        for name, dev in self.printers.items():
            if dev.fallback is not None and (dev.fallback not in names or dev.fallback == name):
                raise ValueError(f"printers.{name}.fallback: {dev.fallback!r} is not another configured printer")
            get_profile(dev.profile, custom)
        return self

    @property
    def default_printer(self) -> str:
        """The printer for kinds without a route (the first configured one unless named)."""
        return self.default or next(iter(self.printers))

    def profile_of(self, printer: str) -> PrinterProfile:
        """The profile (paper, dots, code page) of a configured printer; KeyError for an unknown printer."""
        return get_profile(self.printers[printer].profile, self.profiles)

    def printer_for(self, kind: str, requested: str | None) -> str:
        """Where a slip of `kind` goes: `requested` if it is a configured printer, else the kind's route,
        else the default printer."""
        if requested and requested in self.printers:
            return requested
        return self.routes.get(kind) or self.default_printer


__all__ = ["BUILTIN_PROFILES", "PrinterDevice", "PrintingConfig"]
