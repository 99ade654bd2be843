"""Composing a job into bytes without a printer (the print queue stores exactly what it sends)."""
from __future__ import annotations

from .profiles import PrinterProfile
from .transport import BufferPrinter


class Composer(BufferPrinter):
    """A printer with no device behind it: composes for `profile` into memory, beginning with start()'s
    reset and text-mode commands."""

    def __init__(self, profile: PrinterProfile) -> None:
        super().__init__(url="buffer:", printer_profile=profile)
        self.start()

    def job(self) -> bytes:
        """The bytes composed so far."""
        return self.output
