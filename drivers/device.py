"""One interface for every device kind: opened by URL through a per-kind scheme registry.

Every kind (modem, printer, camera, card reader, microphone, and any later one) keeps a
`DeviceKind` registry from URL scheme to factory, and every device it makes is a `Device`:

    modem = open_modem("serial:/dev/ttyACM0")          # opened, like pyserial's serial_for_url
    camera = open_camera("folder:/srv/cam", do_not_open=True)
    camera.subscribe(lambda state: print(state.name, state.reason))
    with camera:                                         # open() ... close()
        ...
    camera.state                                         # DeviceState("streaming", "folder:/srv/cam")

The scheme is always explicit: nothing is guessed from the shape of a string, and an unknown
scheme, a malformed URL or a missing device path is a `DeviceURLError` that lists the schemes
the kind accepts. Simulations are schemes like any other (`folder:` is a camera looking at a
folder of images, pyserial's `loop://` a card reader), so real and simulated devices are the
same object to the caller. State changes reach subscribers as `DeviceState(name, reason)`;
each kind documents its state names, and every kind starts and ends in "closed".
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, Self, TypeVar
from urllib.parse import parse_qsl

log = logging.getLogger(__name__)

CLOSED = "closed"


class DeviceError(Exception):
    """Base of every driver's errors: the device could not be opened or stopped working."""


class DeviceURLError(DeviceError, ValueError):
    """A device URL that cannot be opened by its kind: malformed, unknown scheme, no device path."""


@dataclass(frozen=True)
class DeviceState:
    """A device's state and the reason for it in words (e.g. "missing", "/dev/ttyACM0: no such file")."""

    name: str
    reason: str = ""


StateListener = Callable[[DeviceState], None]


class Device:
    """The small base every device shares: open/close (also as a context manager), a `state`
    with a reason, and `subscribe()` as the one way to follow state changes.

    Subclasses implement `_connect()` and `_disconnect()` and report states with `_set_state()`.
    The constructor is cooperative (`url` is keyword-only) so a device can also extend a library
    class, as the printers extend python-escpos.
    """

    kind = "device"

    def __init__(self, *args: Any, url: str, **kwargs: Any) -> None:
        self.url = url
        self._dev_state = DeviceState(CLOSED, "not opened yet")
        self._dev_listeners: list[StateListener] = []
        self._dev_lock = threading.Lock()
        self._dev_open = False
        super().__init__(*args, **kwargs)

    # -- the common surface ----------------------------------------------------------------------

    @property
    def state(self) -> DeviceState:
        """The current state (name and reason in words)."""
        return self._dev_state

    @property
    def is_open(self) -> bool:
        """True from a successful open() until close(), whatever the device's state meanwhile."""
        return self._dev_open

    def subscribe(self, listener: StateListener) -> Callable[[], None]:
        """Call `listener(state)` on every change of state from now on; returns the unsubscribe.

        Listeners may be called from the device's own thread; one that raises is logged and the
        device carries on."""
        with self._dev_lock:
            self._dev_listeners.append(listener)

        def unsubscribe() -> None:
            with self._dev_lock:
                if listener in self._dev_listeners:
                    self._dev_listeners.remove(listener)
        return unsubscribe

    def open(self) -> None:
        """Open the device; opening an open device does nothing. Errors are the kind's DeviceError."""
        if self._dev_open:
            return
        self._connect()
        self._dev_open = True

    def close(self) -> None:
        """Close the device; closing it again (or one never opened) is harmless."""
        if not self._dev_open:
            return
        self._dev_open = False
        try:
            self._disconnect()
        finally:
            self._set_state(CLOSED, "closed")

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url} {self._dev_state.name}>"

    # -- for subclasses --------------------------------------------------------------------------

    def _connect(self) -> None:
        raise NotImplementedError

    def _disconnect(self) -> None:
        raise NotImplementedError

    def _set_state(self, name: str, reason: str = "") -> None:
        """Record a state; subscribers hear of it only when it differs from the current one."""
        new = DeviceState(name, reason)
        with self._dev_lock:
            if new == self._dev_state:
                return
            self._dev_state = new
            listeners = list(self._dev_listeners)
        for listener in listeners:
            try:
                listener(new)
            except Exception:  # a subscriber's bug must not stop the device
                log.exception("%s %s: state listener failed", self.kind, self.url)


# -- URLs and the per-kind registry ----------------------------------------------------------------

_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):(.*)", re.S)


@dataclass(frozen=True)
class DeviceURL:
    """A parsed device URL: `scheme:[//]target[?options]`."""

    text: str
    scheme: str
    target: str
    options: dict[str, str] = field(default_factory=dict)

    def number(self, key: str, default: float) -> float:
        """A numeric option; a value that is not a number is a DeviceURLError naming it."""
        if key not in self.options:
            return default
        try:
            return float(self.options[key])
        except ValueError:
            raise DeviceURLError(f"{self.text}: option {key}={self.options[key]!r} is not a number") from None

    def flag(self, key: str, default: bool) -> bool:
        """A yes/no option (1/0, true/false, yes/no)."""
        value = self.options.get(key)
        if value is None:
            return default
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise DeviceURLError(f"{self.text}: option {key}={value!r} is not yes/no (1/0)")


D = TypeVar("D", bound=Device)
Factory = Callable[..., D]


@dataclass(frozen=True)
class Scheme(Generic[D]):
    """How one scheme of a kind is opened.

    `options` lists the query options the scheme accepts; None passes the whole rest of the URL
    through untouched as the target (stream URLs that carry their own query strings)."""

    name: str
    factory: Factory[D]
    example: str
    needs_target: bool = True
    options: frozenset[str] | None = frozenset()


class DeviceKind(Generic[D]):
    """The scheme registry of one device kind; `open(url)` is how every device of it is made."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._schemes: dict[str, Scheme[D]] = {}

    def register(self, names: str | tuple[str, ...], factory: Factory[D], *, example: str,
                 needs_target: bool = True, options: tuple[str, ...] | None = ()) -> None:
        """Register `factory(url: DeviceURL, **options) -> device (unopened)` for the scheme(s)."""
        accepted = None if options is None else frozenset(options)
        for name in (names,) if isinstance(names, str) else names:
            if name in self._schemes:
                raise ValueError(f"{self.kind} scheme {name!r} registered twice")
            self._schemes[name] = Scheme(name, factory, example, needs_target, accepted)

    @property
    def schemes(self) -> list[str]:
        """The registered scheme names, sorted."""
        return sorted(self._schemes)

    def help(self) -> str:
        """The accepted schemes with an example each, for error messages and CLI help."""
        seen: dict[str, list[str]] = {}
        for s in self._schemes.values():
            seen.setdefault(s.example, []).append(s.name)
        return "; ".join(f"{'/'.join(names)} (e.g. {example})" for example, names in seen.items())

    def parse(self, url: str) -> DeviceURL:
        """Split and check a URL of this kind; DeviceURLError says what is wrong and what is accepted."""
        text = url.strip() if isinstance(url, str) else ""
        if not text:
            raise DeviceURLError(f"empty {self.kind} URL; use one of: {self.help()}")
        m = _SCHEME.fullmatch(text)
        if m is None:
            raise DeviceURLError(f"{text!r} is not a {self.kind} URL (it names no scheme); use one of: {self.help()}")
        name, rest = m.group(1), m.group(2)
        scheme = self._schemes.get(name)
        if scheme is None:
            raise DeviceURLError(f"{text!r}: unknown {self.kind} scheme {name!r}; use one of: {self.help()}")
        if scheme.options is None:
            target, query = rest, ""
        else:
            target, _, query = rest.partition("?")
            if target.startswith("//"):
                target = target[2:]
        if scheme.needs_target and not target.strip():
            raise DeviceURLError(f"{text!r}: no device after {name}: (e.g. {scheme.example})")
        options = dict(parse_qsl(query, keep_blank_values=True))
        unknown = sorted(set(options) - (scheme.options or frozenset()))
        if unknown:
            accepted = ", ".join(sorted(scheme.options or ())) or "none"
            raise DeviceURLError(f"{text!r}: unknown option {unknown[0]!r} for {name}: (accepted: {accepted})")
        return DeviceURL(text, name, target, options)

    def open(self, url: str, *, do_not_open: bool = False, **options: Any) -> D:
        """The device for `url`, opened unless `do_not_open` (then subscribe first, open later).

        `options` are the kind's keyword options (timeouts, callbacks); the URL's own query
        options are the device's settings (baud rate, frame rate)."""
        parsed = self.parse(url)
        device = self._schemes[parsed.scheme].factory(parsed, **options)
        if not do_not_open:
            device.open()
        return device

    def check(self, url: str) -> DeviceURL:
        """Validate `url` (scheme, device path, options) without touching any device."""
        parsed = self.parse(url)
        self._schemes[parsed.scheme].factory(parsed)
        return parsed
