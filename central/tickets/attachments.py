"""Evidence added to tickets: photos of the work and the resident's signature.

An upload is input from a phone: it is kept only if Pillow opens it as one of FORMATS (judged
from its bytes, never its name or content type), it is not a decompression bomb (more than
MAX_PIXELS), and it decodes whole. What is kept is re-encoded: a photo as a JPEG (its EXIF
orientation applied, then every bit of metadata dropped: GPS, camera, owner), at most MAX_SIDE
pixels on its longest side; a signature as a PNG. The ticket's history gets a
ticket.attachment_added event naming the attachment and its SHA-256; the bytes live here.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from .tables import ticket_attachments

FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
try:  # HEIC (iPhones' own format) only where the optional pillow-heif plugin is installed
    from pillow_heif import register_heif_opener  # type: ignore[import-not-found,unused-ignore]

    register_heif_opener()
    FORMATS["HEIF"] = "HEIC"
except ImportError:
    pass

# A 48-megapixel camera's photo passes; a small file that claims to be a huge image does not.
MAX_PIXELS = 50_000_000
MAX_SIDE = 1600
JPEG_QUALITY = 82
KINDS = ("photo", "signature")
# What a listing shows of each attachment (not its bytes).
VIEW_COLUMNS = [c for c in ticket_attachments.c if c.name != "data"]


class ImageRefused(ValueError):
    """An upload that is not an image central keeps; str() says why."""


@dataclass(frozen=True)
class Prepared:
    """An image as central keeps it: the re-encoded bytes, their type, size in pixels and SHA-256."""
    data: bytes
    mime: str
    width: int
    height: int
    sha256: str


def _opened(raw: bytes) -> Image.Image:
    """The image in `raw`, decoded (at a reduced scale where JPEG allows), after the checks."""
    image = Image.open(io.BytesIO(raw))  # reads the header only
    if image.format not in FORMATS:
        raise ImageRefused(f"{image.format or 'this'} images are not taken; send {', '.join(FORMATS.values())}")
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageRefused(f"the image claims {width}x{height} pixels, more than {MAX_PIXELS} "
                           f"(a decompression bomb, or far larger than any photo needs)")
    if image.format == "JPEG":
        image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at 1/2, 1/4 or 1/8 scale: less memory
    image.load()
    return image


def _on_white(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white (a signature drawn on a clear canvas stays visible)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def prepare(raw: bytes, kind: str) -> Prepared:
    """Check and re-encode an upload (`kind` photo or signature); ImageRefused says why not."""
    if kind not in KINDS:
        raise ValueError(f"unknown attachment kind {kind!r}")
    try:
        image = _opened(raw)
        image = ImageOps.exif_transpose(image) or image
        flat = _on_white(image)
    except ImageRefused:
        raise
    except UnidentifiedImageError:
        raise ImageRefused(f"not an image; send {', '.join(FORMATS.values())}") from None
    except Image.DecompressionBombError as err:
        raise ImageRefused(f"refused as a decompression bomb: {err}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:  # what Pillow raises for damaged files
        raise ImageRefused(f"the image is damaged or cut short: {err}"[:300]) from None
    except Exception as err:  # a broken EXIF block and the like: still that upload's problem only
        raise ImageRefused(f"the image could not be read: {type(err).__name__}: {err}"[:300]) from None
    flat.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if kind == "signature":
        if ImageOps.invert(flat.convert("L")).getbbox() is None:
            raise ImageRefused("the signature is empty")
        flat.save(out, "PNG", optimize=True)
        mime = "image/png"
    else:
        flat.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif= : metadata stays behind
        mime = "image/jpeg"
    data = out.getvalue()
    return Prepared(data, mime, flat.width, flat.height, hashlib.sha256(data).hexdigest())


def view(row: Any) -> dict[str, Any]:
    """An attachment as JSON (no bytes): times as ISO strings."""
    item = {k: v for k, v in dict(row).items() if k != "data"}
    created = item.get("created_at")
    if isinstance(created, datetime):
        item["created_at"] = (created if created.tzinfo else created.replace(tzinfo=UTC)).isoformat()
    return item


class Attachments:
    """The ticket_attachments table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, *, attachment_id: str, ticket_id: str, site: str, kind: str, image: Prepared, by: str,
            note: str | None, event_id: str) -> dict[str, Any] | None:
        """Keep an image; its view, or None if `event_id` has an attachment already (a resend)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(ticket_attachments).values(
                    id=attachment_id, ticket_id=ticket_id, site=site, kind=kind, mime=image.mime, data=image.data,
                    size=len(image.data), sha256=image.sha256, width=image.width, height=image.height, by=by,
                    note=note, created_at=datetime.now(UTC), event_id=event_id))
        except IntegrityError:
            if self.by_event(event_id) is not None:
                return None
            raise
        return self.get(ticket_id, attachment_id, with_data=False)

    def remove(self, attachment_id: str) -> None:
        """Drop an attachment whose event could not be written."""
        with self.engine.begin() as conn:
            conn.execute(delete(ticket_attachments).where(ticket_attachments.c.id == attachment_id))

    def by_event(self, event_id: str) -> dict[str, Any] | None:
        """The attachment the event with this id recorded (view), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*VIEW_COLUMNS)
                               .where(ticket_attachments.c.event_id == event_id)).mappings().first()
        return view(row) if row else None

    def list_for(self, ticket_id: str) -> list[dict[str, Any]]:
        """A ticket's attachments (views), oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(*VIEW_COLUMNS).where(ticket_attachments.c.ticket_id == ticket_id)
                                .order_by(ticket_attachments.c.created_at, ticket_attachments.c.id)).mappings().all()
        return [view(r) for r in rows]

    def get(self, ticket_id: str, attachment_id: str, *, with_data: bool = True) -> dict[str, Any] | None:
        """One attachment of the ticket (view, plus `data` if asked), or None."""
        columns = list(ticket_attachments.c) if with_data else VIEW_COLUMNS
        with self.engine.connect() as conn:
            row = conn.execute(select(*columns).where(ticket_attachments.c.id == attachment_id,
                                                      ticket_attachments.c.ticket_id == ticket_id)).mappings().first()
        if row is None:
            return None
        return {**view(row), **({"data": bytes(row["data"])} if with_data else {})}
