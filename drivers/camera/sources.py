"""Frame sources a camera is opened on, one per URL scheme of the camera registry (capture.py).

    v4l2:/dev/video0, v4l2:0          a V4L2 camera (device path or index); ?width=&height= capture size
    rtsp://..., http(s)://..., ...    a network stream (anything OpenCV/FFmpeg opens; the URL is
                                      passed on whole, its query string included)
    file:clip.mp4                     a video file (loops by default: ?loop=0 to stop at the end)
    folder:/path/to/dir               an image folder: emulation of a camera looking at whatever
                                      images are in the folder, each shown for a while in name
                                      order; the listing is read again on every cycle, so images
                                      dropped in or removed take effect as a real camera would see
                                      it. An empty folder is a camera looking at a blank wall.

Options: fps (pacing of files and folders), width, height (V4L2 capture size), loop (files),
hold (frames per image in a folder, default 1).
A source's read() returns a BGR frame, or raises SourceGone when the camera went away.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from ..device import DeviceError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


class SourceGone(DeviceError):
    """The camera is not there (unplugged, file or folder removed, stream dropped)."""


@dataclass(frozen=True)
class SourceSpec:
    """What to open: the kind of source, its target and the URL's options (all numbers, as text)."""

    kind: str        # "device", "network", "file", "folder"
    target: str      # device index or path, URL, file path, folder path
    options: dict[str, str]

    def opt(self, key: str, default: float) -> float:
        """Option `key` as a float, or `default` when it was not given."""
        # The camera registry has checked that every option given is a number.
        return float(self.options.get(key, default))

    def describe(self) -> str:
        """The source as kind:target, for logs and device states."""
        return f"{self.kind}:{self.target}"


class FrameSource(Protocol):
    """What the capture thread reads from: open, read frames, close."""

    def open(self) -> None:
        """Open the source; raises SourceGone (or OSError) when it is not there."""

    def read(self) -> np.ndarray:
        """The next BGR frame; raises SourceGone when the camera went away."""

    def close(self) -> None:
        """Release the source; safe to call when it is not open."""


class OpenCVSource:
    """A device, network stream or video file through cv2.VideoCapture."""

    def __init__(self, spec: SourceSpec) -> None:
        self.spec = spec
        self._cap: cv2.VideoCapture | None = None
        self._interval = 0.0
        self._next = 0.0

    def open(self) -> None:
        """Open the capture (V4L2, FFmpeg with timeouts, or a file); raises SourceGone when it cannot be opened."""
        spec = self.spec
        if spec.kind == "file" and not Path(spec.target).is_file():
            raise SourceGone(f"video file {spec.target} not found")
        if spec.kind == "device":
            target: int | str = int(spec.target) if spec.target.isdigit() else spec.target
            if isinstance(target, str) and not Path(target).exists():
                raise SourceGone(f"camera {target} not present")
            cap = cv2.VideoCapture(target, cv2.CAP_V4L2)
        elif spec.kind == "network":
            # Without timeouts FFmpeg waits ~30 s on a camera that vanished from the network; with
            # them a dead stream is noticed (and retried) within seconds.
            timeout_ms = int(spec.opt("timeout_ms", 5000))
            cap = cv2.VideoCapture(spec.target, cv2.CAP_FFMPEG, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, timeout_ms,
                                                                 cv2.CAP_PROP_READ_TIMEOUT_MSEC, timeout_ms])
        else:
            cap = cv2.VideoCapture(spec.target)
        if not cap.isOpened():
            cap.release()
            raise SourceGone(f"cannot open {spec.describe()}")
        if spec.kind == "device":
            # Keep only one buffered frame: the capture thread wants the newest, never a backlog.
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            if "width" in spec.options:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, spec.opt("width", 640))
            if "height" in spec.options:
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, spec.opt("height", 480))
        if spec.kind == "file":
            fps = spec.opt("fps", cap.get(cv2.CAP_PROP_FPS) or 15.0)
            self._interval = 1.0 / fps if fps > 0 else 0.0
        self._cap = cap
        self._next = time.monotonic()

    def read(self) -> np.ndarray:
        """The next frame, paced to the file's fps; a file loops unless ?loop=0. Raises SourceGone
        when the device stops delivering, or the file ended or was removed."""
        if self._cap is None:
            raise SourceGone("not open")
        if self._interval:
            _pace(self)
        ok, frame = self._cap.read()
        if not ok or frame is None:
            if self.spec.kind == "file":
                if not Path(self.spec.target).is_file():
                    raise SourceGone(f"video file {self.spec.target} was removed")
                if self.spec.options.get("loop", "1") not in ("0", "false", "no"):
                    self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    ok, frame = self._cap.read()
                    if ok and frame is not None:
                        return frame
                raise SourceGone(f"video file {self.spec.target} ended")
            raise SourceGone(f"{self.spec.describe()} stopped delivering frames")
        return frame

    def close(self) -> None:
        """Release the capture; safe to call more than once."""
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class FolderSource:
    """Emulated camera: the images in a folder, in name order, looping."""

    def __init__(self, spec: SourceSpec) -> None:
        self.spec = spec
        self.folder = Path(spec.target)
        fps = spec.opt("fps", 10.0)
        self._interval = 1.0 / fps if fps > 0 else 0.0
        self._hold = max(1, int(spec.opt("hold", 1)))
        self._queue: list[Path] = []
        self._shown = 0
        self._current: np.ndarray | None = None
        self._next = 0.0
        self._blank: np.ndarray | None = None

    def open(self) -> None:
        """Start showing the folder from its first image; raises SourceGone when the folder does not exist."""
        if not self.folder.is_dir():
            raise SourceGone(f"image folder {self.folder} not found")
        self._queue, self._shown, self._current = [], 0, None
        self._next = time.monotonic()

    def _listing(self) -> list[Path]:
        try:
            return sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        except OSError as err:
            raise SourceGone(f"image folder {self.folder}: {err.strerror or err}") from None

    def read(self) -> np.ndarray:
        """The next image in name order (each held for `hold` frames, listing re-read every cycle), or a
        blank grey frame when none is readable; raises SourceGone when the folder was removed."""
        if self._interval:
            _pace(self)
        if self._current is not None and self._shown < self._hold:
            self._shown += 1
            return self._current
        if not self.folder.is_dir():
            raise SourceGone(f"image folder {self.folder} was removed")
        for _ in range(2):
            while self._queue:
                path = self._queue.pop(0)
                frame = _load(path)
                if frame is not None:
                    self._current, self._shown = frame, 1
                    return frame
            self._queue = self._listing()
            if not self._queue:
                break
        # Nothing (readable) in view: a camera looking at an empty counter.
        self._current = None
        if self._blank is None:
            self._blank = np.full((480, 640, 3), 200, np.uint8)
        return self._blank

    def close(self) -> None:
        """Forget the queue and the current image."""
        self._queue, self._current = [], None


def _load(path: Path) -> np.ndarray | None:
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None  # removed between listing and reading: the camera simply no longer sees it
    if data.size == 0:
        return None
    return cv2.imdecode(data, cv2.IMREAD_COLOR)  # None for a half-written or corrupt image


def _pace(src: OpenCVSource | FolderSource) -> None:
    """Deliver frames at the source's rate, like a camera would, without drifting."""
    now = time.monotonic()
    if src._next > now:
        time.sleep(src._next - now)
        src._next += src._interval
    else:
        src._next = now + src._interval


def open_source(spec: SourceSpec) -> FrameSource:
    """A FolderSource for kind "folder", an OpenCVSource otherwise (not opened yet)."""
    return FolderSource(spec) if spec.kind == "folder" else OpenCVSource(spec)
