"""Card readers: keyboard-wedge (evdev, grabbed) and serial, and card-number parsing.

    reader = open_reader("evdev:/dev/input/frontdesk-card", on_read=handle)   # or "evdev:name=..."
    reader = open_reader("serial:/dev/ttyUSB0?baud=9600", on_read=handle)   # socket://, rfc2217://, loop://
    reader.subscribe(lambda state: ...); ...; reader.close()
    parse_card("0012345678")  -> CardRead(kind="uid", candidates=("uid:00BC614E", "uid:4E61BC00"))

on_read(text) receives each raw read; parse_card() turns it into canonical ids (parse.py).
Readers are Devices (drivers/device.py) opened through the READERS scheme registry.
"""
from __future__ import annotations

from ..device import DeviceKind, DeviceURL
from .parse import CardFormatError, CardRead, code_read, normalize_card_id, parse_card, parse_wiegand, wiegand_bits
from .reader import ReaderThread, ReadHandler
from .serial_reader import SerialReader
from .wedge import WedgeReader

READERS: DeviceKind[ReaderThread] = DeviceKind("card reader")


def _wedge(u: DeviceURL, on_read: ReadHandler | None = None, gap_s: float = 0.08) -> ReaderThread:
    return WedgeReader(url=u.text, device=u.target, on_read=on_read, grab=u.flag("grab", True),
                       gap_s=u.number("gap_s", gap_s))


def _serial(u: DeviceURL, on_read: ReadHandler | None = None, gap_s: float = 0.1) -> ReaderThread:
    return SerialReader(url=u.text, port=u.target, baud=int(u.number("baud", 9600)), on_read=on_read,
                        gap_s=u.number("gap_s", gap_s))


def _pyserial(u: DeviceURL, on_read: ReadHandler | None = None, gap_s: float = 0.1) -> ReaderThread:
    # pyserial's own URL handlers read their options from the query themselves.
    return SerialReader(url=u.text, port=u.text, on_read=on_read, gap_s=gap_s)


READERS.register("evdev", _wedge,
                 example="evdev:/dev/input/frontdesk-card (deploy/udev/99-frontdesk-cards.rules) or evdev:name=Reader",
                 options=("grab", "gap_s"))
READERS.register("serial", _serial, example="serial:/dev/ttyUSB0?baud=9600", options=("baud", "gap_s"))
READERS.register(("socket", "rfc2217"), _pyserial, example="socket://10.0.0.5:4001", options=None)
READERS.register("loop", _pyserial, example="loop://", needs_target=False, options=None)

open_reader = READERS.open

__all__ = ["READERS", "CardFormatError", "CardRead", "ReaderThread", "code_read", "normalize_card_id", "open_reader",
           "parse_card", "parse_wiegand", "wiegand_bits"]
