"""ESC/POS byte stream -> operations, incrementally (bytes may arrive in any pieces).

Covers what receipt printers commonly take: text in single-byte code pages and in Chinese mode
(FS & ... FS ., GB18030 two- and four-byte codes), character styles, alignment, feeds, GS ( k
2D codes, GS k barcodes, GS v 0 raster and ESC * bit images, cuts, GS r and the real-time DLE
commands. A stream that cannot be a valid command sequence raises MalformedStream naming the
offset and the command; nothing else escapes from here.
"""
from __future__ import annotations

from dataclasses import dataclass

CODEPAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252", 17: "cp866",
             18: "cp852", 19: "cp858"}


class MalformedStream(ValueError):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"byte {offset}: {message}")
        self.offset = offset
        self.ops: list[Op] = []  # what was parsed before the error (a printer prints it)


class _Need(Exception):
    """More bytes are needed to finish the command at the current position."""


@dataclass
class Op:
    kind: str
    args: tuple = ()
    offset: int = 0


# Fixed parameter counts of the simple commands (after the command letter).
_ESC_FIXED = {b"@": 0, b"!": 1, b"E": 1, b"G": 1, b"-": 1, b"a": 1, b"d": 1, b"J": 1, b"e": 1, b"2": 0,
              b"3": 1, b"t": 1, b"R": 1, b"M": 1, b"{": 1, b"V": 1, b" ": 1, b"p": 3, b"=": 1, b"$": 2,
              b"\\": 2, b"%": 1, b"r": 1, b"i": 0, b"m": 0, b"L": 0, b"S": 0, b"W": 8, b"T": 1, b"B": 2,
              b"U": 1}
_FS_FIXED = {b"&": 0, b".": 0, b"!": 1, b"-": 1, b"C": 1, b"S": 2, b"W": 1, b"p": 2}
_GS_FIXED = {b"!": 1, b"B": 1, b"H": 1, b"h": 1, b"w": 1, b"f": 1, b"L": 2, b"W": 2, b"r": 1, b"a": 1,
             b"P": 2, b"I": 1, b"b": 1, b"T": 1, b"$": 2, b"\\": 2, b"/": 1, b"^": 3, b":": 0}


class StreamParser:
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
        at = self.offset + i
        self._need(buf, i + 2)
        c = buf[i + 1:i + 2]
        if c == b"*":
            self._need(buf, i + 5)
            m, nl, nh = buf[i + 2], buf[i + 3], buf[i + 4]
            if m not in (0, 1, 32, 33):
                raise MalformedStream(at, f"ESC * mode {m} is not 0, 1, 32 or 33")
            cols = nl + nh * 256
            size = cols * (3 if m >= 32 else 1)
            self._need(buf, i + 5 + size)
            ops.append(Op("bitimage", (m, cols, bytes(buf[i + 5:i + 5 + size])), at))
            return i + 5 + size
        if c == b"D":  # tab stops, NUL-terminated
            end = buf.find(b"\x00", i + 2)
            if end < 0:
                if len(buf) - i > 34:
                    raise MalformedStream(at, "ESC D tab list without its NUL terminator")
                raise _Need
            return end + 1
        if c == b"c":
            self._need(buf, i + 4)
            return i + 4
        if c not in _ESC_FIXED:
            raise MalformedStream(at, f"unknown command ESC 0x{buf[i + 1]:02x}")
        k = _ESC_FIXED[c]
        self._need(buf, i + 2 + k)
        p = buf[i + 2:i + 2 + k]
        if c == b"@":
            self.chinese = False
            self.codepage = 0
            ops.append(Op("init", (), at))
        elif c == b"!":
            ops.append(Op("mode", (p[0],), at))
        elif c in (b"E", b"G"):
            ops.append(Op("bold", (bool(p[0] & 1),), at))
        elif c == b"-":
            ops.append(Op("underline", (p[0] % 48 if p[0] >= 48 else p[0],), at))
        elif c == b"a":
            v = p[0] - 48 if p[0] >= 48 else p[0]
            if v not in (0, 1, 2):
                raise MalformedStream(at, f"ESC a {p[0]}: alignment must be 0, 1 or 2")
            ops.append(Op("align", (v,), at))
        elif c == b"d":
            ops.append(Op("feed_lines", (p[0],), at))
        elif c == b"J":
            ops.append(Op("feed_dots", (p[0],), at))
        elif c == b"2":
            ops.append(Op("spacing", (30,), at))
        elif c == b"3":
            ops.append(Op("spacing", (p[0],), at))
        elif c == b"t":
            self.codepage = p[0]
            if p[0] not in CODEPAGES:
                self.warnings.append(f"byte {at}: code page table {p[0]} unknown here, shown as cp437")
        elif c == b"M":
            ops.append(Op("font", (p[0] % 48 if p[0] >= 48 else p[0],), at))
        elif c in (b"i", b"m"):
            ops.append(Op("cut", (c == b"m",), at))
        elif c == b"{":
            ops.append(Op("upside_down", (bool(p[0] & 1),), at))
        return i + 2 + k

    def _fs(self, buf: bytes, i: int, ops: list[Op]) -> int:
        at = self.offset + i
        self._need(buf, i + 2)
        c = buf[i + 1:i + 2]
        if c not in _FS_FIXED:
            raise MalformedStream(at, f"unknown command FS 0x{buf[i + 1]:02x}")
        k = _FS_FIXED[c]
        self._need(buf, i + 2 + k)
        if c == b"&":
            self.chinese = True
        elif c == b".":
            self.chinese = False
        elif c == b"!":
            p = buf[i + 2]
            ops.append(Op("cjk_mode", (p,), at))
        return i + 2 + k

    def _gs(self, buf: bytes, i: int, ops: list[Op]) -> int:
        at = self.offset + i
        self._need(buf, i + 2)
        c = buf[i + 1:i + 2]
        if c == b"V":
            self._need(buf, i + 3)
            m = buf[i + 2]
            if m in (0, 1, 48, 49):
                ops.append(Op("cut", (m in (1, 49), 0), at))
                return i + 3
            if m in (65, 66, 97, 98, 103, 104):
                self._need(buf, i + 4)
                ops.append(Op("cut", (m in (66, 98, 104), buf[i + 3]), at))
                return i + 4
            raise MalformedStream(at, f"GS V {m}: not a cut mode")
        if c == b"v":
            self._need(buf, i + 8)
            if buf[i + 2] != 0x30:
                raise MalformedStream(at, f"GS v 0x{buf[i + 2]:02x}: only GS v 0 (raster) exists")
            m, xb, yb = buf[i + 3], buf[i + 4] + buf[i + 5] * 256, buf[i + 6] + buf[i + 7] * 256
            if m not in (0, 1, 2, 3, 48, 49, 50, 51) or xb == 0 or yb == 0:
                raise MalformedStream(at, f"GS v 0: bad raster header (mode {m}, {xb} bytes x {yb} rows)")
            size = xb * yb
            self._need(buf, i + 8 + size)
            ops.append(Op("raster", (m & 3, xb, yb, bytes(buf[i + 8:i + 8 + size])), at))
            return i + 8 + size
        if c == b"k":
            self._need(buf, i + 3)
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
                self._need(buf, i + 4)
                ln = buf[i + 3]
                self._need(buf, i + 4 + ln)
                ops.append(Op("barcode", (m, bytes(buf[i + 4:i + 4 + ln])), at))
                return i + 4 + ln
            raise MalformedStream(at, f"GS k {m}: unknown barcode system")
        if c == b"(":
            self._need(buf, i + 5)
            fn_letter = buf[i + 2:i + 3]
            ln = buf[i + 3] + buf[i + 4] * 256
            self._need(buf, i + 5 + ln)
            body = bytes(buf[i + 5:i + 5 + ln])
            if fn_letter == b"k":
                if ln < 2:
                    raise MalformedStream(at, "GS ( k with fewer than 2 parameter bytes")
                ops.append(Op("sym", (body[0], body[1], body[2:]), at))
            elif not fn_letter.isalpha():
                raise MalformedStream(at, f"unknown command GS ( 0x{fn_letter[0]:02x}")
            return i + 5 + ln
        if c == b"8":
            self._need(buf, i + 7)
            if buf[i + 2:i + 3] != b"L":
                raise MalformedStream(at, "unknown command GS 8 (only GS 8 L)")
            ln = int.from_bytes(buf[i + 3:i + 7], "little")
            self._need(buf, i + 7 + ln)
            return i + 7 + ln
        if c == b"*":
            self._need(buf, i + 4)
            size = buf[i + 2] * buf[i + 3] * 8
            self._need(buf, i + 4 + size)
            return i + 4 + size
        if c not in _GS_FIXED:
            raise MalformedStream(at, f"unknown command GS 0x{buf[i + 1]:02x}")
        k = _GS_FIXED[c]
        self._need(buf, i + 2 + k)
        p = buf[i + 2:i + 2 + k]
        simple = {b"!": "size", b"B": "reverse", b"H": "hri", b"h": "bar_height", b"w": "bar_width",
                  b"f": "hri_font"}
        if c in simple:
            ops.append(Op(simple[c], (p[0],), at))
        elif c == b"r":
            ops.append(Op("gs_r", (p[0],), at))
        elif c == b"a":
            ops.append(Op("asb", (p[0],), at))
        elif c == b"L":
            ops.append(Op("left_margin", (p[0] + p[1] * 256,), at))
        elif c == b"W":
            ops.append(Op("area_width", (p[0] + p[1] * 256,), at))
        return i + 2 + k

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
