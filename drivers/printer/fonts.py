"""Fonts for drawing slip text as dots (bitmap fallback lines and the virtual printer's renderer).

A CJK font from Debian (fonts-wqy-microhei or fonts-noto-cjk; Droid Sans Fallback also works),
DejaVu for symbols and Latin. Characters no font has are drawn as an empty box.
"""
from __future__ import annotations

import os
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

CJK_FONTS = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]
MONO_FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
]
SYMBOL_FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf",
]


class FontMissing(RuntimeError):
    """No font on this machine to draw slip text with (the message names the package to install)."""
    pass


def _first(paths: list[str], env: str) -> str | None:
    override = os.environ.get(env)
    if override:
        return override
    return next((p for p in paths if os.path.exists(p)), None)


@lru_cache(maxsize=32)
def _font(kind: str, size: int) -> ImageFont.FreeTypeFont:
    if kind == "cjk":
        path = _first(CJK_FONTS, "FRONTDESK_CJK_FONT")
        if not path:
            raise FontMissing("no CJK font found: apt-get install fonts-wqy-microhei (or fonts-noto-cjk), "
                              "or set FRONTDESK_CJK_FONT")
    elif kind == "mono":
        path = _first(MONO_FONTS, "FRONTDESK_MONO_FONT") or _first(CJK_FONTS, "FRONTDESK_CJK_FONT")
    else:
        path = _first(SYMBOL_FONTS, "FRONTDESK_SYMBOL_FONT") or _first(CJK_FONTS, "FRONTDESK_CJK_FONT")
    if not path:
        raise FontMissing("no font found for slip text")
    return ImageFont.truetype(path, size)


@lru_cache(maxsize=16)
def _notdef(kind: str, size: int) -> bytes:
    return bytes(_font(kind, size).getmask("\U000F0000"))


def _has(kind: str, size: int, ch: str) -> bool:
    try:
        return bytes(_font(kind, size).getmask(ch)) != _notdef(kind, size)
    except (OSError, FontMissing):
        return False


@lru_cache(maxsize=16384)
def glyph(ch: str, cell_w: int, cell_h: int, bold: bool = False) -> Image.Image:
    """One character drawn black-on-white ("L" mode) into a cell of cell_w x cell_h dots."""
    img = Image.new("L", (cell_w, cell_h), 255)
    if ch == " " or not ch:
        return img
    size = cell_h - 2
    if ch.isascii():
        kinds = ["mono", "cjk"]
    else:
        kinds = ["cjk", "symbol", "mono"]
    kind = next((k for k in kinds if _has(k, size, ch)), None)
    draw = ImageDraw.Draw(img)
    if kind is None:
        draw.rectangle((2, 3, cell_w - 3, cell_h - 4), outline=0)
        return img
    font = _font(kind, size if kind != "mono" else int(cell_h * 0.85))
    # Centre by advance width and sit on a common baseline, so punctuation stays where it belongs.
    x = (cell_w - font.getlength(ch)) / 2
    y = round(cell_h * 0.82)
    draw.text((x, y), ch, font=font, fill=0, anchor="ls")
    if bold:  # double strike, as the printer does: one dot to the right
        draw.text((x + 1, y), ch, font=font, fill=0, anchor="ls")
    return img
