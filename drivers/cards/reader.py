"""What every card reader shares: a Device whose open() starts a thread that reads until
close(), reopening the port when it goes away. States: "closed", "starting", "ready" (reading),
"missing" (cannot be opened, or went away; retried every second)."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ..device import Device

log = logging.getLogger(__name__)

ReadHandler = Callable[[str], None]


def _drop(text: str) -> None:
    """The read handler of a reader opened only to check its URL."""


class ReaderThread(Device):
    """Base of the card readers: a Device whose thread (`_run`, per subclass) hands each read's text
    to `on_read`, logging and surviving a handler that raises."""

    kind = "card reader"
    thread_name = "card-reader"

    def __init__(self, *, url: str, on_read: ReadHandler | None, gap_s: float) -> None:
        super().__init__(url=url)
        self.on_read = on_read or _drop
        self.gap_s = gap_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _connect(self) -> None:
        self._stop.clear()
        self._set_state("starting", self.url)
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def _disconnect(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
            self._thread = None

    def _emit(self, text: str) -> None:
        try:
            self.on_read(text)
        except Exception:  # one bad read handler call must not stop the reader
            log.exception("card read handler failed")

    def _run(self) -> None:
        raise NotImplementedError
