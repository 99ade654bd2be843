"""Text for the printer: sanitising, column widths, wrapping and encoding, done here and not by
python-escpos (whose magic encoder switches the whole job to GB18030 only when it sees an
ideograph and mangles ¥, ￥ and accented Latin).

Rules:
* user text can never carry commands: every control character (C0, DEL, C1, ESC, FS, GS, DLE...)
  and Unicode format character is removed before encoding; tabs become spaces;
* a character's columns are what the printer gives it: in Chinese mode every two-byte GB
  character is a 24-dot glyph (2 columns, also for ·, é, “ which Unicode calls narrow or
  ambiguous), ASCII 1; outside Chinese mode 1; bitmap characters their East-Asian width;
* a character is "native" if the profile's font has it: in Chinese mode GB18030 two-byte codes
  (GBK range, which holds 堃 喆 赟) or GB2312 only; outside it the single-byte code page. Anything
  else (emoji, rare symbols, 4-byte GB18030 codes) makes its line a bitmap.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

from .profiles import PrinterProfile

# ¥ (U+00A5) is a 4-byte code in GB18030 and absent from GB2312; the fullwidth form is in both.
# The half-width yen sign is substituted rather than dropped or turned into '?'.
_SUBSTITUTES = {"\u00a5": "\uffe5"}


def sanitize(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control, format, surrogate, private-use and unassigned character removed, tabs
    and line breaks turned into spaces (newlines kept with `keep_newlines`), and ¥ made fullwidth."""
    out = []
    for ch in str(text):
        if ch == "\n" and keep_newlines:
            out.append(ch)
            continue
        if ch in "\t\r\n\v\f":
            out.append(" ")
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            continue  # control, format (bidi overrides, zero-width), surrogate, private, unassigned
        out.append(_SUBSTITUTES.get(ch, ch))
    return "".join(out)


@lru_cache(maxsize=8192)
def char_width(ch: str) -> int:
    """Columns of `ch` by Unicode alone: 0 for a combining mark, 2 for East-Asian wide/fullwidth, else 1."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cell_width(ch: str, profile: PrinterProfile | None = None) -> int:
    """Columns `ch` takes on `profile`'s printer (Unicode East-Asian width without a profile)."""
    if profile is None or ch.isascii():
        return char_width(ch)
    if native_bytes(ch, profile) is not None:
        return 2 if profile.chinese != "none" else 1
    return char_width(ch)


def width(text: str, profile: PrinterProfile | None = None) -> int:
    """Columns `text` takes on `profile`'s printer (Unicode East-Asian widths without a profile)."""
    return sum(cell_width(c, profile) for c in text)


# Chinese line breaking: these never start a line (the character before them moves down with them).
NO_LINE_START = set("，。、；：？！）」』》〉】”’…,.;:?!)%")


def wrap(text: str, columns: int, profile: PrinterProfile | None = None) -> list[str]:
    """Break text into lines of at most `columns` columns; words of Latin text are kept whole
    when they fit on a line, CJK breaks anywhere."""
    lines: list[str] = []
    for para in text.split("\n"):
        line, used = "", 0
        i = 0
        while i < len(para):
            ch = para[i]
            if ch.isascii() and ch.isalnum():
                j = i
                while j < len(para) and para[j].isascii() and para[j].isalnum():
                    j += 1
                word = para[i:j]
                if used + len(word) > columns and used and len(word) <= columns:
                    lines.append(line.rstrip())
                    line, used = "", 0
                for c in word:
                    if used + 1 > columns:
                        lines.append(line)
                        line, used = "", 0
                    line += c
                    used += 1
                i = j
                continue
            w = cell_width(ch, profile)
            if used + w > columns:
                carry = ""
                if ch in NO_LINE_START and len(line) > 1 and not line[-1].isspace():
                    line, carry = line[:-1], line[-1]
                lines.append(line.rstrip())
                line, used = carry, width(carry, profile)
                if ch == " ":
                    i += 1
                    continue
            line += ch
            used += w
            i += 1
        lines.append(line.rstrip())
    return lines


def pad(left: str, right: str, columns: int, profile: PrinterProfile | None = None) -> str:
    """`left ... right` on one line of `columns` columns (right wins if they do not fit)."""
    gap = columns - width(left, profile) - width(right, profile)
    if gap < 1:
        return left + " " + right
    return left + " " * gap + right


# Python's GB2312 table maps A1A4 to U+30FB and A1AA to U+2015 where GB18030 has U+00B7, U+2014.
GB2312_ALIASES = {"\u00b7": "\u30fb", "\u2014": "\u2015"}


@lru_cache(maxsize=65536)
def _native_bytes(ch: str, chinese: str, codepage: str) -> bytes | None:
    o = ord(ch)
    if 0x20 <= o < 0x7F:
        return ch.encode("ascii")
    try:
        if chinese == "gb2312":
            try:
                return ch.encode("gb2312")
            except UnicodeEncodeError:
                if ch in GB2312_ALIASES:  # same code, other Unicode mapping (GB2312 vs GB18030 tables)
                    return GB2312_ALIASES[ch].encode("gb2312")
                raise
        if chinese == "gb18030":
            b = ch.encode("gb18030")
            return b if len(b) == 2 else None  # 4-byte codes are not in the printers' fonts
        return ch.encode(codepage)
    except UnicodeEncodeError:
        return None


def native_bytes(ch: str, profile: PrinterProfile) -> bytes | None:
    """The bytes of `ch` in the profile's font (Chinese mode or its code page), or None if the font lacks it."""
    return _native_bytes(ch, profile.chinese, profile.codepage)


def encode_line(text: str, profile: PrinterProfile) -> bytes | None:
    """The line's bytes for the printer's text mode, or None if a character needs the bitmap path.

    `text` must already be sanitised; every byte produced is printable (>= 0x20, no ESC/GS/FS/DLE:
    GB lead bytes are >= 0x81 and trail bytes >= 0x40)."""
    parts = []
    for ch in text:
        if char_width(ch) == 0 and not ch.isprintable():
            continue
        b = native_bytes(ch, profile)
        if b is None:
            return None
        parts.append(b)
    return b"".join(parts)


def unprintable(text: str, profile: PrinterProfile) -> list[str]:
    """The characters of `text` the profile's font lacks (they would make their line a bitmap), in order."""
    return [c for c in text if native_bytes(c, profile) is None]
