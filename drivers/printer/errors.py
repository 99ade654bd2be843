"""What can go wrong talking to a printer, told apart so the print queue can act on each case."""
from __future__ import annotations

from ..device import DeviceError


class PrinterError(DeviceError):
    """Base class; str() is a message for the desk."""


class PrinterUnreachable(PrinterError):
    """The printer could not be opened at all (no route, refused, no such device); nothing was sent."""


class PrinterNoAnswer(PrinterError):
    """The printer is connected but did not answer within the timeout (not the same as paper out)."""


class PrinterNotReady(PrinterError):
    """The printer answered and said it cannot print (paper out, cover open, offline, error)."""

    def __init__(self, status) -> None:
        super().__init__(f"printer not ready: {status.describe()}")
        self.status = status


class PrinterGone(PrinterError):
    """The connection broke after bytes were sent: the job may be partly printed."""

    def __init__(self, message: str, sent_bytes: int) -> None:
        super().__init__(message)
        self.sent_bytes = sent_bytes
