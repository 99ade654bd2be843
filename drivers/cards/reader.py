"""What every card reader shares: a thread that reads until stopped and reports its state
("starting", "reading", "missing", ...) through `on_state(state, detail)` when it changes."""
from __future__ import annotations

import threading
from collections.abc import Callable


class ReaderThread:
    thread_name = "card-reader"

    def __init__(self, on_read: Callable[[str], None], *, gap_s: float,
                 on_state: Callable[[str, str], None] | None = None) -> None:
        self.on_read = on_read
        self.on_state = on_state or (lambda s, d: None)
        self.gap_s = gap_s
        self.state = "starting"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    def _set(self, state: str, detail: str) -> None:
        if state != self.state:
            self.state = state
            self.on_state(state, detail)

    def _run(self) -> None:
        raise NotImplementedError
