"""Printer profiles: what a model can do, so slips are encoded for it and not for a guess.

Profiles are data: the built-in ones cover the common Chinese 58/80 mm printers, and a site can
declare its own in the edge TOML ([printer.profiles.NAME], same keys).
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# ESC t n table numbers for the single-byte code pages python's codecs know.
CODEPAGE_TABLES: dict[str, int] = {"cp437": 0, "cp850": 2, "cp860": 3, "cp863": 4, "cp865": 5,
                                   "cp1252": 16, "cp866": 17, "cp852": 18, "cp858": 19}


class PrinterProfile(BaseModel):
    """What one printer model can do: paper and dot width, columns, Chinese character set,
    code page, cutter, native QR and Code 128. Immutable; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "custom"
    paper_mm: int = Field(default=80, ge=40, le=120)
    # Printable width in dots (203 dpi heads: 576 on 80 mm paper, 384 on 58 mm).
    dots: int = Field(default=576, ge=128, le=1024)
    # Font A is 12x24 dots: one column per 12 dots; a Chinese glyph (24x24) takes two.
    columns: int = Field(default=48, ge=16, le=96)
    # Chinese mode (FS &): which character set the printer's built-in font covers.
    chinese: Literal["gb18030", "gb2312", "none"] = "gb18030"
    # Single-byte code page for text outside Chinese mode (ESC t n).
    codepage: str = "cp437"
    cut: bool = True
    native_qr: bool = True
    native_code128: bool = True

    @model_validator(mode="after")
    def _check(self) -> PrinterProfile:
        if self.codepage not in CODEPAGE_TABLES:
            raise ValueError(f"codepage {self.codepage!r} is not one of {sorted(CODEPAGE_TABLES)}")
        if self.columns * 12 > self.dots + 12:
            raise ValueError(f"{self.columns} columns of 12 dots do not fit in {self.dots} dots")
        return self

    @property
    def codepage_table(self) -> int:
        """The ESC t table number of `codepage`."""
        return CODEPAGE_TABLES[self.codepage]


BUILTIN_PROFILES: dict[str, PrinterProfile] = {
    p.name: p for p in (
        PrinterProfile(name="80mm-gb18030"),
        PrinterProfile(name="80mm-gb2312", chinese="gb2312"),
        PrinterProfile(name="58mm-gb18030", paper_mm=58, dots=384, columns=32),
        PrinterProfile(name="58mm-gb2312", paper_mm=58, dots=384, columns=32, chinese="gb2312"),
        # Cheap 58 mm printers without cutter, 2D symbol or barcode firmware: QR and Code 128 go as raster.
        PrinterProfile(name="58mm-basic", paper_mm=58, dots=384, columns=32, chinese="gb2312", cut=False,
                       native_qr=False, native_code128=False),
        PrinterProfile(name="80mm-latin", chinese="none", codepage="cp858"),
    )
}


def get_profile(name: str, custom: dict[str, PrinterProfile] | None = None) -> PrinterProfile:
    """The profile `name`, from `custom` (the site's own) first, then the built-ins; ValueError naming
    the known ones."""
    if custom and name in custom:
        return custom[name]
    try:
        return BUILTIN_PROFILES[name]
    except KeyError:
        known = sorted(set(BUILTIN_PROFILES) | set(custom or {}))
        raise ValueError(f"unknown printer profile {name!r} (known: {', '.join(known)})") from None
