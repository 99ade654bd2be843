"""zxing-cpp, restricted to the symbologies the lobby reads.

zxing-cpp is asked for its "HexECI" text: the payload bytes as hex with the symbology
identifier and any ECI charset designators kept in. The text is then built here from those
bytes: each ECI segment in its declared charset; UTF-8 as UTF-8. Only a payload that is
neither (legacy 8-bit text) needs a guess: by default zxing-cpp's own (it also knows when a
segment was in QR's GB2312 "Hanzi" mode), got by reading that one image again in Plain text
mode; a site may instead fix the order of charsets to try (`legacy`, e.g. GB18030 first).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import zxingcpp

from .symbol import LEGACY_CODECS, MAX_PAYLOAD_BYTES, Symbol, payload_text

# ECI assignment number -> Python codec (AIM ECI; the ones QR generators use).
ECI_CODECS = {0: "cp437", 1: "latin-1", 2: "cp437", 3: "latin-1", 4: "iso8859-2", 5: "iso8859-3", 6: "iso8859-4",
              7: "iso8859-5", 8: "iso8859-6", 9: "iso8859-7", 10: "iso8859-8", 11: "iso8859-9", 12: "iso8859-10",
              13: "iso8859-11", 15: "iso8859-13", 16: "iso8859-14", 17: "iso8859-15", 18: "iso8859-16",
              20: "shift_jis", 21: "cp1250", 22: "cp1251", 23: "cp1252", 24: "cp1256", 25: "utf-16-be",
              26: "utf-8", 27: "ascii", 28: "big5", 29: "gb18030", 30: "euc-kr", 32: "gb18030", 33: "utf-16-le",
              34: "utf-32-be", 35: "utf-32-le"}


class ZxingDecoder:
    """Decoder on zxing-cpp. Text comes from the symbol's ECI charsets when it declares any, else
    UTF-8, else ISO 8859-1 for 1-D codes and, for QR, the `legacy` charsets (zxing-cpp's guess if None)."""

    name = "zxing"

    def __init__(self, formats: tuple[str, ...] = ("QRCode", "Code128"), *, try_downscale: bool = True,
                 try_rotate: bool = True, try_invert: bool = False, legacy: tuple[str, ...] | None = None) -> None:
        self.legacy = legacy
        self._formats = zxingcpp.barcode_formats_from_str(",".join(formats))
        self._opts: dict[str, Any] = dict(try_rotate=try_rotate, try_downscale=try_downscale,
                                          try_invert=try_invert, text_mode=zxingcpp.TextMode.HexECI)

    def decode(self, gray: np.ndarray) -> list[Symbol]:
        """The valid symbols zxing-cpp finds in `gray`; payloads that are empty or longer than
        MAX_PAYLOAD_BYTES are left out."""
        out: list[Symbol] = []
        for bc in zxingcpp.read_barcodes(gray, formats=self._formats, **self._opts):
            if not bc.valid:
                continue
            raw = bytes(bc.bytes)
            if not 0 < len(raw) <= MAX_PAYLOAD_BYTES:
                continue
            fmt = bc.format.name if hasattr(bc.format, "name") else str(bc.format)
            p = bc.position
            poly = tuple((int(pt.x), int(pt.y)) for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
            text = eci_text(bc.text, self.legacy or LEGACY_CODECS)
            if text is None:
                text = self._text(gray, fmt, raw)
            out.append(Symbol(_name(fmt), raw, text, poly, self.name))
        return out

    def _text(self, gray: np.ndarray, fmt: str, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        if not fmt.startswith("QR"):
            return payload_text(raw, legacy=())  # Code 128's own character set is ISO 8859-1
        if self.legacy is not None:
            return payload_text(raw, legacy=self.legacy)
        opts = {**self._opts, "text_mode": zxingcpp.TextMode.Plain}
        for bc in zxingcpp.read_barcodes(gray, formats=self._formats, **opts):
            if bytes(bc.bytes) == raw:
                return bc.text
        return payload_text(raw)

    def close(self) -> None:
        """Nothing to release (zxing-cpp holds no per-decoder state); there for the Decoder protocol."""
        pass


def eci_text(hex_eci: str, legacy: tuple[str, ...] = LEGACY_CODECS) -> str | None:
    """Text from zxing-cpp's HexECI form when the symbol declares ECI charsets, else None.

    The form is the symbology identifier ("]Q2" = QR with ECI) then the bytes, where "\\NNNNNN"
    switches charset and "\\\\" is one backslash (AIM ECI transmission protocol).
    """
    try:
        data = bytes.fromhex(hex_eci)
    except ValueError:
        return None
    if len(data) < 3 or data[:1] != b"]" or data[2:3] not in b"246":
        return None  # no ECI in this symbol
    segments: list[tuple[str | None, bytes]] = []
    codec: str | None = None
    body, buf, i = data[3:], bytearray(), 0
    while i < len(body):
        if body[i] == 0x5C and body[i + 1:i + 2] == b"\\":
            buf.append(0x5C)
            i += 2
        elif body[i] == 0x5C and body[i + 1:i + 7].isdigit() and len(body[i + 1:i + 7]) == 6:
            segments.append((codec, bytes(buf)))
            buf = bytearray()
            codec = ECI_CODECS.get(int(body[i + 1:i + 7]))
            i += 7
        else:
            buf.append(body[i])
            i += 1
    segments.append((codec, bytes(buf)))
    parts = []
    for seg_codec, seg in segments:
        if not seg:
            continue
        parts.append(payload_text(seg, eci_charset=seg_codec, legacy=legacy))
    return "".join(parts)


def _name(fmt: str) -> str:
    return {"QRCodeModel2": "QRCode", "QRCodeModel1": "QRCode"}.get(fmt, fmt)
