"""zbar (through pyzbar's ctypes bindings), set up to hand back raw payload bytes.

pyzbar.decode() lets zbar turn QR byte segments into text with its own charset guess, which
mangles UTF-8 Chinese into Shift-JIS look-alikes. zbar 0.23+ has a "binary" option that
returns the bytes untouched; pyzbar's enum predates it, so its number is given here. The
scanner is created once per decoder and reused (creating one per frame costs ~1 ms).
zbar reads only the first channel of an image, so callers pass grayscale.
"""
from __future__ import annotations

import threading
from ctypes import string_at

import numpy as np

from .symbol import LEGACY_CODECS, MAX_PAYLOAD_BYTES, Symbol, payload_text

# zbar.h (0.23): ZBAR_CFG_ENABLE=0, ADD_CHECK, EMIT_CHECK, ASCII, BINARY=4, NUM, ...
_CFG_BINARY = 4
_GREY = 0x59455247  # fourcc 'GREY'

# zbar's names -> the names used throughout frontdesk (zxing-cpp's).
_FORMATS = {"QRCODE": "QRCode", "CODE128": "Code128", "CODE39": "Code39", "CODE93": "Code93",
            "EAN13": "EAN13", "EAN8": "EAN8", "UPCA": "UPCA", "UPCE": "UPCE", "I25": "ITF",
            "CODABAR": "Codabar", "PDF417": "PDF417", "DATABAR": "DataBar", "DATABAR_EXP": "DataBarExp",
            "SQCODE": "SQCode", "ISBN10": "ISBN10", "ISBN13": "ISBN13"}


class ZbarDecoder:
    """Decoder on libzbar (through pyzbar's ctypes wrapper) with only the wanted symbologies enabled;
    decode() is serialised by a lock, as one zbar scanner is not thread-safe."""

    name = "zbar"

    def __init__(self, formats: tuple[str, ...] = ("QRCode", "Code128"), *,
                 legacy: tuple[str, ...] = LEGACY_CODECS) -> None:
        from pyzbar import wrapper as w  # imported here: loading libzbar fails without the library
        self._w = w
        self.legacy = legacy
        wanted = {zname for zname, ours in _FORMATS.items() if ours in formats}
        self._lock = threading.Lock()
        self._scanner = w.zbar_image_scanner_create()
        if not self._scanner:
            raise RuntimeError("zbar: cannot create an image scanner")
        # Everything off, then the wanted symbologies on: fewer decoders, fewer false positives.
        w.zbar_image_scanner_set_config(self._scanner, 0, w.ZBarConfig.CFG_ENABLE, 0)
        for sym in w.ZBarSymbol:
            if sym.name in wanted:
                w.zbar_image_scanner_set_config(self._scanner, sym, w.ZBarConfig.CFG_ENABLE, 1)
                w.zbar_image_scanner_set_config(self._scanner, sym, _CFG_BINARY, 1)

    def decode(self, gray: np.ndarray) -> list[Symbol]:
        """The symbols zbar finds in `gray`; ValueError unless it is 8-bit single-channel.
        Payloads that are empty or longer than MAX_PAYLOAD_BYTES are left out."""
        w = self._w
        if gray.ndim != 2 or gray.dtype != np.uint8:
            raise ValueError("zbar needs an 8-bit single-channel image")
        gray = np.ascontiguousarray(gray)
        height, width = gray.shape
        pixels = gray.tobytes()
        out: list[Symbol] = []
        with self._lock:  # one zbar scanner is not safe to share between threads
            image = w.zbar_image_create()
            try:
                w.zbar_image_set_format(image, _GREY)
                w.zbar_image_set_size(image, width, height)
                w.zbar_image_set_data(image, pixels, len(pixels), None)
                if w.zbar_scan_image(self._scanner, image) < 0:
                    return []
                sym = w.zbar_image_first_symbol(image)
                while sym:
                    length = w.zbar_symbol_get_data_length(sym)
                    raw = string_at(w.zbar_symbol_get_data(sym), length) if length else b""
                    try:
                        zname = w.ZBarSymbol(sym.contents.type).name
                    except ValueError:
                        zname = f"zbar-{sym.contents.type}"
                    points = tuple((int(w.zbar_symbol_get_loc_x(sym, i)), int(w.zbar_symbol_get_loc_y(sym, i)))
                                   for i in range(w.zbar_symbol_get_loc_size(sym)))
                    if 0 < len(raw) <= MAX_PAYLOAD_BYTES:
                        fmt = _FORMATS.get(zname, zname)
                        text = payload_text(raw, legacy=self.legacy)
                        out.append(Symbol(fmt, raw, text, _corners(points), self.name))
                    sym = w.zbar_symbol_next(sym)
            finally:
                w.zbar_image_destroy(image)
        return out

    def close(self) -> None:
        """Destroy the zbar scanner; safe to call more than once."""
        with self._lock:
            if self._scanner:
                self._w.zbar_image_scanner_destroy(self._scanner)
                self._scanner = None

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass


def _corners(points: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    """zbar gives a QR's four corners but a 1-D code's scan-line hits: reduce those to a box."""
    if len(points) <= 4:
        return points
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return ((min(xs), min(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), max(ys)))
