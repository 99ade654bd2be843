"""Cameras: OpenCV capture opened by a URL-ish source, newest-frame hand-over, reconnection.

    with Camera("/dev/video0?width=1280&height=720") as cam:   # or 0, a file, a folder, rtsp://...
        frame = cam.next_frame(timeout=1.0)                      # newest frame, stale ones dropped
        cam.state                                                # "streaming", "missing", ...

An image folder is the emulated camera (see sources.py); it goes through the same Camera.
"""
from .capture import STATES, Camera, Frame
from .sources import SourceGone, SourceSpec, parse_source

__all__ = ["STATES", "Camera", "Frame", "SourceGone", "SourceSpec", "parse_source"]
