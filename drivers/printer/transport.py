"""Transports: python-escpos' USB, serial, network and file printers under the command base,
opened by URL through the printer scheme registry, so real and virtual printers are the same
object to the caller:

    tcp://127.0.0.1:9100                     network printer (raw port 9100; also socket://)
    serial:/dev/ttyUSB0?baud=115200          serial port (&rtscts=1 for hardware flow control)
    usb://04b8:0e15[?in_ep=0x82&out_ep=0x01] USB printer class device (pyusb)
    file:///dev/usb/lp0 or file:/tmp/x.bin   write-only: no status, no confirmation
    buffer:                                  in memory (compose a job into bytes)

`open_printer(url, profile=..., timeout=...)` connects at once (do_not_open=True leaves that to
the first use). States: "closed", "ready" (connected), "unreachable" (could not connect),
"gone" (the connection broke).
"""
from __future__ import annotations

import select
import socket
from typing import Any, Literal

from escpos.printer import Dummy, File, Network, Serial, Usb

from ..device import DeviceKind, DeviceURL, DeviceURLError
from .base import ReceiptPrinter
from .profiles import PrinterProfile

PRINTERS: DeviceKind[ReceiptPrinter] = DeviceKind("printer")


class NetworkPrinter(ReceiptPrinter, Network):
    """A printer on a raw TCP port (9100 by default); TCP_NODELAY, replies read with select."""

    _device: socket.socket | Literal[False] | None

    def _connect(self) -> None:
        sock = self._guard_connect(lambda: socket.create_connection((self.host, self.port), timeout=self.timeout),
                                   f"cannot connect to {self.host}:{self.port}")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._device = sock

    def _disconnect(self) -> None:
        sock = self._device
        self._device = False
        if sock:
            sock.close()

    def _recv(self, timeout: float) -> bytes:
        sock = self.device
        ready, _, _ = select.select([sock], [], [], max(0.0, timeout))
        if not ready:
            return b""
        try:
            data = sock.recv(64)
        except OSError as err:
            raise self._gone(f"connection lost: {err}") from None
        if not data:
            raise self._gone("the printer closed the connection")
        return data


class SerialPrinter(ReceiptPrinter, Serial):
    """A printer on a serial port or pyserial URL, optionally with RTS/CTS flow control."""

    def __init__(self, devfile: str, *, rtscts: bool = False, **kwargs: Any) -> None:
        self._rtscts = rtscts
        super().__init__(devfile=devfile, **kwargs)

    def _connect(self) -> None:
        import serial

        self._device = self._guard_connect(
            lambda: serial.serial_for_url(self.devfile, baudrate=self.baudrate, timeout=self.timeout,
                                          write_timeout=30, rtscts=self._rtscts),
            f"cannot open {self.devfile}")

    def _disconnect(self) -> None:
        port, self._device = self._device, False
        if port:
            port.close()

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
            raise self._gone(f"serial port lost: {err}") from None


class UsbPrinter(ReceiptPrinter, Usb):
    """A USB printer-class device through pyusb, by vendor and product id."""

    def _connect(self) -> None:
        self._guard_connect(lambda: Usb.open(self, raise_not_found=True), f"cannot open USB printer {self.usb_args}")

    def _disconnect(self) -> None:
        Usb.close(self)

    def _recv(self, timeout: float) -> bytes:
        import usb.core
        try:
            return bytes(self.device.read(self.in_ep, 16, max(1, int(timeout * 1000))))
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as err:
            raise self._gone(f"USB printer lost: {err}") from None


class FilePrinter(ReceiptPrinter, File):
    """A write-only printer device file (e.g. /dev/usb/lp0): no status, no confirmation."""

    bidirectional = False

    def _connect(self) -> None:
        self._guard_connect(lambda: File.open(self, raise_not_found=True), f"cannot open {self.devfile}")

    def _disconnect(self) -> None:
        File.close(self)


class BufferPrinter(ReceiptPrinter, Dummy):
    """Composes a job in memory; `output` is the bytes to send."""

    bidirectional = False

    def _connect(self) -> None:
        self._set_state("ready", "in memory")

    def _disconnect(self) -> None:
        pass


# -- the printer schemes ---------------------------------------------------------------------------

PrinterOptions = dict[str, Any]


def _common(u: DeviceURL, profile: PrinterProfile | None) -> PrinterOptions:
    return {"url": u.text, "printer_profile": profile}


def _network(u: DeviceURL, profile: PrinterProfile | None = None, timeout: float = 5.0) -> ReceiptPrinter:
    host, _, port = u.target.partition(":")
    if not host or (port and not port.isdigit()):
        raise DeviceURLError(f"{u.text}: expected {u.scheme}://HOST[:PORT], e.g. tcp://192.168.10.31:9100")
    return NetworkPrinter(host=host, port=int(port or 9100), timeout=timeout, **_common(u, profile))


def _serial(u: DeviceURL, profile: PrinterProfile | None = None, timeout: float = 5.0) -> ReceiptPrinter:
    return SerialPrinter(u.target, baudrate=int(u.number("baud", 115200)), timeout=timeout,
                         rtscts=u.flag("rtscts", False), **_common(u, profile))


def _usb(u: DeviceURL, profile: PrinterProfile | None = None, timeout: float = 5.0) -> ReceiptPrinter:
    vid, _, pid = u.target.strip("/").partition(":")
    try:
        ids = {"idVendor": int(vid, 16), "idProduct": int(pid, 16)}
        endpoints = {k: int(u.options[k], 0) for k in ("in_ep", "out_ep") if k in u.options}
    except ValueError:
        raise DeviceURLError(f"{u.text}: expected usb://VID:PID in hex (e.g. usb://04b8:0e15), "
                             "endpoints as numbers (in_ep=0x82)") from None
    return UsbPrinter(idVendor=ids["idVendor"], idProduct=ids["idProduct"], timeout=int(timeout * 1000),
                      **endpoints, url=u.text, printer_profile=profile)


def _file(u: DeviceURL, profile: PrinterProfile | None = None, timeout: float = 5.0) -> ReceiptPrinter:
    return FilePrinter(devfile=u.target, **_common(u, profile))


def _buffer(u: DeviceURL, profile: PrinterProfile | None = None, timeout: float = 5.0) -> ReceiptPrinter:
    return BufferPrinter(**_common(u, profile))


PRINTERS.register(("tcp", "socket"), _network, example="tcp://192.168.10.31:9100")
PRINTERS.register("serial", _serial, example="serial:/dev/ttyUSB0?baud=115200", options=("baud", "rtscts"))
PRINTERS.register("usb", _usb, example="usb://04b8:0e15", options=("in_ep", "out_ep"))
PRINTERS.register("file", _file, example="file:/dev/usb/lp0")
PRINTERS.register("buffer", _buffer, example="buffer:", needs_target=False)

open_printer = PRINTERS.open
