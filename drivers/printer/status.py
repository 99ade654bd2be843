"""Real-time status (DLE EOT n) bytes decoded into one answer the desk can read.

Every DLE EOT reply has the fixed pattern 0xx1xx10; a GS r 1 reply has bit 4 clear (0xx0xxxx),
so the two can be told apart on the same wire.
"""
from __future__ import annotations

from dataclasses import dataclass, field

DLE_EOT = b"\x10\x04"
GS_R_PAPER = b"\x1dr\x01"


def is_status_byte(b: int) -> bool:
    """True if `b` has the fixed pattern of a DLE EOT reply (0xx1xx10)."""
    return b & 0b10010011 == 0b00010010


def is_gs_r_reply(b: int) -> bool:
    """True if `b` can be a GS r reply (bits 4 and 7 clear)."""
    return b & 0b10010000 == 0


@dataclass(frozen=True)
class PrinterStatus:
    """The printer's condition from its DLE EOT replies; `answered` False means it did not answer at all."""

    answered: bool
    offline: bool = False
    cover_open: bool = False
    paper_out: bool = False
    paper_near_end: bool = False
    error: bool = False
    cutter_error: bool = False
    unrecoverable: bool = False
    raw: dict[int, int] = field(default_factory=dict)

    @classmethod
    def no_answer(cls) -> PrinterStatus:
        """The status of a printer that did not answer (or cannot: a one-way transport)."""
        return cls(answered=False)

    @classmethod
    def from_bytes(cls, replies: dict[int, int]) -> PrinterStatus:
        """replies: n -> reply byte for the DLE EOT n that were answered."""
        s1, s2, s3, s4 = (replies.get(n, 0b00010010) for n in (1, 2, 3, 4))
        return cls(
            answered=True,
            offline=bool(s1 & 0x08),
            cover_open=bool(s2 & 0x04),
            paper_out=bool(s2 & 0x20) or bool(s4 & 0x60),
            paper_near_end=bool(s4 & 0x0C),
            error=bool(s2 & 0x40),
            cutter_error=bool(s3 & 0x08),
            unrecoverable=bool(s3 & 0x20),
            raw=dict(replies),
        )

    @property
    def ready(self) -> bool:
        """True when a job can be sent now (paper near end still prints)."""
        return self.answered and not (self.offline or self.cover_open or self.paper_out or self.error
                                      or self.cutter_error or self.unrecoverable)

    @property
    def state(self) -> str:
        """One word for the most important condition."""
        if not self.answered:
            return "no_answer"
        for name in ("cover_open", "paper_out", "cutter_error", "unrecoverable", "error", "offline"):
            if getattr(self, name):
                return name
        return "paper_near_end" if self.paper_near_end else "ready"

    def describe(self) -> str:
        """The conditions in words ("paper out, error"), "ready", or why there was no answer."""
        if not self.answered:
            return "no answer (printer off, wrong port, or not an ESC/POS printer)"
        flags = [n.replace("_", " ") for n in ("offline", "cover_open", "paper_out", "paper_near_end", "error",
                                                "cutter_error", "unrecoverable") if getattr(self, n)]
        return ", ".join(flags) if flags else "ready"
