"""What a decoder found: one symbol, with its raw bytes kept beside the text.

Decoders disagree about how to turn a QR code's byte segment into text (zbar guesses
Shift-JIS for bytes that are really UTF-8 Chinese), so every decoder here returns the raw
payload bytes, and the text is made from them here: the charset the symbol declares (ECI)
if any, else UTF-8 when the bytes are UTF-8, else a guess among legacy charsets.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# A QR code holds at most 2953 bytes; anything longer did not come from a symbol we can read.
MAX_PAYLOAD_BYTES = 4096

# Order matters: UTF-8 is strict enough that random bytes almost never pass. For bytes that are
# not UTF-8 and carry no ECI, Shift-JIS is what the QR standard's Kanji mode and Japanese
# generators use (and what ZXing assumes); GB18030 is what older Chinese generators use. The two
# overlap, so the order is a choice: `legacy` lets a site in China put GB18030 first. Latin-1
# always succeeds, so it is last.
LEGACY_CODECS = ("shift_jis", "gb18030")


def payload_text(raw: bytes, eci_charset: str | None = None, legacy: tuple[str, ...] = LEGACY_CODECS) -> str:
    """Text for a payload: the ECI charset if the symbol declared one, else UTF-8, else a guess."""
    if eci_charset:
        try:
            return raw.decode(eci_charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for codec in legacy:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        # ASCII control characters are the payload's own; a guess that yields non-ASCII control
        # or unassigned characters is a wrong guess.
        if all(c.isprintable() for c in text if ord(c) > 0x7F):
            return text
    return raw.decode("latin-1")


@dataclass(frozen=True)
class Symbol:
    """One decoded barcode. `polygon` is the decoder's corner points in image pixels."""

    format: str            # "QRCode", "Code128", ... (zxing-cpp's names, shared by all decoders)
    raw: bytes             # the payload bytes exactly as encoded in the symbol
    text: str              # payload_text(raw), or the decoder's own text for 1-D symbologies
    polygon: tuple[tuple[int, int], ...] = ()
    decoder: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, bytes]:
        """Identity for de-duplication: same format and same bytes is the same symbol."""
        return (self.format, self.raw)

    def to_json(self) -> dict:
        """The symbol as `frontdesk scan` prints it: format, text, payload bytes in hex, polygon as lists."""
        return {"format": self.format, "text": self.text, "bytes_hex": self.raw.hex(),
                "polygon": [list(p) for p in self.polygon]}
