"""Serial card readers (USB-serial, RS-232, or a TCP bridge) through pyserial's serial_for_url.

Readers send one card per line (CR and/or LF), some wrapped in STX ... ETX, some with no
terminator at all: a pause of `gap_s` after the last byte also ends a read. URLs are whatever
serial_for_url opens ("/dev/ttyUSB0", "socket://10.0.0.5:4001", "loop://"), with "?baud=N"
allowed after a plain device path.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import serial

from .reader import ReaderThread

log = logging.getLogger(__name__)

MAX_FRAME = 256
_TERMINATORS = b"\r\n\x03"


def split_url(url: str) -> tuple[str, int]:
    baud = 9600
    if "://" not in url and "?" in url:
        url, _, query = url.partition("?")
        for part in query.split("&"):
            key, _, value = part.partition("=")
            if key in ("baud", "baudrate"):
                baud = int(value)
            elif key:
                raise ValueError(f"unknown serial reader option {key!r}")
    return url, baud


class FrameSplitter:
    """Bytes in, reads out: split on CR/LF/ETX, drop STX, end a read after `gap_s` of silence."""

    def __init__(self, gap_s: float = 0.1) -> None:
        self.gap_s = gap_s
        self._buf = bytearray()
        self._last = 0.0

    def feed(self, data: bytes, t: float) -> list[bytes]:
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
        if self._buf and t - self._last > self.gap_s:
            frame = bytes(self._buf)
            self._buf.clear()
            return [frame]
        return []


class SerialReader(ReaderThread):
    thread_name = "serial-card-reader"

    def __init__(self, url: str, on_read: Callable[[str], None], *, gap_s: float = 0.1,
                 on_state: Callable[[str, str], None] | None = None) -> None:
        super().__init__(on_read, gap_s=gap_s, on_state=on_state)
        self.url, self.baud = split_url(url)

    def _run(self) -> None:
        splitter = FrameSplitter(self.gap_s)
        while not self._stop.is_set():
            try:
                port = serial.serial_for_url(self.url, baudrate=self.baud, timeout=self.gap_s / 2)
            except (serial.SerialException, OSError, ValueError) as err:
                self._set("missing", f"{self.url}: {err}")
                self._stop.wait(1.0)
                continue
            self._set("ready", self.url)
            try:
                while not self._stop.is_set():
                    data = port.read(64)
                    for frame in splitter.feed(data, time.monotonic()):
                        self._emit(frame)
            except (serial.SerialException, OSError) as err:
                self._set("missing", f"{self.url}: {err}")
            finally:
                port.close()

    def _emit(self, frame: bytes) -> None:
        # Card numbers are ASCII; anything else is passed on escaped so it is shown, never lost.
        text = frame.decode("ascii", errors="backslashreplace")
        try:
            self.on_read(text)
        except Exception:
            log.exception("card read handler failed")
