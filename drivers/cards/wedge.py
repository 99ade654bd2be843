"""Keyboard-wedge card readers through evdev.

A wedge reader is a USB keyboard that "types" the card number and usually Enter. The device
is grabbed (EVIOCGRAB) so the digits never reach the kiosk browser. Some readers omit Enter,
or send two cards back to back; a pause longer than `gap_s` between keys also ends a read
(readers type a whole number in a few ms; a human typist is far slower).

`KeyAccumulator` is the keystroke logic on its own (fed evdev key codes), used by WedgeReader
and usable with any key source.
"""
from __future__ import annotations

import logging
import select
import time
from typing import Any

from .reader import ReaderThread, ReadHandler

log = logging.getLogger(__name__)

MAX_READ_CHARS = 128


def _keymap() -> tuple[dict[int, tuple[str, str]], set[int], set[int]]:
    from evdev import ecodes as e

    plain = "1234567890"
    keys: dict[int, tuple[str, str]] = {}
    for i, ch in enumerate(plain):
        keys[getattr(e, f"KEY_{ch}")] = (ch, "!@#$%^&*()"[i])
        keys[getattr(e, f"KEY_KP{ch}")] = (ch, ch)
    for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        keys[getattr(e, f"KEY_{c}")] = (c.lower(), c)
    keys.update({e.KEY_MINUS: ("-", "_"), e.KEY_EQUAL: ("=", "+"), e.KEY_SEMICOLON: (";", ":"),
                 e.KEY_COMMA: (",", "<"), e.KEY_DOT: (".", ">"), e.KEY_SLASH: ("/", "?"),
                 e.KEY_SPACE: (" ", " "), e.KEY_KPMINUS: ("-", "-"), e.KEY_KPASTERISK: ("*", "*"),
                 e.KEY_KPPLUS: ("+", "+"), e.KEY_KPDOT: (".", "."), e.KEY_KPSLASH: ("/", "/")})
    return keys, {e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT}, {e.KEY_ENTER, e.KEY_KPENTER, e.KEY_TAB}


class KeyAccumulator:
    """Key codes in, complete reads out (on Enter/Tab, or after a pause of `gap_s`)."""

    def __init__(self, gap_s: float = 0.08) -> None:
        self.gap_s = gap_s
        self._keys, self._shift_keys, self._enter_keys = _keymap()
        self._buf: list[str] = []
        self._shift = False
        self._last = 0.0
        self.overflowed = False

    def key(self, code: int, value: int, t: float) -> list[str]:
        """One evdev key event (value 1 down, 0 up, 2 repeat) at time t; returns finished reads."""
        done = self.poll(t)
        if code in self._shift_keys:
            self._shift = value != 0
            return done
        if value != 1:
            return done
        self._last = t
        if code in self._enter_keys:
            done += self._finish()
        elif code in self._keys:
            if len(self._buf) >= MAX_READ_CHARS:
                self.overflowed = True  # a stuck key or a non-reader: keep the read bounded
            else:
                self._buf.append(self._keys[code][1 if self._shift else 0])
        return done

    def poll(self, t: float) -> list[str]:
        """Reads completed by silence (no Enter) as of time t."""
        if self._buf and t - self._last > self.gap_s:
            return self._finish()
        return []

    def _finish(self) -> list[str]:
        text, self._buf = "".join(self._buf), []
        return [text] if text else []


class WedgeReader(ReaderThread):
    """Reads from one evdev keyboard device; calls on_read(text) per card."""

    thread_name = "wedge-reader"

    def __init__(self, *, url: str, device: str, on_read: ReadHandler | None = None, grab: bool = True,
                 gap_s: float = 0.08) -> None:
        super().__init__(url=url, on_read=on_read, gap_s=gap_s)
        self.device_spec = device
        self.grab = grab

    def _open(self) -> Any:
        import evdev

        # Read-only: a reader is only read (and grabbed, which a read-only descriptor may do). The
        # agent is not in group `input`; deploy/udev/99-frontdesk-cards.rules give it the readers'
        # event devices (group frontdesk, 0640, /dev/input/frontdesk-card-*) and nothing else.
        spec = self.device_spec
        if spec.startswith("name="):
            wanted = spec[5:]
            for path in evdev.list_devices(writable=False):
                try:
                    dev = evdev.InputDevice(path, readonly=True)
                except OSError:
                    continue  # another user's device (a keyboard): not ours to look at
                if dev.name == wanted:
                    return dev
                dev.close()
            raise FileNotFoundError(f"no input device named {wanted!r} that this user may read "
                                    "(is the reader in deploy/udev/99-frontdesk-cards.rules?)")
        return evdev.InputDevice(spec, readonly=True)

    def _run(self) -> None:
        acc = KeyAccumulator(self.gap_s)
        while not self._stop.is_set():
            dev = None
            try:
                dev = self._open()
                if self.grab:
                    dev.grab()  # keystrokes go to us only, never to the kiosk screen
            except OSError as err:
                if dev is not None:
                    dev.close()
                self._set_state("missing", f"{self.device_spec}: {err}")
                self._stop.wait(1.0)
                continue
            self._set_state("ready", dev.name)
            try:
                while not self._stop.is_set():
                    ready, _, _ = select.select([dev.fd], [], [], acc.gap_s)
                    if ready:
                        try:
                            events = list(dev.read())
                        except BlockingIOError:  # woken without data: not an unplug
                            events = []
                        for ev in events:
                            if ev.type == 1:  # EV_KEY
                                # The kernel's timestamp of each key (wall clock): a batch read
                                # late still shows the pause between two cards.
                                for text in acc.key(ev.code, ev.value, ev.timestamp()):
                                    self._emit(text)
                    for text in acc.poll(time.time()):
                        self._emit(text)
            except OSError as err:  # unplugged
                self._set_state("missing", f"{self.device_spec}: {err}")
            finally:
                try:
                    if self.grab:
                        dev.ungrab()
                except OSError:
                    pass
                dev.close()
