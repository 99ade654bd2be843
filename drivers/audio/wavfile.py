"""Reading recordings as the modem or the microphone left them, with plain errors.

The standard `wave` module reads only integer PCM and gives up on a header a recorder never
finished; recordings from a modem can be μ-law (format tag 7) or A-law (6), and a recorder that
was killed leaves the RIFF and data sizes at their placeholder (0) or larger than the file.
This reader accepts those, says what it found, and refuses what is not a usable recording.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from . import pcm

# Below 8 kHz the telephone band is already lost; above 48 kHz is not a voice recording.
MIN_RATE, MAX_RATE = 8000, 48000

_FORMATS = {1: "pcm", 3: "float", 6: "alaw", 7: "ulaw", 0xFFFE: "extensible"}


class RecordingError(ValueError):
    """A recording that cannot be transcribed; str() says why in words for the call record."""


@dataclass
class Recording:
    """A recording as read from a WAV file: the stored samples and what the header said about them."""

    path: Path
    codec: str                 # u8 | s16le | ulaw | alaw
    rate: int
    channels: int
    data: bytes                # the samples as stored (all channels interleaved)
    truncated: bool = False    # header promised more (or never said how much) than the file holds
    notes: list[str] = field(default_factory=list)

    @property
    def frames(self) -> int:
        """Number of sample frames (one sample per channel) in `data`."""
        return len(self.data) // (pcm.bytes_per_sample(self.codec) * self.channels)

    @property
    def duration_s(self) -> float:
        """Length in seconds (frames / rate)."""
        return self.frames / self.rate

    def mono_s16(self) -> bytes:
        """Samples as s16le mono (channels averaged)."""
        out = pcm.to_s16(self.data, self.codec)
        if self.channels > 1:
            import numpy as np
            a = np.frombuffer(out, dtype="<i2")
            a = a[: a.size - a.size % self.channels].reshape(-1, self.channels).mean(axis=1)
            out = a.astype("<i2").tobytes()
        return out


def _codec_of(tag: int, bits: int, ext_sub: int | None) -> str:
    if tag == 0xFFFE and ext_sub is not None:
        tag = ext_sub
    if tag == 1 and bits == 8:
        return "u8"
    if tag == 1 and bits == 16:
        return "s16le"
    if tag == 7 and bits == 8:
        return "ulaw"
    if tag == 6 and bits == 8:
        return "alaw"
    name = _FORMATS.get(tag, f"format tag {tag}")
    raise RecordingError(f"unsupported WAV sample format: {name}, {bits}-bit "
                         "(expected 8-bit linear, 16-bit linear, μ-law or A-law)")


def parse_header(head: bytes, file_size: int,
                 path: Path | str = "<recording>") -> tuple[str, int, int, int, int | None]:
    """(codec, rate, channels, data_offset, declared_data_size) from the start of a WAV file."""
    if file_size == 0:
        raise RecordingError("recording file is empty (0 bytes)")
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
        if len(head) < 12 and head[:4] == b"RIFF"[: len(head[:4])]:
            raise RecordingError(f"recording is truncated inside the WAV header ({file_size} bytes)")
        raise RecordingError(f"not a WAV file (starts with {head[:8]!r})")
    if head[:4] == b"RIFX":
        raise RecordingError("big-endian WAV (RIFX) is not supported")
    pos, fmt = 12, None
    while pos + 8 <= len(head):
        cid, size = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        body = pos + 8
        if cid == b"fmt ":
            if size < 16 or body + 16 > len(head):
                raise RecordingError("recording is truncated inside the WAV format chunk")
            tag, channels, rate, _brate, _align, bits = struct.unpack("<HHIIHH", head[body:body + 16])
            ext_sub = None
            if tag == 0xFFFE and size >= 40 and body + 26 <= len(head):
                ext_sub = struct.unpack("<H", head[body + 24:body + 26])[0]
            fmt = (_codec_of(tag, bits, ext_sub), rate, channels)
        elif cid == b"data":
            if fmt is None:
                raise RecordingError("WAV data chunk comes before its format chunk")
            codec, rate, channels = fmt
            if channels < 1:
                raise RecordingError("WAV header says 0 channels")
            if not MIN_RATE <= rate <= MAX_RATE:
                raise RecordingError(f"unsupported sample rate {rate} Hz (need {MIN_RATE}-{MAX_RATE} Hz)")
            # 0 and 0xFFFFFFFF are the placeholders recorders write before they know the length.
            declared = None if size in (0, 0xFFFFFFFF) else size
            return codec, rate, channels, body, declared
        pos = body + size + (size & 1)
    if fmt is None:
        raise RecordingError("recording is truncated: no WAV format chunk")
    raise RecordingError("recording is truncated: no WAV data chunk")


def read_recording(path: str | Path, *, expect_rate: int | None = None, expect_codec: str | None = None) -> Recording:
    """Read a whole recording; RecordingError for anything that cannot be used.

    A file without a RIFF header but with a known codec from the modem (`expect_codec`) and
    rate is read as raw samples: some attendants save the modem stream as it came (.ul, .u8).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RecordingError(f"recording file is missing: {path}") from None
    except OSError as err:
        raise RecordingError(f"recording file cannot be read: {path}: {err.strerror}") from None
    notes: list[str] = []
    headerless = path.suffix.lower() in (".raw", ".ul", ".u8", ".al", ".pcm")
    declared: int | None
    if raw[:4] != b"RIFF" and expect_codec and expect_rate and headerless:
        codec, rate, channels, offset, declared = expect_codec, expect_rate, 1, 0, len(raw)
    else:
        codec, rate, channels, offset, declared = parse_header(raw[:4096], len(raw), path)
    data = raw[offset:]
    truncated = False
    if declared is None:
        truncated = True
        notes.append("WAV header was never finalised (recorder stopped early); used the audio present")
    elif declared > len(data):
        truncated = True
        notes.append(f"recording is truncated: header says {declared} bytes of audio, file holds {len(data)}")
    else:
        data = data[:declared]
    width = pcm.bytes_per_sample(codec) * channels
    data = data[: len(data) - len(data) % width]
    if not data:
        raise RecordingError("recording holds no audio (0 samples)" + (" and is truncated" if truncated else ""))
    if expect_rate and expect_rate != rate:
        notes.append(f"sample rate is {rate} Hz, not the {expect_rate} Hz the modem was set to; used {rate} Hz")
    if expect_codec and expect_codec != codec:
        notes.append(f"sample format is {codec}, not the {expect_codec} the modem was set to; used {codec}")
    return Recording(path, codec, rate, channels, data, truncated, notes)


def _header(data_size: int, *, rate: int, codec: str, channels: int) -> bytes:
    """RIFF/WAVE header up to the data chunk's size field, for `data_size` bytes of audio.

    μ-law and A-law take the extended fmt chunk (cbSize = 0) and a fact chunk (sample count),
    as the WAVE specification asks of every non-PCM format."""
    tag, bits = {"u8": (1, 8), "s16le": (1, 16), "ulaw": (7, 8), "alaw": (6, 8)}[codec]
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits) + (b"\0\0" if tag != 1 else b"")
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    if tag != 1:
        chunks += b"fact" + struct.pack("<II", 4, data_size // align)
    riff = 4 + len(chunks) + 8 + data_size + (data_size & 1)
    return b"RIFF" + struct.pack("<I", riff) + b"WAVE" + chunks + b"data" + struct.pack("<I", data_size)


def write_wav(path: str | Path, data: bytes, *, rate: int, codec: str = "s16le", channels: int = 1) -> None:
    """Write a WAV file (PCM, μ-law or A-law) in one go, atomically and durably.

    The data chunk is `data` exactly as given (a modem recording stays byte for byte what the
    line sent). The file appears complete or not at all: written to a temporary name, fsynced,
    renamed over `path`, and the directory fsynced so the rename survives a power cut."""
    path = Path(path)
    body = _header(len(data), rate=rate, codec=codec, channels=channels) + data + (b"\0" if len(data) & 1 else b"")
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as f:
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    try:
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems cannot fsync a directory; the file itself is synced
        pass
    finally:
        os.close(fd)


class WavWriter:
    """Append-as-you-go WAV writer whose header is right after every write (survives a crash)."""

    def __init__(self, path: str | Path, *, rate: int, codec: str = "s16le") -> None:
        self.path = Path(path)
        self.rate, self.codec = rate, codec
        head = _header(0, rate=rate, codec=codec, channels=1)
        # Offsets of the size fields to keep right: RIFF size, fact sample count, data size.
        self._fact = head.find(b"fact") + 8 if b"fact" in head else None
        self._width = pcm.bytes_per_sample(codec)
        write_wav(self.path, b"", rate=rate, codec=codec)
        self._f = open(self.path, "r+b")  # noqa: SIM115 - held across write() calls until close()
        self._size = 0
        self._header = len(head)

    def write(self, data: bytes) -> None:
        """Append samples (already in the writer's codec) and rewrite the size fields, so the file is
        valid after every call."""
        self._f.seek(self._header + self._size)
        self._f.write(data)
        self._size += len(data)
        self._f.seek(4)
        self._f.write(struct.pack("<I", self._header - 8 + self._size))
        if self._fact is not None:
            self._f.seek(self._fact)
            self._f.write(struct.pack("<I", self._size // self._width))
        self._f.seek(self._header - 4)
        self._f.write(struct.pack("<I", self._size))

    def close(self) -> None:
        """Flush, fsync and close the file; safe to call more than once."""
        if not self._f.closed:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
