"""The decoder chain the kiosk ships, ordered by measurement on the ZXing black-box corpus.

Measured (bench/scan.py, QR + Code 128 only, 228 photos): zxing-cpp alone reads 93.9 % at
~1 ms median per image, zbar alone 88.6 % at ~3 ms; zbar still reads two photos zxing-cpp
misses (chain 94.7 %), so it runs second, only on frames where zxing-cpp found nothing.
Neither reports anything on the 47 false-positive images with symbologies limited to QR and
Code 128 (more symbologies only add chances to "see" a barcode in a photo of a wall).
"""
from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np

from .symbol import LEGACY_CODECS, Symbol

DEFAULT_FORMATS = ("QRCode", "Code128")


class Decoder(Protocol):
    """What a barcode decoder offers: a name, decode() of an 8-bit grey image, close()."""

    name: str

    def decode(self, gray: np.ndarray) -> list[Symbol]:
        """The symbols found in `gray` (8-bit single channel), [] if none."""

    def close(self) -> None:
        """Release the decoder's resources."""


def to_gray(image: np.ndarray) -> np.ndarray:
    """8-bit single channel: zbar reads only the first channel, so a BGR frame must be converted."""
    if image.ndim == 2:
        return image if image.dtype == np.uint8 else cv2.convertScaleAbs(image)
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    raise ValueError(f"cannot scan an image of shape {image.shape}")


def make_decoder(name: str, formats: tuple[str, ...] = DEFAULT_FORMATS,
                 legacy: tuple[str, ...] | None = None) -> Decoder:
    """`legacy`: charsets tried, in order, for payloads that are neither ECI-marked nor UTF-8
    (None: zxing-cpp's own guess for zxing, Shift-JIS then GB18030 for zbar)."""
    if name == "zxing":
        from .zxing import ZxingDecoder
        return ZxingDecoder(formats, legacy=legacy)
    if name == "zbar":
        from .zbar import ZbarDecoder
        return ZbarDecoder(formats, legacy=legacy or LEGACY_CODECS)
    raise ValueError(f"unknown decoder {name!r} (known: zxing, zbar)")


class DecoderChain:
    """Run decoders in order; the first that finds anything answers for the frame."""

    name = "chain"

    def __init__(self, decoders: list[Decoder]) -> None:
        if not decoders:
            raise ValueError("a decoder chain needs at least one decoder")
        self.decoders = decoders

    def decode(self, image: np.ndarray) -> list[Symbol]:
        """The symbols the first decoder to find any reads in `image` (any channel layout,
        converted to grey), duplicates removed; [] if none does."""
        gray = to_gray(image)
        for decoder in self.decoders:
            found = decoder.decode(gray)
            if found:
                return _unique(found)
        return []

    def close(self) -> None:
        """Close every decoder in the chain."""
        for decoder in self.decoders:
            decoder.close()


def default_chain(order: tuple[str, ...] = ("zxing", "zbar"), formats: tuple[str, ...] = DEFAULT_FORMATS,
                  legacy: tuple[str, ...] | None = None) -> DecoderChain:
    """A chain of the decoders named in `order` (zxing-cpp, then zbar by default) for `formats`."""
    return DecoderChain([make_decoder(n, formats, legacy) for n in order])


def _unique(symbols: list[Symbol]) -> list[Symbol]:
    seen, out = set(), []
    for s in symbols:
        if s.key not in seen:
            seen.add(s.key)
            out.append(s)
    return out
