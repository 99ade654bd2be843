"""Cameras: OpenCV capture opened by URL, newest-frame hand-over, reconnection.

    with open_camera("v4l2:/dev/video0?width=1280&height=720") as cam:  # or folder:, file:, rtsp://...
        frame = cam.next_frame(timeout=1.0)                             # newest frame, stale ones dropped
        cam.state                                                       # DeviceState("streaming", ...)

An image folder (`folder:/path`) is the emulated camera (see sources.py); it goes through the
same Camera. Cameras are Devices (drivers/device.py) made by the CAMERAS scheme registry.
"""
from .capture import CAMERAS, Camera, Frame, open_camera
from .sources import SourceGone, SourceSpec

__all__ = ["CAMERAS", "Camera", "Frame", "SourceGone", "SourceSpec", "open_camera"]
