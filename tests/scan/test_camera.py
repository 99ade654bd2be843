"""The camera driver: newest frame only, clear state when the camera is absent or goes away."""
import shutil
import socket
import time

import cv2
import numpy as np
import pytest

from frontdesk.drivers.camera import open_camera
from frontdesk.drivers.device import DeviceURLError

from ..waiting import wait_for


def write_image(path, value):
    cv2.imwrite(str(path), np.full((120, 160, 3), value, np.uint8))


def test_source_urls_name_their_scheme():
    assert open_camera("v4l2:0", do_not_open=True).spec.kind == "device"
    assert open_camera("v4l2:/dev/video2", do_not_open=True).spec.kind == "device"
    net = open_camera("rtsp://cam.local/stream?x=1", do_not_open=True).spec
    assert (net.kind, net.target) == ("network", "rtsp://cam.local/stream?x=1")  # the stream keeps its query
    assert open_camera("folder:/x?fps=5", do_not_open=True).spec.options == {"fps": "5"}
    assert open_camera("file:clip.mp4?loop=0", do_not_open=True).spec.kind == "file"
    with pytest.raises(DeviceURLError, match="empty camera URL"):
        open_camera("  ")
    # Nothing is guessed from the shape of the string: a path or an index needs its scheme.
    for bare in ("/dev/video0", "0", "clip.mp4"):
        with pytest.raises(DeviceURLError, match="names no scheme.*v4l2"):
            open_camera(bare)
    with pytest.raises(DeviceURLError, match="fps='fast' is not a number"):
        open_camera("folder:/x?fps=fast")


def test_image_folder_streams_and_slow_consumer_gets_newest(tmp_path):
    for i in range(3):
        write_image(tmp_path / f"{i}.png", i * 50)
    with open_camera(f"folder:{tmp_path}?fps=100") as cam:
        first = cam.next_frame(timeout=3)
        assert first is not None and cam.state.name == "streaming"
        time.sleep(0.3)  # a slow consumer: ~30 frames arrive meanwhile
        newer = cam.next_frame(first.seq, timeout=3)
        assert newer.seq > first.seq + 5
        assert cam.dropped >= newer.seq - first.seq - 1
        assert newer.arrived >= first.arrived


def test_folder_removed_mid_scan_then_back(tmp_path):
    folder = tmp_path / "cam"
    folder.mkdir()
    write_image(folder / "a.png", 10)
    states = []
    cam = open_camera(f"folder:{folder}?fps=50", retry_min_s=0.05, retry_max_s=0.2, do_not_open=True)
    cam.subscribe(lambda st: states.append((st.name, st.reason)))
    with cam:
        assert cam.next_frame(timeout=3) is not None
        shutil.rmtree(folder)
        assert wait_for(lambda: cam.state.name == "reconnecting")
        assert "folder" in cam.state.reason
        assert cam.latest() is None  # no stale picture is handed out while the camera is gone
        folder.mkdir()
        write_image(folder / "b.png", 20)
        assert wait_for(lambda: cam.state.name == "streaming")
        assert cam.next_frame(cam.latest().seq if cam.latest() else 0, timeout=3) is not None
    assert [s for s, _ in states][:4] == ["starting", "streaming", "reconnecting", "streaming"]
    assert cam.state.name == "closed" and states[-1][0] == "closed"
    cam.close()  # closing twice is harmless


def test_missing_camera_is_a_state_not_an_exception(tmp_path):
    with open_camera(f"file:{tmp_path / 'nope.mp4'}", retry_min_s=0.05) as cam:
        assert wait_for(lambda: cam.state.name == "missing")
        assert "not found" in cam.state.reason
        assert cam.next_frame(timeout=0.2) is None
    with open_camera("v4l2:/dev/video99", retry_min_s=0.05) as cam:
        assert wait_for(lambda: cam.state.name == "missing")


def test_network_stream_that_refuses_is_missing():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open_camera(f"http://127.0.0.1:{port}/video.mjpg", retry_min_s=0.05) as cam:
        assert wait_for(lambda: cam.state.name == "missing", timeout=10)


def test_video_file_plays_and_removal_is_reconnecting(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (160, 120))
    assert writer.isOpened()
    for i in range(20):
        writer.write(np.full((120, 160, 3), i * 10, np.uint8))
    writer.release()
    with open_camera(f"file:{path}?fps=200&loop=1", retry_min_s=0.05) as cam:
        f = cam.next_frame(timeout=3)
        assert f is not None and f.image.shape == (120, 160, 3)
        # Looping: more frames than the file holds.
        assert wait_for(lambda: cam.latest() is not None and cam.latest().seq > 40)
        path.unlink()
        assert wait_for(lambda: cam.state.name in ("reconnecting",))
    with open_camera(f"file:{tmp_path / 'gone.avi'}") as cam:
        assert wait_for(lambda: cam.state.name == "missing")


def test_network_mjpeg_stream_then_dropped():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    stop = threading.Event()

    class Stream(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            i = 0
            try:
                while not stop.is_set() and i < 1000:
                    _, jpg = cv2.imencode(".jpg", np.full((240, 320, 3), i % 255, np.uint8))
                    self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpg)
                                     + jpg.tobytes() + b"\r\n")
                    i += 1
                    time.sleep(0.02)
            except OSError:
                pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Stream)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        with open_camera(f"http://127.0.0.1:{srv.server_address[1]}/stream.mjpg", retry_min_s=0.1) as cam:
            frame = cam.next_frame(timeout=10)
            assert frame is not None and frame.image.shape == (240, 320, 3) and cam.state.name == "streaming"
            stop.set()  # the camera drops off the network
            assert wait_for(lambda: cam.state.name in ("reconnecting", "missing"), timeout=10)
    finally:
        stop.set()
        srv.shutdown()
        srv.server_close()
        t.join(5)
