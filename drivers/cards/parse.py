"""Card numbers as readers send them, turned into canonical card ids.

Canonical ids (what allow-lists hold and events carry):
    uid:04A1B2C3          a MIFARE/ISO 14443 UID (4, 7 or 10 bytes), upper-case hex
    w26:123:45678         Wiegand 26: facility code (8 bits) and card number (16 bits)
    w34:1234:45678        Wiegand 34: facility (16 bits) and card number (16 bits)
    code:ABC-123          the payload of a printed card's QR or Code 128

Readers disagree about how they show a UID: 8 or 14 hex digits (with or without ':' or '-'),
or the UID as a 10-digit decimal number; and about byte order (many keyboard-wedge readers
send the 4 bytes least-significant first). A read therefore yields every id it could mean
(`CardRead.candidates`) and an allow-list entry is stored in one canonical form; a card is
known when the two meet. Wiegand frames are checked against both parity bits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CARD_TEXT = 128
_HEX_SEP = re.compile(r"^(?:0x)?([0-9A-Fa-f]{2}(?:[:\- ]?[0-9A-Fa-f]{2})+)$")
_CODE_TEXT = re.compile(r"^[\x20-\x7e]{1,64}$")
UID_LENGTHS = (4, 7, 10)


class CardFormatError(ValueError):
    """A read that is not a card number this system understands; str() says why."""


@dataclass(frozen=True)
class CardRead:
    """One read from a card reader: what it sent, its kind, and every canonical id it may mean."""

    raw: str                         # what the reader sent (printable form)
    kind: str                        # "uid", "w26", "w34", "code"
    candidates: tuple[str, ...]      # canonical ids this read may mean, most likely first

    @property
    def card_id(self) -> str:
        """The most likely canonical id (the first candidate)."""
        return self.candidates[0]


def uid_id(data: bytes) -> str:
    """The canonical id of UID bytes as given: "uid:" and upper-case hex, no byte-order guessing."""
    return "uid:" + data.hex().upper()


def _uid_candidates(data: bytes) -> tuple[str, ...]:
    forward, backward = uid_id(data), uid_id(data[::-1])
    return (forward,) if forward == backward else (forward, backward)


def parse_wiegand(bits: str) -> CardRead:
    """A Wiegand frame as a string of 26 or 34 '0'/'1' characters, parity checked."""
    n = len(bits)
    if n not in (26, 34) or set(bits) - {"0", "1"}:
        raise CardFormatError(f"a Wiegand frame has 26 or 34 bits, got {n} characters")
    half = (n - 2) // 2
    first, second = bits[1:1 + half], bits[1 + half:n - 1]
    # Leading bit: even parity over the first half; trailing bit: odd parity over the second.
    if (int(bits[0]) + first.count("1")) % 2 != 0:
        raise CardFormatError(f"Wiegand-{n} even parity (leading bit) does not match")
    if (int(bits[-1]) + second.count("1")) % 2 != 1:
        raise CardFormatError(f"Wiegand-{n} odd parity (trailing bit) does not match")
    data = bits[1:n - 1]
    if n == 26:
        facility, card = int(data[:8], 2), int(data[8:], 2)
    else:
        facility, card = int(data[:16], 2), int(data[16:], 2)
    return CardRead(bits, f"w{n}", (f"w{n}:{facility}:{card}",))


def wiegand_bits(facility: int, card: int, length: int = 26) -> str:
    """Build a Wiegand frame with correct parity (for emulators, tests and enrolment tools)."""
    fbits = 8 if length == 26 else 16
    if not (0 <= facility < 1 << fbits and 0 <= card < 1 << 16):
        raise ValueError("facility or card number out of range")
    data = format(facility, f"0{fbits}b") + format(card, "016b")
    half = len(data) // 2
    lead = str(data[:half].count("1") % 2)
    trail = str(1 - data[half:].count("1") % 2)
    return lead + data + trail


def parse_card(text: str, fmt: str = "auto") -> CardRead:
    """Interpret one read. `fmt` is the reader's declared format: auto, hex, dec, wiegand, code."""
    raw = text.strip().strip("\x02\x03").strip()
    if not raw:
        raise CardFormatError("empty read")
    if len(raw) > MAX_CARD_TEXT:
        raise CardFormatError(f"read of {len(raw)} characters is longer than any card number")
    if any(not c.isprintable() for c in raw):
        raise CardFormatError("read contains control characters")
    if fmt == "code":
        return code_read(raw)
    if fmt in ("auto", "wiegand") and set(raw) <= {"0", "1"} and len(raw) >= 20:
        # Long runs of bits are Wiegand frames from a converter; a wrong length is a broken frame.
        return parse_wiegand(raw)
    if fmt == "wiegand":
        m = re.fullmatch(r"(\d{1,5})[,:/](\d{1,5})", raw)
        if m:
            facility, card = int(m[1]), int(m[2])
            kind = "w26" if facility < 256 else "w34"
            if facility >= 65536 or card >= 65536:
                raise CardFormatError("Wiegand facility or card number out of range")
            return CardRead(raw, kind, (f"{kind}:{facility}:{card}",))
        raise CardFormatError("not a Wiegand frame (26/34 bits, or facility,card)")
    if fmt in ("auto", "dec") and raw.isdigit() and (fmt == "dec" or len(raw) == 10):
        value = int(raw)
        for size in UID_LENGTHS:
            if value < 1 << (8 * size):
                return CardRead(raw, "uid", _uid_candidates(value.to_bytes(size, "big")))
        raise CardFormatError("decimal card number too large for a UID")
    if fmt in ("auto", "hex"):
        m = _HEX_SEP.fullmatch(raw)
        if m:
            data = bytes.fromhex(re.sub(r"[:\- ]", "", m[1]))
            if len(data) in UID_LENGTHS:
                cands = _uid_candidates(data)
                if fmt == "auto" and raw.isdigit():
                    # 8 or 14 digits alone may also be a decimal UID: keep that reading too.
                    value = int(raw)
                    if value < 1 << 32:
                        cands += tuple(c for c in _uid_candidates(value.to_bytes(4, "big")) if c not in cands)
                return CardRead(raw, "uid", cands)
            if fmt == "hex":
                raise CardFormatError(f"a UID has 4, 7 or 10 bytes, got {len(data)}")
    if fmt == "auto" and _CODE_TEXT.fullmatch(raw):
        return code_read(raw)
    raise CardFormatError(f"not a card number in {fmt} format")


def code_read(text: str) -> CardRead:
    """A printed card's barcode payload (resident/staff number printed as QR or Code 128)."""
    text = text.strip()
    if not _CODE_TEXT.fullmatch(text):
        raise CardFormatError("printed card code must be 1-64 printable ASCII characters")
    return CardRead(text, "code", ("code:" + text,))


def normalize_card_id(value: str) -> str:
    """One canonical id for an allow-list entry (canonical ids pass through unchanged)."""
    value = value.strip()
    prefix, _, rest = value.partition(":")
    if prefix == "uid" and re.fullmatch(r"[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20}", rest):
        return value
    if prefix in ("w26", "w34") and re.fullmatch(r"\d{1,5}:\d{1,5}", rest):
        return value
    if prefix == "code":
        return code_read(rest).card_id
    read = parse_card(value)
    if read.kind == "code":
        raise CardFormatError(f"{value!r} is not a card id (write printed codes as code:...)")
    return read.card_id
