"""Bitmap fallback: a text line drawn as dots and sent as a GS v 0 raster image.

Used only for the lines holding a character the printer's font lacks, so a slip stays text
(about 2 KB) with at most a few 1-2 KB raster lines.
"""
from __future__ import annotations

from PIL import Image

from .fonts import glyph
from .textcodec import cell_width


def draw_line(text: str, dots: int, *, align: str = "left", scale_w: int = 1, scale_h: int = 1,
              bold: bool = False, profile=None) -> Image.Image:
    """The line as a 1-bit image `dots` wide, 24*scale_h high, cells of 12 (24 for CJK) dots."""
    # Same cell widths as the printer's own text, so a bitmap line lines up with text lines.
    cells = [(ch, cell_width(ch, profile)) for ch in text if cell_width(ch, profile)]
    line_w = sum(w * 12 * scale_w for _, w in cells)
    # As tall as a text line at the default 30-dot spacing, glyphs at the bottom like printed text.
    height = max(24 * scale_h, 30)
    img = Image.new("L", (dots, height), 255)
    x = {"left": 0, "center": max(0, (dots - line_w) // 2), "right": max(0, dots - line_w)}[align]
    for ch, w in cells:
        g = glyph(ch, 12 * w, 24, bold)
        if scale_w != 1 or scale_h != 1:
            g = g.resize((12 * w * scale_w, 24 * scale_h), Image.Resampling.NEAREST)
        if x + g.width > dots:
            break
        img.paste(g, (x, height - g.height))
        x += g.width
    return img.point(lambda v: 0 if v < 128 else 255, mode="1")


def raster_command(img: Image.Image) -> bytes:
    """GS v 0 0 xL xH yL yH d...: 1 = black dot, rows padded to whole bytes."""
    img = img.convert("1")
    w, h = img.size
    row_bytes = (w + 7) // 8
    padded = Image.new("1", (row_bytes * 8, h), 1)
    padded.paste(img, (0, 0))
    # PIL "1" packs 1 = white; the printer wants 1 = black: invert the packed bytes.
    data = bytes(b ^ 0xFF for b in padded.tobytes())
    return b"\x1dv0\x00" + bytes([row_bytes & 0xFF, row_bytes >> 8, h & 0xFF, h >> 8]) + data


def qr_image(data: bytes | str, *, ec: str = "m", scale: int = 4, border: int = 0) -> Image.Image:
    """A QR symbol (segno) as an "L" image: `scale` dots per module, `border` modules of quiet zone."""
    import segno
    qr = segno.make_qr(data, error=ec, boost_error=False)
    n = len(qr.matrix)
    img = Image.new("L", (n + 2 * border, n + 2 * border), 255)
    px = img.load()
    assert px is not None  # a freshly made image always has pixels
    for y, row in enumerate(qr.matrix):
        for x, v in enumerate(row):
            if v:
                px[x + border, y + border] = 0
    return img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
