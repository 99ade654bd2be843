"""Transports: python-escpos' USB, serial, network and file printers under the command base,
opened from one URL so real and virtual printers are the same object to the caller:

    tcp://127.0.0.1:9100                     network printer (raw port 9100)
    serial:///dev/ttyUSB0?baud=115200        serial (any path or pyserial URL; &rtscts=1)
    usb://04b8:0e15[?in_ep=0x82&out_ep=0x01] USB printer class device (pyusb)
    file:///dev/usb/lp0 or file:///tmp/x.bin write-only: no status, no confirmation
    buffer:                                  in memory (compose a job into bytes)
"""
from __future__ import annotations

import select
import socket
from urllib.parse import parse_qs, urlparse

from escpos.printer import Dummy, File, Network, Serial, Usb

from .base import ReceiptPrinter
from .errors import PrinterGone, PrinterUnreachable
from .profiles import PrinterProfile


class _OwnDevice:
    """For transports whose open() makes the device object itself (a socket, a serial port):
    closing is closing that object, whatever python-escpos' own close expects."""

    def close(self) -> None:
        if self._device:
            try:
                self._device.close()
            finally:
                self._device = False


class NetworkPrinter(_OwnDevice, ReceiptPrinter, Network):
    def open(self, raise_not_found: bool = True) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as err:
            raise PrinterUnreachable(f"cannot connect to {self.host}:{self.port}: {err}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._device = sock

    def _recv(self, timeout: float) -> bytes:
        sock = self.device
        ready, _, _ = select.select([sock], [], [], max(0.0, timeout))
        if not ready:
            return b""
        try:
            data = sock.recv(64)
        except OSError as err:
            raise PrinterGone(f"connection lost: {err}", self.bytes_sent) from None
        if not data:
            raise PrinterGone("the printer closed the connection", self.bytes_sent)
        return data


class SerialPrinter(_OwnDevice, ReceiptPrinter, Serial):
    def __init__(self, devfile: str, *, rtscts: bool = False, **kwargs) -> None:
        self._rtscts = rtscts
        super().__init__(devfile=devfile, **kwargs)

    def open(self, raise_not_found: bool = True) -> None:
        import serial
        try:
            self._device = serial.serial_for_url(self.devfile, baudrate=self.baudrate, timeout=self.timeout,
                                                 write_timeout=30, rtscts=self._rtscts)
        except (serial.SerialException, OSError, ValueError) as err:
            raise PrinterUnreachable(f"cannot open {self.devfile}: {err}") from None

    def _recv(self, timeout: float) -> bytes:
        dev = self.device
        try:
            # read(n) waits for all n bytes: wait for one, then take whatever else is there.
            dev.timeout = max(0.0, timeout)
            first = dev.read(1)
            if not first:
                return b""
            return first + (dev.read(dev.in_waiting) if dev.in_waiting else b"")
        except Exception as err:
            raise PrinterGone(f"serial port lost: {err}", self.bytes_sent) from None


class UsbPrinter(ReceiptPrinter, Usb):
    def open(self, raise_not_found: bool = True) -> None:
        try:
            super().open(raise_not_found=True)
        except Exception as err:
            raise PrinterUnreachable(f"cannot open USB printer {self.usb_args}: {err}") from None

    def _recv(self, timeout: float) -> bytes:
        import usb.core
        try:
            return bytes(self.device.read(self.in_ep, 16, max(1, int(timeout * 1000))))
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as err:
            raise PrinterGone(f"USB printer lost: {err}", self.bytes_sent) from None


class FilePrinter(ReceiptPrinter, File):
    bidirectional = False

    def open(self, raise_not_found: bool = True) -> None:
        try:
            super().open(raise_not_found=True)
        except Exception as err:
            raise PrinterUnreachable(f"cannot open {self.devfile}: {err}") from None


class BufferPrinter(ReceiptPrinter, Dummy):
    """Composes a job in memory; `output` is the bytes to send."""

    bidirectional = False


def open_printer(url: str, profile: PrinterProfile | None = None, *, timeout: float = 5.0) -> ReceiptPrinter:
    """A printer object for `url` (not yet connected: it connects on first use)."""
    u = urlparse(url)
    q = {k: v[-1] for k, v in parse_qs(u.query).items()}
    kw = {"printer_profile": profile}
    if u.scheme in ("tcp", "socket"):
        if not u.hostname:
            raise ValueError(f"{url}: no host (use tcp://HOST:9100)")
        return NetworkPrinter(host=u.hostname, port=u.port or 9100, timeout=timeout, **kw)
    if u.scheme == "serial":
        path = u.path or u.netloc
        return SerialPrinter(path, baudrate=int(q.get("baud", 115200)), timeout=timeout,
                             rtscts=q.get("rtscts", "0") in ("1", "true", "yes"), **kw)
    if u.scheme == "usb":
        vid, _, pid = (u.netloc or u.path.strip("/")).partition(":")
        try:
            args = dict(idVendor=int(vid, 16), idProduct=int(pid, 16))
        except ValueError:
            raise ValueError(f"{url}: expected usb://VID:PID in hex, e.g. usb://04b8:0e15") from None
        extra = {}
        if "in_ep" in q:
            extra["in_ep"] = int(q["in_ep"], 0)
        if "out_ep" in q:
            extra["out_ep"] = int(q["out_ep"], 0)
        return UsbPrinter(**args, timeout=int(timeout * 1000), **extra, **kw)
    if u.scheme == "file":
        return FilePrinter(devfile=u.path, **kw)
    if u.scheme == "buffer":
        return BufferPrinter(**kw)
    raise ValueError(f"{url}: unknown printer URL scheme {u.scheme!r} (tcp, serial, usb, file)")
