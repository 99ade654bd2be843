"""The byte stream from a voice modem: text lines, DLE-shielded events, and voice data.

In command mode the modem sends text lines (OK, RING, caller ID) and, in voice class, DLE events
such as <DLE>h (handset on hook). After `CONNECT` to `AT+VRX`, everything is audio until
<DLE><ETX>; an audio byte equal to DLE (0x10) arrives doubled and must be unescaped, or the
recording is corrupt. DTMF digits arrive as <DLE>digit, framed by <DLE>/ ... <DLE>~ on modems
that mark tone start and end, and are repeated while the key is held: one key press is one digit.
"""
from __future__ import annotations

DLE = 0x10
ETX = 0x03
SUB = 0x1A  # <DLE><SUB> = two DLE data bytes on some modems (compressed shielding)
END_PLAYBACK = bytes([DLE, ETX])
ABORT_RECORDING = bytes([DLE]) + b"!"
DTMF_DIGITS = frozenset(b"0123456789*#ABCD")
EVENT_NAMES = {
    "R": "ring", "b": "busy", "d": "dial_tone", "s": "silence", "q": "quiet", "h": "handset_on_hook",
    "H": "handset_off_hook", "l": "loop_break", "L": "loop_polarity", "c": "fax_calling",
    "e": "data_calling", "u": "tx_underrun", "o": "rx_overrun", "t": "tone", "ETX": "end",
}
MAX_LINE = 512
# One key press: a repeat of the same digit within this much audio (0.2 s at 8 kHz) is the same press.
DTMF_REPEAT_BYTES = 1600


def shield(audio: bytes) -> bytes:
    """Voice data to send to the modem: every DLE byte doubled."""
    return audio.replace(b"\x10", b"\x10\x10")


def decode_text(raw: bytes) -> str:
    """A modem text line as str: UTF-8, else GB18030, else Latin-1 (never raises)."""
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


class ModemStream:
    """Incremental decoder; `feed(bytes)` returns a list of (kind, value) items:

        ("line", str)     a text line (command mode), without terminator, never empty
        ("dle", str)      a DLE event code ("R", "b", "s", "l", "h", "H", "ETX", ...)
        ("dtmf", str)     one debounced DTMF digit
        ("audio", bytes)  unescaped voice data (audio mode only)

    Call `expect_audio()` before sending AT+VRX: the next CONNECT line switches to audio, and
    <DLE><ETX> switches back. Splitting the input anywhere gives the same items (audio may come
    in different chunks, but concatenates to the same bytes).
    """

    def __init__(self) -> None:
        self.audio_mode = False
        self._expect_connect = False
        self._line = bytearray()
        self._pending_dle = False
        self._skip_lf = False
        self._dtmf_open = False
        self._last_digit: str | None = None
        self._last_digit_at = 0
        self.audio_bytes = 0

    def expect_audio(self, on: bool = True) -> None:
        """Arm (or, with on=False, disarm) the switch to audio mode on the next CONNECT line."""
        self._expect_connect = on

    def enter_audio(self) -> None:
        """Switch to audio now (CONNECT already seen by the caller)."""
        self._expect_connect = False
        self.audio_mode = True
        self._line.clear()

    def leave_audio(self) -> None:
        """Back to command mode now (e.g. after aborting a recording), dropping a half-read DLE."""
        self.audio_mode = False
        self._pending_dle = False

    def _dtmf(self, digit: str, out: list) -> None:
        if self._dtmf_open and self._last_digit == digit:
            return
        if (not self._dtmf_open and self._last_digit == digit
                and self.audio_bytes - self._last_digit_at < DTMF_REPEAT_BYTES):
            self._last_digit_at = self.audio_bytes
            return
        self._last_digit, self._last_digit_at = digit, self.audio_bytes
        out.append(("dtmf", digit))

    def _dle_code(self, code: int, out: list) -> None:
        if code == ETX:
            out.append(("dle", "ETX"))
            if self.audio_mode:
                self.audio_mode = False
            return
        if code == DLE:
            if self.audio_mode:
                self._audio(b"\x10", out)
            return
        if code == SUB and self.audio_mode:
            self._audio(b"\x10\x10", out)
            return
        if code in DTMF_DIGITS:
            self._dtmf(chr(code), out)
            return
        ch = chr(code)
        if ch == "/":
            self._dtmf_open = True
            self._last_digit = None
            return
        if ch == "~":
            self._dtmf_open = False
            self._last_digit = None
            return
        out.append(("dle", ch))

    def _audio(self, data: bytes, out: list) -> None:
        if not data:
            return
        self.audio_bytes += len(data)
        if out and out[-1][0] == "audio":
            out[-1] = ("audio", out[-1][1] + data)
        else:
            out.append(("audio", data))

    def _end_line(self, out: list) -> None:
        if self._line:
            text = decode_text(bytes(self._line)).strip()
            self._line.clear()
            if text:
                out.append(("line", text))
                if self._expect_connect and text.startswith("CONNECT"):
                    self._expect_connect = False
                    self.audio_mode = True

    def feed(self, data: bytes) -> list[tuple[str, object]]:
        """The items that `data` completes, in order; see the class docstring for the kinds."""
        out: list[tuple[str, object]] = []
        i, n = 0, len(data)
        while i < n:
            if self._pending_dle:
                self._pending_dle = False
                self._dle_code(data[i], out)
                i += 1
                continue
            if self._skip_lf:
                self._skip_lf = False
                if data[i] == 0x0A:
                    i += 1
                    continue
            if self.audio_mode:
                j = data.find(b"\x10", i)
                if j < 0:
                    self._audio(data[i:], out)
                    break
                self._audio(data[i:j], out)
                self._pending_dle = True
                i = j + 1
                continue
            b = data[i]
            i += 1
            if b == DLE:
                self._pending_dle = True
            elif b in (0x0D, 0x0A):
                self._end_line(out)
                # CONNECT seen: the rest is audio, after the LF that follows CR (even in the next read)
                self._skip_lf = self.audio_mode and b == 0x0D
            elif b == 0x00 or b == 0x11 or b == 0x13:
                continue  # NUL and XON/XOFF flow control are not text
            else:
                self._line.append(b)
                if len(self._line) >= MAX_LINE:
                    self._end_line(out)
        return out

    def flush(self) -> list[tuple[str, object]]:
        """End of input: a last line without terminator still counts."""
        out: list[tuple[str, object]] = []
        if not self.audio_mode:
            self._end_line(out)
        return out
