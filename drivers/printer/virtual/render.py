"""Operations from the parser drawn onto paper: a PNG of what a 203 dpi receipt printer prints.

Font A cells are 12x24 dots (24x24 for a Chinese character), font B 9x17; GS ! scales them.
Default line spacing is 30 dots. Native QR codes are drawn as symbols with segno, Code 128 from
its bar patterns, raster and bit images dot for dot; a cut is shown as a dashed line.
"""
from __future__ import annotations

from dataclasses import dataclass

import segno
from PIL import Image, ImageDraw

from .. import code128
from ..bitmap import qr_image
from ..fonts import glyph
from ..textcodec import char_width
from .parser import MalformedStream, Op, StreamParser

QR_EC = {48: "l", 49: "m", 50: "q", 51: "h"}


@dataclass
class _QrState:
    """What GS ( k has stored for the next QR code: module size, error correction, data."""

    size: int = 3
    ec: int = 48
    data: bytes = b""


class SlipRenderer:
    """Draws parsed operations as paper, `dots` wide: bands of image, the text lines, and where it was cut."""

    def __init__(self, dots: int = 576) -> None:
        self.dots = dots
        self.bands: list[Image.Image] = []
        self.text_lines: list[str] = []
        self.cuts: list[int] = []  # band index after which the paper was cut
        self._reset()
        self._line: list[tuple[Image.Image, str]] = []
        self._line_x = 0
        self._line_text: list[str] = []
        self._qr = _QrState()
        self.warnings: list[str] = []  # from the parser: bytes shown as replacement characters
        self._bar = {"h": 162, "w": 3, "hri": 0}

    def _reset(self) -> None:
        self.align = 0
        self.bold = False
        self.underline = 0
        self.w = self.h = 1
        self.font_b = False
        self.spacing = 30
        self.reverse = False

    # -- paper ----------------------------------------------------------------------------------

    def _band(self, img: Image.Image, align: int | None = None) -> None:
        align = self.align if align is None else align
        band = Image.new("L", (self.dots, img.height), 255)
        x = {0: 0, 1: (self.dots - img.width) // 2, 2: self.dots - img.width}[align]
        band.paste(img.crop((0, 0, min(img.width, self.dots), img.height)), (max(0, x), 0))
        self.bands.append(band)

    def _blank(self, dots: int) -> None:
        if dots > 0:
            self.bands.append(Image.new("L", (self.dots, dots), 255))

    def _flush(self, force_blank: bool = True) -> None:
        if not self._line:
            if force_blank:
                self._blank(self.spacing)
                self.text_lines.append("")
            return
        height = max(g.height for g, _ in self._line)
        img = Image.new("L", (self._line_x, max(height, self.spacing)), 255)
        x = 0
        for g, _ in self._line:
            img.paste(g, (x, height - g.height))
            x += g.width
        self._band(img)
        self.text_lines.append("".join(self._line_text).rstrip())
        self._line, self._line_x, self._line_text = [], 0, []

    def _put(self, ch: str, wide: bool = False) -> None:
        cw = 2 if (wide and not ch.isascii()) else char_width(ch)
        if cw == 0:
            return
        base_w = 9 if self.font_b and cw == 1 else 12 * cw
        base_h = 17 if self.font_b else 24
        g = glyph(ch, base_w, base_h, self.bold)
        if self.w != 1 or self.h != 1:
            g = g.resize((base_w * self.w, base_h * self.h), Image.Resampling.NEAREST)
        if self.underline:
            g = g.copy()
            ImageDraw.Draw(g).rectangle((0, g.height - self.underline, g.width, g.height - 1), fill=0)
        if self.reverse:
            from PIL import ImageOps
            g = ImageOps.invert(g)
        if self._line_x + g.width > self.dots:  # the printer wraps a full line by itself
            self._flush()
        self._line.append((g, ch))
        self._line_x += g.width
        self._line_text.append(ch)

    # -- operations -------------------------------------------------------------------------------

    def apply(self, ops: list[Op]) -> None:
        """Draw `ops` in order (unknown kinds are ignored); MalformedStream propagates."""
        for op in ops:
            try:
                getattr(self, "_op_" + op.kind, self._op_ignore)(*op.args)
            except MalformedStream:
                raise
            except (ValueError, segno.DataOverflowError, code128.Code128Error) as err:
                raise MalformedStream(op.offset, f"{op.kind}: {err}") from None

    def _op_ignore(self, *args) -> None:
        pass

    def _op_text(self, s: str, chinese: bool = False) -> None:
        for ch in s:
            self._put(ch, chinese)

    def _op_tab(self) -> None:
        col = self._line_x // 12
        for _ in range(8 - col % 8):
            self._put(" ")

    def _op_lf(self) -> None:
        self._flush()

    def _op_init(self) -> None:
        self._flush(force_blank=False)
        self._reset()

    def _op_mode(self, n: int) -> None:
        self.font_b = bool(n & 1)
        self.bold = bool(n & 8)
        self.h = 2 if n & 16 else 1
        self.w = 2 if n & 32 else 1
        self.underline = 1 if n & 128 else 0

    def _op_cjk_mode(self, n: int) -> None:
        self.w = 2 if n & 4 else self.w
        self.h = 2 if n & 8 else self.h

    def _op_bold(self, on: bool) -> None:
        self.bold = on

    def _op_underline(self, n: int) -> None:
        self.underline = min(n, 2)

    def _op_align(self, n: int) -> None:
        self.align = n

    def _op_size(self, n: int) -> None:
        self.w, self.h = (n >> 4) % 8 + 1, (n & 0x0F) % 8 + 1

    def _op_font(self, n: int) -> None:
        self.font_b = n == 1

    def _op_reverse(self, n: int) -> None:
        self.reverse = bool(n & 1)

    def _op_spacing(self, n: int) -> None:
        self.spacing = n

    def _op_feed_lines(self, n: int) -> None:
        self._flush(force_blank=False)
        for _ in range(n):
            self._flush()

    def _op_feed_dots(self, n: int) -> None:
        self._flush(force_blank=False)
        self._blank(n)

    def _op_cut(self, partial: bool, feed: int = 0) -> None:
        self._flush(force_blank=False)
        self._blank(feed)
        band = Image.new("L", (self.dots, 9), 255)
        d = ImageDraw.Draw(band)
        for x in range(0, self.dots, 12):
            d.line((x, 4, x + 6, 4), fill=0 if not partial else 96)
        self.bands.append(band)
        self.cuts.append(len(self.bands))
        self.text_lines.append("-- cut --")

    def _op_bar_height(self, n: int) -> None:
        self._bar["h"] = max(1, n)

    def _op_bar_width(self, n: int) -> None:
        self._bar["w"] = min(max(n, 1), 6)

    def _op_hri(self, n: int) -> None:
        self._bar["hri"] = n % 48 if n >= 48 else n

    def _op_raster(self, m: int, xb: int, yb: int, data: bytes) -> None:
        self._flush(force_blank=False)
        img = Image.frombytes("1", (xb * 8, yb), bytes(b ^ 0xFF for b in data)).convert("L")
        if m & 1:
            img = img.resize((img.width * 2, img.height), Image.Resampling.NEAREST)
        if m & 2:
            img = img.resize((img.width, img.height * 2), Image.Resampling.NEAREST)
        self._band(img)
        self.text_lines.append(f"[raster {xb * 8}x{yb}]")

    def _op_bitimage(self, m: int, cols: int, data: bytes) -> None:
        # ESC * column format: 8 or 24 dots per column; the image continues on the current line.
        rows = 24 if m >= 32 else 8
        img = Image.new("L", (cols, rows), 255)
        px = img.load()
        assert px is not None  # a freshly made image always has pixels
        per = rows // 8
        for c in range(cols):
            for k in range(per):
                b = data[c * per + k]
                for bit in range(8):
                    if b & (0x80 >> bit):
                        px[c, k * 8 + bit] = 0
        if m in (0, 32):
            img = img.resize((cols * 2, rows), Image.Resampling.NEAREST)
        self._line.append((img, ""))
        self._line_x += img.width

    def _op_sym(self, cn: int, fn: int, data: bytes) -> None:
        if cn != 49:  # PDF417 and other 2D symbols: settings accepted, not drawn
            return
        if fn == 67:
            if not data or not 1 <= data[0] <= 16:
                raise ValueError("QR module size must be 1-16")
            self._qr.size = data[0]
        elif fn == 69:
            if not data or data[0] not in QR_EC:
                raise ValueError("QR error correction must be 48-51")
            self._qr.ec = data[0]
        elif fn == 80:
            self._qr.data = data[1:] if data[:1] == b"0" else data
        elif fn == 81:
            payload = self._qr.data
            if not payload:
                raise ValueError("QR print requested with no stored data")
            self._flush(force_blank=False)
            img = qr_image(payload, ec=QR_EC[self._qr.ec], scale=self._qr.size)
            self._band(img)
            try:
                shown = payload.decode("utf-8")
            except UnicodeDecodeError:
                shown = payload.hex()
            self.text_lines.append(f"[QR {shown}]")

    def _op_barcode(self, m: int, data: bytes) -> None:
        self._flush(force_blank=False)
        if m != 73:
            # Other barcode systems are recognised but drawn as a labelled placeholder.
            bars, hri = None, data.decode("latin-1")
        else:
            bars, hri = code128.modules(data)
        w, h = self._bar["w"], self._bar["h"]
        if bars is None:
            img = Image.new("L", (len(data) * 11 * w, h), 200)
        else:
            img = Image.new("L", (len(bars) * w, h), 255)
            d = ImageDraw.Draw(img)
            for i, b in enumerate(bars):
                if b == "1":
                    d.rectangle((i * w, 0, i * w + w - 1, h - 1), fill=0)
        if self._bar["hri"] in (1, 3):
            self._hri(hri)
        self._band(img)
        if self._bar["hri"] in (2, 3):
            self._hri(hri)
        self.text_lines.append(f"[Code128 {hri}]" if m == 73 else f"[barcode {m} {hri}]")

    def _hri(self, text: str) -> None:
        img = Image.new("L", (len(text) * 12, 24), 255)
        for i, ch in enumerate(text):
            img.paste(glyph(ch, 12, 24), (i * 12, 0))
        self._band(img)

    # -- output -----------------------------------------------------------------------------------

    def finish(self) -> None:
        """Put the pending text line on paper, if any (no blank line for an empty one); safe to repeat."""
        self._flush(force_blank=False)

    def image(self, margin: int = 16) -> Image.Image:
        """All paper printed so far as one greyscale image with a white `margin` (dots) all round."""
        self.finish()
        height = sum(b.height for b in self.bands) + 2 * margin
        page = Image.new("L", (self.dots + 2 * margin, max(height, 2 * margin + 1)), 255)
        y = margin
        for b in self.bands:
            page.paste(b, (margin, y))
            y += b.height
        return page

    def slips(self) -> list[Image.Image]:
        """The paper cut into pieces (one image per slip)."""
        self.finish()
        out, start = [], 0
        for end in self.cuts + ([len(self.bands)] if len(self.bands) > (self.cuts[-1] if self.cuts else 0) else []):
            bands = self.bands[start:end]
            if bands:
                page = Image.new("L", (self.dots, sum(b.height for b in bands)), 255)
                y = 0
                for b in bands:
                    page.paste(b, (0, y))
                    y += b.height
                out.append(page)
            start = end
        return out


def render_stream(data: bytes, dots: int = 576) -> SlipRenderer:
    """Parse and draw a whole stream; MalformedStream says where and why it is not ESC/POS."""
    parser = StreamParser()
    ops, _ = parser.parse(data, final=True)
    r = SlipRenderer(dots)
    r.apply(ops)
    r.finish()
    r.warnings = parser.warnings
    return r
