"""Serial card readers (USB-serial, RS-232, or a TCP bridge) through pyserial's serial_for_url.

Readers send one card per line (CR and/or LF), some wrapped in STX ... ETX, some with no
terminator at all: a pause of `gap_s` after the last byte also ends a read. A reader is
opened on `serial:/dev/ttyUSB0?baud=9600`, or on pyserial's own URLs
(`socket://10.0.0.5:4001`, `rfc2217://host:port`, `loop://` for a simulated reader).
"""
from __future__ import annotations

import logging
import time

import serial

from .reader import ReaderThread, ReadHandler

log = logging.getLogger(__name__)

MAX_FRAME = 256
_TERMINATORS = b"\r\n\x03"


class FrameSplitter:
    """Bytes in, reads out: split on CR/LF/ETX, drop STX, end a read after `gap_s` of silence."""

    def __init__(self, gap_s: float = 0.1) -> None:
        self.gap_s = gap_s
        self._buf = bytearray()
        self._last = 0.0

    def feed(self, data: bytes, t: float) -> list[bytes]:
        """The reads completed by `data` arriving at monotonic time `t` (a read ended by the gap
        included); STX drops what came before it, and a read is capped at MAX_FRAME bytes."""
        out = self.poll(t)
        for b in data:
            if b in _TERMINATORS:
                if self._buf:
                    out.append(bytes(self._buf))
                self._buf.clear()
            elif b == 0x02:
                self._buf.clear()  # STX starts a frame: whatever came before was noise
            elif len(self._buf) < MAX_FRAME:
                self._buf.append(b)
        if data:
            self._last = t
        return out

    def poll(self, t: float) -> list[bytes]:
        """The pending read as a one-item list if `gap_s` has passed since the last byte at time `t`, else []."""
        if self._buf and t - self._last > self.gap_s:
            frame = bytes(self._buf)
            self._buf.clear()
            return [frame]
        return []


class SerialReader(ReaderThread):
    """A card reader on a pyserial port or URL; reads are ASCII-decoded (other bytes escaped) and
    the port is reopened every second while it is missing."""

    thread_name = "serial-card-reader"

    def __init__(self, *, url: str, port: str, baud: int = 9600, on_read: ReadHandler | None = None,
                 gap_s: float = 0.1) -> None:
        super().__init__(url=url, on_read=on_read, gap_s=gap_s)
        self.port, self.baud = port, baud

    def _run(self) -> None:
        splitter = FrameSplitter(self.gap_s)
        while not self._stop.is_set():
            try:
                port = serial.serial_for_url(self.port, baudrate=self.baud, timeout=self.gap_s / 2)
            except (serial.SerialException, OSError, ValueError) as err:
                self._set_state("missing", f"{self.port}: {err}")
                self._stop.wait(1.0)
                continue
            self._set_state("ready", self.port)
            try:
                while not self._stop.is_set():
                    data = port.read(64)
                    for frame in splitter.feed(data, time.monotonic()):
                        self._emit_frame(frame)
            except (serial.SerialException, OSError) as err:
                self._set_state("missing", f"{self.port}: {err}")
            finally:
                port.close()

    def _emit_frame(self, frame: bytes) -> None:
        # Card numbers are ASCII; anything else is passed on escaped so it is shown, never lost.
        self._emit(frame.decode("ascii", errors="backslashreplace"))
