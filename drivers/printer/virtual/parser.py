"""ESC/POS byte stream -> operations, incrementally (bytes may arrive in any pieces).

Covers what receipt printers commonly take: text in single-byte code pages and in Chinese mode
(FS & ... FS ., GB18030 two- and four-byte codes), character styles, alignment, feeds, GS ( k
2D codes, GS k barcodes, GS v 0 raster and ESC * bit images, cuts, GS r and the real-time DLE
commands. A stream that cannot be a valid command sequence raises MalformedStream naming the
offset and the command; nothing else escapes from here.

Commands are dispatched by tables: a command with fixed parameters is a row (parameter count,
effect) in _ESC, _FS or _GS; one whose length depends on its data (images, barcodes, 2D codes)
has a reader of its own in _ESC_VARIABLE or _GS_VARIABLE.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CODEPAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252", 17: "cp866",
             18: "cp852", 19: "cp858"}


class MalformedStream(ValueError):
    """A byte stream that is not valid ESC/POS at `offset`; `ops` holds what parsed before it."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"byte {offset}: {message}")
        self.offset = offset
        self.ops: list[Op] = []  # what was parsed before the error (a printer prints it)


class _Need(Exception):
    """More bytes are needed to finish the command at the current position."""


@dataclass
class Op:
    """One parsed operation: its kind, arguments, and the stream offset it started at."""

    kind: str
    args: tuple = ()
    offset: int = 0


class StreamParser:
    """Incremental ESC/POS parser; keeps the mode (Chinese, code page) and offset across parse() calls."""

    def __init__(self) -> None:
        self.chinese = False
        self.codepage = 0
        self.offset = 0  # absolute offset of the next byte, for error messages
        self.warnings: list[str] = []

    def parse(self, buf: bytes, final: bool = True) -> tuple[list[Op], int]:
        """Operations in `buf` and how many bytes they used. With final=False an incomplete
        command at the end is left for the next call; with final=True it is an error."""
        ops: list[Op] = []
        i = 0
        text: list[str] = []
        text_at = 0

        def flush_text() -> None:
            # In Chinese mode every multi-byte character is a full-width (24-dot) glyph.
            if text:
                ops.append(Op("text", ("".join(text), self.chinese), text_at))
                text.clear()

        n = len(buf)
        while i < n:
            b = buf[i]
            at = self.offset + i
            try:
                if b >= 0x20 and b != 0x7F:
                    if not text:
                        text_at = at
                    ch, used = self._char(buf, i, final)
                    text.append(ch)
                    i += used
                    continue
                flush_text()
                if b == 0x0A or b == 0x0C:
                    ops.append(Op("lf", (), at))
                    i += 1
                elif b == 0x09:
                    ops.append(Op("tab", (), at))
                    i += 1
                elif b == 0x1B:
                    i = self._esc(buf, i, ops)
                elif b == 0x1D:
                    i = self._gs(buf, i, ops)
                elif b == 0x1C:
                    i = self._fs(buf, i, ops)
                elif b == 0x10:
                    i = self._dle(buf, i, ops)
                else:
                    i += 1  # CR, NUL, CAN and other single control bytes: no visible effect
            except MalformedStream as err:
                flush_text()
                err.ops = ops
                self.offset += i
                raise
            except _Need:
                if final:
                    raise MalformedStream(at, f"stream ends inside a command starting 0x{b:02x} "
                                              f"({buf[i:i + 4].hex(' ')}...)") from None
                break
        flush_text()
        self.offset += i
        return ops, i

    # -- text -----------------------------------------------------------------------------------

    def _char(self, buf: bytes, i: int, final: bool) -> tuple[str, int]:
        b = buf[i]
        if b < 0x80:
            return chr(b), 1
        if self.chinese:
            if b == 0x80 or b == 0xFF:
                self.warnings.append(f"byte {self.offset + i}: 0x{b:02x} is not a GB18030 lead byte")
                return "\ufffd", 1
            if i + 1 >= len(buf):
                raise _Need
            b2 = buf[i + 1]
            if 0x30 <= b2 <= 0x39:
                if i + 3 >= len(buf):
                    raise _Need
                seq = bytes(buf[i:i + 4])
                used = 4
            else:
                seq = bytes(buf[i:i + 2])
                used = 2
            try:
                return seq.decode("gb18030"), used
            except UnicodeDecodeError:
                self.warnings.append(f"byte {self.offset + i}: {seq.hex(' ')} is not a GB18030 character")
                return "\ufffd", 1
        return bytes([b]).decode(CODEPAGES.get(self.codepage, "cp437"), errors="replace"), 1

    # -- commands -------------------------------------------------------------------------------

    @staticmethod
    def _need(buf: bytes, end: int) -> None:
        if end > len(buf):
            raise _Need

    def _esc(self, buf: bytes, i: int, ops: list[Op]) -> int:
        return self._command("ESC", _ESC, _ESC_VARIABLE, buf, i, ops)

    def _fs(self, buf: bytes, i: int, ops: list[Op]) -> int:
        return self._command("FS", _FS, {}, buf, i, ops)

    def _gs(self, buf: bytes, i: int, ops: list[Op]) -> int:
        return self._command("GS", _GS, _GS_VARIABLE, buf, i, ops)

    def _command(self, prefix: str, fixed: dict[bytes, Fixed], variable: dict[bytes, Reader], buf: bytes, i: int,
                 ops: list[Op]) -> int:
        """One ESC/FS/GS command at buf[i]: its operation appended to ops; returns the next index."""
        at = self.offset + i
        self._need(buf, i + 2)
        c = bytes(buf[i + 1:i + 2])
        reader = variable.get(c)
        if reader is not None:
            return reader(self, buf, i, at, ops)
        if c not in fixed:
            raise MalformedStream(at, f"unknown command {prefix} 0x{buf[i + 1]:02x}")
        count, effect = fixed[c]
        self._need(buf, i + 2 + count)
        if effect is not None:
            op = effect(self, bytes(buf[i + 2:i + 2 + count]), at)
            if op is not None:
                ops.append(op)
        return i + 2 + count

    def _dle(self, buf: bytes, i: int, ops: list[Op]) -> int:
        at = self.offset + i
        self._need(buf, i + 2)
        c = buf[i + 1]
        if c == 0x04:  # DLE EOT n: answered by the receiver in real time; nothing to print
            self._need(buf, i + 3)
            n = buf[i + 2]
            if n in (7, 8):
                self._need(buf, i + 4)
                return i + 4
            if not 1 <= n <= 4:
                raise MalformedStream(at, f"DLE EOT {n}: status type must be 1-4")
            return i + 3
        if c == 0x05:
            self._need(buf, i + 3)
            return i + 3
        if c == 0x14:
            self._need(buf, i + 3)
            fn = buf[i + 2]
            extra = {1: 2, 2: 2, 7: 1, 8: 7}.get(fn)
            if extra is None:
                raise MalformedStream(at, f"DLE DC4 {fn}: unknown function")
            self._need(buf, i + 3 + extra)
            return i + 3 + extra
        # A lone DLE is an ordinary (ignored) control byte.
        return i + 1


# -- command tables ------------------------------------------------------------------------------

Effect = Callable[[StreamParser, bytes, int], "Op | None"]  # (parser, parameters, offset) -> operation
Fixed = tuple[int, "Effect | None"]  # parameter count, effect (None: accepted, nothing to print)
Reader = Callable[[StreamParser, bytes, int, int, list[Op]], int]  # (parser, buf, i, offset, ops) -> next i


def _op(kind: str, value: Callable[[bytes], tuple] = lambda p: (p[0],)) -> Effect:
    return lambda parser, p, at: Op(kind, value(p), at)


def _digit(p: bytes) -> tuple:
    """Parameters given as 0/1/2 or as the characters "0"/"1"/"2"."""
    return (p[0] % 48 if p[0] >= 48 else p[0],)


def _word(p: bytes) -> tuple:
    return (p[0] + p[1] * 256,)


def _init(parser: StreamParser, p: bytes, at: int) -> Op:
    parser.chinese = False
    parser.codepage = 0
    return Op("init", (), at)


def _align(parser: StreamParser, p: bytes, at: int) -> Op:
    v = p[0] - 48 if p[0] >= 48 else p[0]
    if v not in (0, 1, 2):
        raise MalformedStream(at, f"ESC a {p[0]}: alignment must be 0, 1 or 2")
    return Op("align", (v,), at)


def _codepage(parser: StreamParser, p: bytes, at: int) -> None:
    parser.codepage = p[0]
    if p[0] not in CODEPAGES:
        parser.warnings.append(f"byte {at}: code page table {p[0]} unknown here, shown as cp437")


def _chinese(on: bool) -> Effect:
    def switch(parser: StreamParser, p: bytes, at: int) -> None:
        parser.chinese = on
    return switch


def _bit_image(parser: StreamParser, buf: bytes, i: int, at: int, ops: list[Op]) -> int:
    """ESC * m nL nH d...: a band of dots, 1 or 3 bytes per column."""
    parser._need(buf, i + 5)
    m, nl, nh = buf[i + 2], buf[i + 3], buf[i + 4]
    if m not in (0, 1, 32, 33):
        raise MalformedStream(at, f"ESC * mode {m} is not 0, 1, 32 or 33")
    cols = nl + nh * 256
    size = cols * (3 if m >= 32 else 1)
    parser._need(buf, i + 5 + size)
    ops.append(Op("bitimage", (m, cols, bytes(buf[i + 5:i + 5 + size])), at))
    return i + 5 + size


def _tab_stops(parser: StreamParser, buf: bytes, i: int, at: int, ops: list[Op]) -> int:
    """ESC D n1 ... NUL: tab stops, NUL-terminated."""
    end = buf.find(b"\x00", i + 2)
    if end < 0:
        if len(buf) - i > 34:
            raise MalformedStream(at, "ESC D tab list without its NUL terminator")
        raise _Need
    return end + 1


def _panel(parser: StreamParser, buf: bytes, i: int, at: int, ops: list[Op]) -> int:
    """ESC c 3/4/5 n: paper sensors and panel buttons; nothing to print."""
    parser._need(buf, i + 4)
    return i + 4


def _cut(parser: StreamParser, buf: bytes, i: int, at: int, ops: list[Op]) -> int:
    """GS V m [n]: cut, full or partial, optionally after feeding n."""
    parser._need(buf, i + 3)
    m = buf[i + 2]
    if m in (0, 1, 48, 49):
        ops.append(Op("cut", (m in (1, 49), 0), at))
        return i + 3
    if m in (65, 66, 97, 98, 103, 104):
        parser._need(buf, i + 4)
        ops.append(Op("cut", (m in (66, 98, 104), buf[i + 3]), at))
        return i + 4
    raise MalformedStream(at, f"GS V {m}: not a cut mode")


def _raster(parser: StreamParser, buf: bytes, i: int, at: int, ops: list[Op]) -> int:
    """GS v 0 m xL xH yL yH d...: a raster image."""
    parser._need(buf, i + 8)
    if buf[i + 2] != 0x30:
        raise MalformedStream(at, f"GS v 0x{buf[i + 2]:02x}: only GS v 0 (raster) exists")
    m, xb, yb = buf[i + 3], buf[i + 4] + buf[i + 5] * 256, buf[i + 6] + buf[i + 7] * 256
    if m not in (0, 1, 2, 3, 48, 49, 50, 51) or xb == 0 or yb == 0:
        raise MalformedStream(at, f"GS v 0: bad raster header (mode {m}, {xb} bytes x {yb} rows)")
    size = xb * yb
    parser._need(buf, i + 8 + size)
    ops.append(Op("raster", (m & 3, xb, yb, bytes(buf[i + 8:i + 8 + size])), at))
    return i + 8 + size


def _barcode(parser: StreamParser, buf: bytes, i: int, at: int, ops: list[Op]) -> int:
    """GS k m: a barcode, NUL-terminated (m 0-6) or with a length byte (m 65-79)."""
    parser._need(buf, i + 3)
    m = buf[i + 2]
    if m <= 6:
        end = buf.find(b"\x00", i + 3)
        if end < 0:
            if len(buf) - i > 260:
                raise MalformedStream(at, f"GS k {m}: barcode data without NUL terminator")
            raise _Need
        ops.append(Op("barcode", (m, bytes(buf[i + 3:end])), at))
        return end + 1
    if 65 <= m <= 79:
        parser._need(buf, i + 4)
        ln = buf[i + 3]
        parser._need(buf, i + 4 + ln)
        ops.append(Op("barcode", (m, bytes(buf[i + 4:i + 4 + ln])), at))
        return i + 4 + ln
    raise MalformedStream(at, f"GS k {m}: unknown barcode system")


def _function(parser: StreamParser, buf: bytes, i: int, at: int, ops: list[Op]) -> int:
    """GS ( fn pL pH d...: extended functions; GS ( k are the 2D symbols."""
    parser._need(buf, i + 5)
    fn_letter = buf[i + 2:i + 3]
    ln = buf[i + 3] + buf[i + 4] * 256
    parser._need(buf, i + 5 + ln)
    body = bytes(buf[i + 5:i + 5 + ln])
    if fn_letter == b"k":
        if ln < 2:
            raise MalformedStream(at, "GS ( k with fewer than 2 parameter bytes")
        ops.append(Op("sym", (body[0], body[1], body[2:]), at))
    elif not fn_letter.isalpha():
        raise MalformedStream(at, f"unknown command GS ( 0x{fn_letter[0]:02x}")
    return i + 5 + ln


def _long_function(parser: StreamParser, buf: bytes, i: int, at: int, ops: list[Op]) -> int:
    """GS 8 L p1..p4 d...: graphics data with a 4-byte length; stored, not printed here."""
    parser._need(buf, i + 7)
    if buf[i + 2:i + 3] != b"L":
        raise MalformedStream(at, "unknown command GS 8 (only GS 8 L)")
    ln = int.from_bytes(buf[i + 3:i + 7], "little")
    parser._need(buf, i + 7 + ln)
    return i + 7 + ln


def _downloaded_image(parser: StreamParser, buf: bytes, i: int, at: int, ops: list[Op]) -> int:
    """GS * x y d...: define a downloaded bit image; stored, not printed here."""
    parser._need(buf, i + 4)
    size = buf[i + 2] * buf[i + 3] * 8
    parser._need(buf, i + 4 + size)
    return i + 4 + size


_ESC: dict[bytes, Fixed] = {
    b"@": (0, _init), b"!": (1, _op("mode")), b"E": (1, _op("bold", lambda p: (bool(p[0] & 1),))),
    b"G": (1, _op("bold", lambda p: (bool(p[0] & 1),))), b"-": (1, _op("underline", _digit)),
    b"a": (1, _align), b"d": (1, _op("feed_lines")), b"J": (1, _op("feed_dots")),
    b"2": (0, _op("spacing", lambda p: (30,))), b"3": (1, _op("spacing")), b"t": (1, _codepage),
    b"M": (1, _op("font", _digit)), b"i": (0, _op("cut", lambda p: (False,))), b"m": (0, _op("cut", lambda p: (True,))),
    b"{": (1, _op("upside_down", lambda p: (bool(p[0] & 1),))),
    **{c: (n, None) for c, n in ((b"e", 1), (b"R", 1), (b"V", 1), (b" ", 1), (b"p", 3), (b"=", 1), (b"$", 2),
                                 (b"\\", 2), (b"%", 1), (b"r", 1), (b"L", 0), (b"S", 0), (b"W", 8), (b"T", 1),
                                 (b"B", 2), (b"U", 1))},
}
_ESC_VARIABLE: dict[bytes, Reader] = {b"*": _bit_image, b"D": _tab_stops, b"c": _panel}

_FS: dict[bytes, Fixed] = {
    b"&": (0, _chinese(True)), b".": (0, _chinese(False)), b"!": (1, _op("cjk_mode")),
    **{c: (n, None) for c, n in ((b"-", 1), (b"C", 1), (b"S", 2), (b"W", 1), (b"p", 2))},
}

_GS: dict[bytes, Fixed] = {
    b"!": (1, _op("size")), b"B": (1, _op("reverse")), b"H": (1, _op("hri")), b"h": (1, _op("bar_height")),
    b"w": (1, _op("bar_width")), b"f": (1, _op("hri_font")), b"r": (1, _op("gs_r")), b"a": (1, _op("asb")),
    b"L": (2, _op("left_margin", _word)), b"W": (2, _op("area_width", _word)),
    **{c: (n, None) for c, n in ((b"P", 2), (b"I", 1), (b"b", 1), (b"T", 1), (b"$", 2), (b"\\", 2), (b"/", 1),
                                 (b"^", 3), (b":", 0))},
}
_GS_VARIABLE: dict[bytes, Reader] = {b"V": _cut, b"v": _raster, b"k": _barcode, b"(": _function,
                                     b"8": _long_function, b"*": _downloaded_image}
