"""End to end: a pass shown to the (emulated) camera becomes one journaled decision."""
import shutil

import cv2
import numpy as np
import segno

from ..waiting import wait_for
from .access_helpers import a_pass


def save_qr(path, text, scale=6):
    qr = segno.make(text, error="m", micro=False)
    img = np.array([[0 if d else 255 for d in row] for row in qr.matrix_iter(scale=scale, border=4)], np.uint8)
    # Put the code on a larger "counter" picture, as a camera would see it.
    canvas = np.full((480, 640), 180, np.uint8)
    h, w = img.shape
    canvas[40:40 + h, 60:60 + w] = img
    cv2.imwrite(str(path), canvas)


def test_pass_in_front_of_camera_is_one_check_in(make_post, site_key, tmp_path):
    cam = tmp_path / "camera"
    cam.mkdir()
    _, token = a_pass(site_key)
    save_qr(cam / "pass.png", token)
    post = make_post("kiosk", camera=f"folder:{cam}?fps=20", dedup_gap_s=5.0)
    q, _ = post.svc.watch()
    assert wait_for(lambda: len(post.events("visitor.checked_in")) == 1, timeout=10)
    # The pass stays in view for many more frames: still one check-in, no "already used" noise.
    frames_before = post.svc.camera.latest().seq
    assert wait_for(lambda: post.svc.camera.latest() and post.svc.camera.latest().seq > frames_before + 10)
    assert len(post.events("visitor.checked_in")) == 1
    assert post.events("pass.rejected") == []
    decisions = []
    while not q.empty():
        u = q.get_nowait()
        if u["type"] == "decision":
            decisions.append(u)
    assert [(d["decision"], d["kind"]) for d in decisions] == [("allow", "pass")]


def test_camera_unplugged_mid_scan_is_reported_and_recovers(make_post, site_key, tmp_path):
    cam = tmp_path / "camera"
    cam.mkdir()
    post = make_post("kiosk", camera=f"folder:{cam}?fps=20", dedup_gap_s=0.2)
    assert wait_for(lambda: post.svc.status()["camera"]["state"] == "streaming")
    statuses = []
    post.svc.subscribe(lambda u: statuses.append(u) if u["type"] == "status" else None)
    shutil.rmtree(cam)
    assert wait_for(lambda: post.svc.status()["camera"]["state"] == "reconnecting")
    assert "folder" in post.svc.status()["camera"]["detail"]
    assert wait_for(lambda: any(s["camera"]["state"] == "reconnecting" for s in list(statuses)))
    # Cards keep working while the camera is away.
    assert post.svc.scan_card("12345678").reason == "unknown_card"
    cam.mkdir()
    _, token = a_pass(site_key)
    save_qr(cam / "pass.png", token)
    assert wait_for(lambda: len(post.events("visitor.checked_in")) == 1, timeout=10)
    assert post.svc.status()["camera"]["state"] == "streaming"
    states = [(e["payload"]["device"], e["payload"]["state"]) for e in post.events("access.device_state")]
    assert states == [("camera", "streaming"), ("camera", "reconnecting"), ("camera", "streaming")]
    assert "folder" in post.events("access.device_state")[1]["payload"]["detail"]


def test_corrupt_image_in_the_folder_does_not_stop_scanning(make_post, site_key, tmp_path):
    cam = tmp_path / "camera"
    cam.mkdir()
    (cam / "0-broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (cam / "1-empty.jpg").write_bytes(b"")
    _, token = a_pass(site_key)
    save_qr(cam / "2-pass.png", token)
    post = make_post("kiosk", camera=f"folder:{cam}?fps=20")
    assert wait_for(lambda: len(post.events("visitor.checked_in")) == 1, timeout=10)
    assert post.svc.status()["last_error"] is None
