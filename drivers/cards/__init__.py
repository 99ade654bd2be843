"""Card readers: keyboard-wedge (evdev, grabbed) and serial, and card-number parsing.

    reader = open_reader("evdev:/dev/input/by-id/usb-...-event-kbd", on_read)   # or "evdev:name=..."
    reader = open_reader("serial:/dev/ttyUSB0?baud=9600", on_read)              # any serial_for_url URL
    reader.start(); ...; reader.stop()
    parse_card("0012345678")  -> CardRead(kind="uid", candidates=("uid:00BC614E", "uid:4E61BC00"))

on_read(text) receives each raw read; parse_card() turns it into canonical ids (parse.py).
"""
from collections.abc import Callable

from .parse import CardFormatError, CardRead, code_read, normalize_card_id, parse_card, parse_wiegand, wiegand_bits


def open_reader(url: str, on_read: Callable[[str], None], *, on_state: Callable[[str, str], None] | None = None):
    if url.startswith("evdev:"):
        from .wedge import WedgeReader
        return WedgeReader(url[6:], on_read, on_state=on_state)
    if url.startswith("serial:"):
        url = url[7:]
    from .serial_reader import SerialReader
    return SerialReader(url, on_read, on_state=on_state)


__all__ = ["CardFormatError", "CardRead", "code_read", "normalize_card_id", "open_reader", "parse_card",
           "parse_wiegand", "wiegand_bits"]
