"""What a phone does in the browser tests of the phone pages: its screen and touch, a photo from
its camera, a signature drawn on its screen."""
from __future__ import annotations

import io

from PIL import Image

from .dashboard_helpers import PHONE

PHONE_OPTIONS = {"viewport": PHONE, "has_touch": True, "is_mobile": True}


def camera_jpeg(width: int = 2400, height: int = 1800) -> bytes:
    """A photo as a phone camera makes one: large, and not something that compresses to nothing."""
    picture = Image.effect_noise((width, height), 48).convert("RGB")
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=92)
    return out.getvalue()


def photo_file(name: str, data: bytes, mime: str = "image/jpeg") -> dict:
    """A file for the page's photo input, as the phone's camera would hand it over."""
    return {"name": name, "mimeType": mime, "buffer": data}


def sign(pg) -> None:
    """A signature drawn across the pad with the pointer."""
    pad = pg.locator("#signature")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] / 2
    pg.mouse.move(x, y)
    pg.mouse.down()
    for step in range(1, 12):
        pg.mouse.move(x + step * 24, y + (18 if step % 2 else -18), steps=3)
    pg.mouse.up()
