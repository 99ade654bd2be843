"""A post as the edge agent builds it: a real journal, the real access service and the kiosk
service on a free loopback port; and a headless Chromium to look at its screens."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import segno

from frontdesk.central.passes import issue_pass
from frontdesk.edge.access import AccessConfig, AccessService
from frontdesk.edge.journal import Journal
from frontdesk.edge.services import EdgeContext
from frontdesk.kiosk_ui.config import KioskConfig
from frontdesk.kiosk_ui.service import KioskService
from frontdesk.passes import public_text
from frontdesk.runtime.ports import free_port
from frontdesk.schema import make_command, parse_command_payload

from ..browser import keep_for_docs

SITE = "sunrise"
TZ = "Asia/Shanghai"
VIEWPORT = {"width": 1024, "height": 600}


def qr_image(path: Path, text: str, scale: int = 6) -> Path:
    """A QR code on a grey 'counter', as the camera would see a phone screen or a badge."""
    qr = segno.make(text, error="m", micro=False)
    img = np.array([[0 if d else 255 for d in row] for row in qr.matrix_iter(scale=scale, border=4)], np.uint8)
    canvas = np.full((480, 640), 180, np.uint8)
    h, w = img.shape
    canvas[20:20 + h, 40:40 + w] = img
    tmp = path.with_suffix(".tmp.png")
    cv2.imwrite(str(tmp), canvas)
    tmp.replace(path)  # the camera's folder source must never see half a file
    return path


def a_pass(key, *, site: str = SITE, unit: str = "3-1502", name: str = "王小明", start_min: float = -5,
           hours: float = 4, single_use: bool = True) -> tuple[str, str]:
    now = datetime.now(UTC)
    start = now + timedelta(minutes=start_min)
    return issue_pass(key, site=site, host_unit=unit, visitor_name=name, valid_from=start,
                      valid_until=start + timedelta(hours=hours), single_use=single_use)


class Post:
    def __init__(self, root: Path, key, *, access: dict | None = None, kiosk: dict | None = None,
                 with_access: bool = True, camera: bool = False, device: str = "post-1") -> None:
        self.root, self.key, self.device = root, key, device
        root.mkdir(parents=True, exist_ok=True)
        self.cam = root / "camera"
        self.journal = Journal(root / "journal.db", site=SITE, device=device, tz=TZ)
        self._args = (dict(access or {}), dict(kiosk or {}), with_access, camera)
        self._build(*self._args)

    def _build(self, access: dict, kiosk: dict, with_access: bool, camera: bool) -> None:
        access, kiosk = dict(access), dict(kiosk)
        self.ctx = EdgeContext(journal=self.journal, site=SITE, device=self.device, tz=TZ, country="cn",
                               data_dir=self.root, site_name="朝阳花园 Sunrise Garden")
        self.access = None
        if with_access:
            if camera:
                self.cam.mkdir(exist_ok=True)
                access.setdefault("camera", f"folder:{self.cam}?fps=15")
            access.setdefault("role", kiosk.get("role", "kiosk"))
            self.access = AccessService(AccessConfig(site_public_keys=[public_text(self.key)], **access), self.ctx)
        # A restart keeps the port, so an open page reconnects to the same address.
        kiosk.setdefault("port", self.kiosk_cfg.port if hasattr(self, "kiosk_cfg") else free_port())
        self.kiosk_cfg = KioskConfig(**kiosk)
        self.kiosk = KioskService(self.kiosk_cfg, self.ctx)
        self.services = [s for s in (self.access, self.kiosk) if s is not None]
        for s in self.services:
            s.start()
        assert self.kiosk.wait_ready(10), self.kiosk.server.error

    @property
    def url(self) -> str:
        return self.kiosk.url

    def restart(self) -> None:
        """Stop the access service and the screens and build both again (an agent restart)."""
        for s in reversed(self.services):
            s.stop()
        self.journal.close()
        self.journal = Journal(self.root / "journal.db", site=SITE, device=self.device, tz=TZ)
        self._build(*self._args)

    def restart_screens(self) -> None:
        """Stop the web app and serve it again on the same port (the page must reconnect)."""
        self.kiosk.stop()
        self.kiosk = KioskService(self.kiosk_cfg, self.ctx)
        self.services[-1] = self.kiosk
        self.kiosk.start()
        assert self.kiosk.wait_ready(10), self.kiosk.server.error

    def show(self, text: str, name: str = "code.png") -> None:
        """Hold a code up to the (emulated) camera: an image appears in its folder."""
        for old in self.cam.glob("*.png"):
            old.unlink()
        qr_image(self.cam / name, text)

    def clear_camera(self) -> None:
        for old in self.cam.glob("*.png"):
            old.unlink()

    def command(self, type_: str, payload: dict):
        cmd = make_command(parse_command_payload(type_, payload), site=SITE, device=self.device)
        return self.journal.apply_command(cmd, self.ctx.commands)

    def events(self, type_: str | None = None) -> list[dict]:
        return [e for e in self.journal.events() if type_ is None or e["type"] == type_]

    def close(self) -> None:
        for s in reversed(self.services):
            s.stop()
        self.journal.close()



def shot(page, tmp_path: Path, name: str, docs: bool = False) -> Path:
    """A screenshot of the flow under the test's tmp dir; `docs`: one for the README's pictures
    (refreshed only when asked, see tests/browser.py)."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    if docs:
        keep_for_docs(path)
    return path


def open_screen(page, post: Post, screen: str):
    """Load a screen and wait until its live stream is connected."""
    page.goto(f"{post.url}/{screen}")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#conn[data-state=online]")
    return page
