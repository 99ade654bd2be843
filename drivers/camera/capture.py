"""A camera that always hands over its newest frame and survives being unplugged.

One thread reads the source as fast as it delivers; a consumer that is slower than the
camera gets the newest frame and the frames in between are dropped (counted in `dropped`),
so a scan decision is never made on a picture of the past. When the source goes away the
state says so and the thread retries with backoff until it comes back. A Camera is a Device
(drivers/device.py), opened by URL through the CAMERAS registry (schemes in sources.py):

    "closed"        not opened, or close() was called
    "starting"      open() called, first open of the source not tried yet
    "streaming"     frames are arriving
    "missing"       never opened since open() (no camera, wrong path, folder absent)
    "reconnecting"  was streaming and went away; retrying

`state.reason` holds the reason in words (e.g. "image folder /x was removed").
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..device import CLOSED, Device, DeviceKind, DeviceURL
from .sources import SourceGone, SourceSpec, open_source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Frame:
    """One captured frame: the BGR image, its sequence number and its monotonic arrival time."""

    image: np.ndarray   # BGR
    seq: int            # 1, 2, 3 ... per Camera, across reconnects
    arrived: float      # time.monotonic() when the capture thread got it


class Camera(Device):
    """A camera Device: a capture thread keeps the newest frame of its source, reconnecting with backoff."""

    kind = "camera"

    def __init__(self, *, url: str, spec: SourceSpec, retry_min_s: float = 0.2, retry_max_s: float = 5.0,
                 name: str = "camera") -> None:
        super().__init__(url=url)
        self.spec = spec
        self.name = name
        self.retry_min_s, self.retry_max_s = retry_min_s, retry_max_s
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._seq = 0
        self._taken = 0
        self.dropped = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- consumer side ----------------------------------------------------------------------

    def latest(self) -> Frame | None:
        """The newest frame, without waiting or counting drops; None before the first frame or while
        the source is away."""
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

    def _connect(self) -> None:
        self._stop.clear()
        self._set_state("starting", self.spec.describe())
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-capture", daemon=True)
        self._thread.start()

    def _disconnect(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    # -- capture thread -------------------------------------------------------------------------

    def _set_state(self, name: str, reason: str = "") -> None:
        if name not in ("streaming", CLOSED) and (name, reason) != (self.state.name, self.state.reason):
            log.info("%s %s: %s %s", self.name, self.spec.describe(), name, reason)
        with self._cond:
            self._cond.notify_all()
        super()._set_state(name, reason)

    def _run(self) -> None:
        backoff = self.retry_min_s
        ever_streamed = False
        while not self._stop.is_set():
            source = open_source(self.spec)
            try:
                source.open()
            except (SourceGone, OSError) as err:
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
                    if self.state.name != "streaming":
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


# -- the camera schemes ---------------------------------------------------------------------------

CAMERAS: DeviceKind[Camera] = DeviceKind("camera")


def _factory(kind: str) -> Callable[..., Camera]:
    def make(u: DeviceURL, *, name: str = "camera", retry_min_s: float = 0.2, retry_max_s: float = 5.0) -> Camera:
        for key in u.options:
            u.number(key, 0.0)  # every option is a number: a typo fails here, not in the capture thread
        target = u.text if kind == "network" else u.target
        return Camera(url=u.text, spec=SourceSpec(kind, target, dict(u.options)), name=name,
                      retry_min_s=retry_min_s, retry_max_s=retry_max_s)
    return make


CAMERAS.register("v4l2", _factory("device"), example="v4l2:/dev/video0?width=1280&height=720",
                 options=("width", "height"))
CAMERAS.register(("rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp"), _factory("network"),
                 example="rtsp://10.0.0.9/stream", options=None)
CAMERAS.register("file", _factory("file"), example="file:/srv/clip.mp4?loop=0", options=("fps", "loop"))
CAMERAS.register("folder", _factory("folder"), example="folder:/srv/camera?fps=10", options=("fps", "hold"))

open_camera = CAMERAS.open
