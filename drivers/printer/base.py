"""The one ESC/POS command base: slip composition, real-time status and job confirmation.

ReceiptPrinter is a Device (drivers/device.py) and extends python-escpos' Escpos; each transport
(transport.py) is a small subclass that mixes it with python-escpos' own USB/serial/network/file
class and adds only connecting, disconnecting and a timed read.
Text never goes through python-escpos' magic encoder: textcodec.py encodes it for the profile.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from escpos.escpos import Escpos

from ..device import Device
from . import code128
from .bitmap import draw_line, qr_image, raster_command
from .errors import PrinterGone, PrinterNoAnswer, PrinterNotReady, PrinterUnreachable
from .profiles import BUILTIN_PROFILES, PrinterProfile
from .status import DLE_EOT, GS_R_PAPER, PrinterStatus, is_gs_r_reply, is_status_byte
from .textcodec import encode_line, sanitize, width, wrap

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
ALIGN = {"left": 0, "center": 1, "right": 2}
QR_EC = {"L": 0, "M": 1, "Q": 2, "H": 3}
T = TypeVar("T")


class ReceiptPrinter(Device, Escpos):
    """Commands shared by every transport. Subclasses provide `_connect`, `_disconnect`, `_raw`
    (python-escpos) and `_recv`. python-escpos opens a printer on first use through `open()`."""

    kind = "printer"
    #: False for write-only transports (file, buffer): no status, no confirmation.
    bidirectional = True

    def __init__(self, *args: Any, url: str, printer_profile: PrinterProfile | None = None, **kwargs: Any) -> None:
        super().__init__(*args, url=url, **kwargs)
        self.fp: PrinterProfile = printer_profile or BUILTIN_PROFILES["80mm-gb18030"]
        self.bytes_sent = 0
        self.on_first_byte: Callable[[], None] | None = None

    def __del__(self) -> None:
        # python-escpos closes on deletion; a printer whose construction failed has nothing to close.
        if getattr(self, "_dev_open", False):
            self.close()

    # -- transport hooks -----------------------------------------------------------------------

    def _guard_connect(self, connect: Callable[[], T], what: str) -> T:
        """Run a transport's connect; failure is state "unreachable" and PrinterUnreachable."""
        try:
            result = connect()
        except Exception as err:  # socket, serial, USB and file errors differ; all mean "unreachable"
            self._set_state("unreachable", f"{what}: {err}")
            raise PrinterUnreachable(f"{what}: {err}") from None
        self._set_state("ready", self.url)
        return result

    def _gone(self, message: str) -> PrinterGone:
        """The connection broke: state "gone", and the error to raise (with the bytes already sent)."""
        self._set_state("gone", message)
        return PrinterGone(message, self.bytes_sent)

    def _recv(self, timeout: float) -> bytes:
        """Up to a few bytes from the printer within `timeout` s; b"" if none came."""
        return b""

    def send(self, data: bytes, chunk: int = 4096) -> None:
        """Write raw bytes; a broken connection becomes PrinterGone with the count already sent."""
        for i in range(0, len(data), chunk):
            part = data[i:i + chunk]
            try:
                self._raw(part)
            except PrinterGone:
                raise
            except Exception as err:  # socket, serial and USB errors differ; all mean "gone"
                raise self._gone(f"connection lost after {self.bytes_sent} bytes: {err}") from None
            if self.bytes_sent == 0 and self.on_first_byte:
                self.on_first_byte()
            self.bytes_sent += len(part)

    # -- composition -----------------------------------------------------------------------------

    def start(self) -> None:
        """ESC @ (reset), then the printer's text mode: Chinese mode on (FS &) or the code page."""
        self._raw(ESC + b"@")
        self._cur = ("left", False, 1, 1)
        if self.fp.chinese != "none":
            self._raw(FS + b"&")
        else:
            self._raw(FS + b"." + ESC + b"t" + bytes([self.fp.codepage_table]))

    def _style(self, align: str, bold: bool, w: int, h: int) -> None:
        # Only changes are sent; start() resets the printer, so the initial style is known.
        want = (align, bold, w, h)
        if getattr(self, "_cur", None) == want:
            return
        self._cur = want
        self._raw(ESC + b"a" + bytes([ALIGN[align]]) + ESC + b"E" + bytes([1 if bold else 0])
                  + GS + b"!" + bytes([((w - 1) << 4) | (h - 1)]))

    def line(self, text: str, *, align: str = "left", bold: bool = False, w: int = 1, h: int = 1) -> None:
        """Print text (wrapped to the paper) in the given style; user text is sanitised here."""
        text = sanitize(text, keep_newlines=True)
        cols = max(1, self.fp.columns // w)
        self._style(align, bold, w, h)
        for part in wrap(text, cols, self.fp):
            data = encode_line(part, self.fp)
            if data is None:
                # A character the printer's font lacks: this line alone goes as dots.
                self._style("left", bold, w, h)
                self._raw(raster_command(draw_line(part, self.fp.dots, align=align, scale_w=w, scale_h=h,
                                                   bold=bold, profile=self.fp)))
                self._style(align, bold, w, h)
            else:
                self._raw(data + b"\n")

    def columns_line(self, left: str, right: str, *, bold: bool = False) -> None:
        """`left` and `right` on one line, padded apart to the paper width; on two lines
        (right-aligned second) when they do not fit."""
        left, right = sanitize(left), sanitize(right)
        gap = self.fp.columns - width(left, self.fp) - width(right, self.fp)
        if gap >= 1:
            self.line(left + " " * gap + right, bold=bold)
        else:
            self.line(left, bold=bold)
            self.line(right, align="right", bold=bold)

    def rule(self, ch: str = "-") -> None:
        """A full-width line of `ch`."""
        self.line(ch * self.fp.columns)

    def feed(self, lines: int = 1) -> None:
        """Feed `lines` blank lines (ESC d n, clamped to 0-255)."""
        self._raw(ESC + b"d" + bytes([max(0, min(255, lines))]))

    def qr_code(self, data: str, *, size: int = 6, ec: str = "M", align: str = "center") -> None:
        """Native QR (GS ( k) via python-escpos when the profile has it, else the symbol as dots."""
        data = sanitize(data)
        self._style(align, False, 1, 1)
        if self.fp.native_qr:
            self.qr(data, ec=QR_EC[ec], size=size, native=True)
        else:
            img = qr_image(data, ec=ec.lower(), scale=size).convert("1")
            self._raw(raster_command(_centre(img, self.fp.dots, align)))
        self._style("left", False, 1, 1)

    def barcode128(self, text: str, *, height: int = 80, module: int = 2, hri: bool = True,
                   align: str = "center") -> None:
        """Code 128 (GS k 73) with the human-readable line below; as dots if the profile lacks it."""
        data = code128.printer_data(sanitize(text))
        self._style(align, False, 1, 1)
        if self.fp.native_code128:
            self._raw(GS + b"h" + bytes([height]) + GS + b"w" + bytes([module])
                      + GS + b"H" + bytes([2 if hri else 0]) + GS + b"f\x00"
                      + GS + b"k\x49" + bytes([len(data)]) + data)
        else:
            from PIL import Image, ImageDraw
            bars, human = code128.modules(data)
            img = Image.new("1", (len(bars) * module, height), 1)
            d = ImageDraw.Draw(img)
            for i, b in enumerate(bars):
                if b == "1":
                    d.rectangle((i * module, 0, i * module + module - 1, height - 1), fill=0)
            self._raw(raster_command(_centre(img, self.fp.dots, align)))
            if hri:
                # The human-readable line is ASCII (Code 128 data), which every profile encodes.
                self._raw((encode_line(human, self.fp) or human.encode("ascii", "replace")) + b"\n")
        self._style("left", False, 1, 1)

    def cut_paper(self, partial: bool = True) -> None:
        """Feed past the cutter and cut (GS V 66 n); a printer without cutter only feeds to tear."""
        if self.fp.cut:
            self._raw(GS + b"V" + bytes([66 if partial else 65]) + b"\x03")
        else:
            self._raw(ESC + b"d\x05")

    # -- status and confirmation -----------------------------------------------------------------

    def _await(self, accept: Callable[[int], bool], timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            for b in self._recv(left):
                if self._note(b) and accept is is_gs_r_reply:
                    self._gs_r_replies -= 1
                    return b
                if accept(b) and accept is not is_gs_r_reply:
                    return b
                # Anything else (an ASB push, a late reply to an earlier query) is skipped.

    def _note(self, b: int) -> bool:
        """Count GS r replies wherever they turn up, so a status query made while waiting for the
        confirmation cannot swallow it."""
        if is_gs_r_reply(b):
            self._gs_r_replies = getattr(self, "_gs_r_replies", 0) + 1
            return True
        return False

    def _drain(self) -> None:
        while True:
            data = self._recv(0.0)
            if not data:
                return
            for b in data:
                self._note(b)

    def status(self, timeout: float = 1.0) -> PrinterStatus:
        """DLE EOT 1, 2 and 4 (and 3 when an error is reported).

        A printer that does not answer gives PrinterStatus(answered=False), never "paper out":
        python-escpos' paper_status() cannot tell those apart."""
        if not self.bidirectional:
            return PrinterStatus.no_answer()
        self._drain()
        replies: dict[int, int] = {}
        for n in (1, 2, 4, 3):
            if n == 3 and not (replies.get(2, 0) & 0x40):
                continue
            try:
                self._raw(DLE_EOT + bytes([n]))
            except Exception as err:
                raise self._gone(f"connection lost while asking status: {err}") from None
            b = self._await(is_status_byte, timeout)
            if b is None:
                if not replies:
                    return PrinterStatus.no_answer()
                continue
            replies[n] = b
        return PrinterStatus.from_bytes(replies)

    def request_confirmation(self) -> None:
        """GS r 1 after the job: the printer answers only once everything before it is processed."""
        self._drain()
        self._gs_r_replies = 0
        self.send(GS_R_PAPER)

    def await_confirmation(self, timeout: float) -> bool:
        """True once the GS r reply to request_confirmation() arrives within `timeout`
        seconds (also if it was already seen while waiting for something else)."""
        if getattr(self, "_gs_r_replies", 0) > 0:
            self._gs_r_replies -= 1
            return True
        return self._await(is_gs_r_reply, timeout) is not None

    def confirm(self, timeout: float = 5.0) -> bool:
        """request_confirmation() and wait up to `timeout` seconds; True if the printer confirmed."""
        self.request_confirmation()
        return self.await_confirmation(timeout)

    def print_job(self, data: bytes, *, status_timeout: float = 1.0, confirm_timeout: float = 10.0) -> PrinterStatus:
        """Check status, send, confirm. Raises PrinterNotReady / PrinterNoAnswer / PrinterGone."""
        st = self.status(status_timeout) if self.bidirectional else PrinterStatus.no_answer()
        if self.bidirectional and not st.answered:
            raise PrinterNoAnswer("printer did not answer the status request")
        if self.bidirectional and not st.ready:
            raise PrinterNotReady(st)
        self.send(data)
        if self.bidirectional and not self.confirm(confirm_timeout):
            raise PrinterNoAnswer("job sent but the printer did not confirm it (GS r 1)")
        return st


def _centre(img, dots: int, align: str):
    from PIL import Image
    if img.width >= dots:
        return img.crop((0, 0, dots, img.height))
    canvas = Image.new("1", (dots, img.height), 1)
    x = {"left": 0, "center": (dots - img.width) // 2, "right": dots - img.width}[align]
    canvas.paste(img, (x, 0))
    return canvas
