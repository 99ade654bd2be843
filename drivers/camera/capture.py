"""A camera that always hands over its newest frame and survives being unplugged.

One thread reads the source as fast as it delivers; a consumer that is slower than the
camera gets the newest frame and the frames in between are dropped (counted in `dropped`),
so a scan decision is never made on a picture of the past. When the source goes away the
state says so and the thread retries with backoff until it comes back:

    "starting"      start() called, first open not tried yet
    "streaming"     frames are arriving
    "missing"       never opened since start (no camera, wrong path, folder absent)
    "reconnecting"  was streaming and went away; retrying
    "stopped"       stop() was called

`state_detail` holds the reason in words (e.g. "image folder /x was removed").
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .sources import SourceGone, SourceSpec, open_source, parse_source

log = logging.getLogger(__name__)

STATES = ("starting", "streaming", "missing", "reconnecting", "stopped")


@dataclass(frozen=True)
class Frame:
    image: np.ndarray   # BGR
    seq: int            # 1, 2, 3 ... per Camera, across reconnects
    arrived: float      # time.monotonic() when the capture thread got it


class Camera:
    def __init__(self, source: str | int, *, retry_min_s: float = 0.2, retry_max_s: float = 5.0,
                 name: str = "camera") -> None:
        self.spec: SourceSpec = parse_source(source)
        self.name = name
        self.retry_min_s, self.retry_max_s = retry_min_s, retry_max_s
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._seq = 0
        self._taken = 0
        self.dropped = 0
        self.state = "starting"
        self.state_detail = ""
        self._listeners: list[Callable[[str, str], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- consumer side ----------------------------------------------------------------------

    def on_state(self, listener: Callable[[str, str], None]) -> None:
        """Call listener(state, detail) on every state change (from the capture thread)."""
        self._listeners.append(listener)

    def latest(self) -> Frame | None:
        with self._cond:
            return self._frame

    def next_frame(self, after_seq: int = 0, timeout: float | None = None) -> Frame | None:
        """The newest frame newer than `after_seq`, waiting up to `timeout`; None if none came."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._frame is None or self._frame.seq <= after_seq:
                if self._stop.is_set():
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            frame = self._frame
            if self._taken:
                self.dropped += max(0, frame.seq - max(self._taken, after_seq) - 1)
            self._taken = frame.seq
            return frame

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> Camera:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"{self.name}-capture", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        self._set_state("stopped", "")

    def __enter__(self) -> Camera:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- capture thread -------------------------------------------------------------------------

    def _set_state(self, state: str, detail: str) -> None:
        if state == self.state and detail == self.state_detail:
            return
        self.state, self.state_detail = state, detail
        if state != "streaming":
            log.info("%s %s: %s %s", self.name, self.spec.describe(), state, detail)
        with self._cond:
            self._cond.notify_all()
        for listener in list(self._listeners):
            try:
                listener(state, detail)
            except Exception:  # a listener's bug must not stop the camera
                log.exception("camera state listener failed")

    def _run(self) -> None:
        backoff = self.retry_min_s
        ever_streamed = False
        while not self._stop.is_set():
            source = open_source(self.spec)
            try:
                source.open()
            except (SourceGone, OSError, ValueError) as err:
                self._set_state("reconnecting" if ever_streamed else "missing", str(err))
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.retry_max_s)
                continue
            try:
                while not self._stop.is_set():
                    image = source.read()
                    with self._cond:
                        self._seq += 1
                        self._frame = Frame(image, self._seq, time.monotonic())
                        self._cond.notify_all()
                    if self.state != "streaming":
                        ever_streamed = True
                        backoff = self.retry_min_s
                        self._set_state("streaming", self.spec.describe())
            except (SourceGone, OSError) as err:
                self._set_state("reconnecting", str(err))
            except Exception as err:  # OpenCV errors from a failing device: retry, never die
                log.exception("%s: capture failed", self.name)
                self._set_state("reconnecting", f"{type(err).__name__}: {err}")
            finally:
                source.close()
            with self._cond:
                self._frame = None  # a picture from before the camera went away is not "now"
            self._stop.wait(backoff)
