"""Composing a job into bytes without a printer (the print queue stores exactly what it sends)."""
from __future__ import annotations

from .profiles import PrinterProfile
from .transport import BufferPrinter


class Composer(BufferPrinter):
    def __init__(self, profile: PrinterProfile) -> None:
        super().__init__(url="buffer:", printer_profile=profile)
        self.start()

    def job(self) -> bytes:
        return self.output
