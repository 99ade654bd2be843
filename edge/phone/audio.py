"""Audio for the line: greetings converted to the modem's codec, the record tone, WAV files."""
from __future__ import annotations

import hashlib
import math
import os
import struct
import wave
from pathlib import Path

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    # stdlib up to 3.12; on 3.13+ the audioop-lts package provides the same module name.
    import audioop

RATE = 8000
WAV_FORMAT = {"pcm_u8": 1, "mulaw": 7}


def load_wav(path: Path, codec: str) -> bytes:
    """Any PCM WAV (rate, width, channels) as 8 kHz mono audio in `codec`."""
    with wave.open(str(path), "rb") as w:
        width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
        frames = w.readframes(w.getnframes())
    if width == 1:
        frames = audioop.bias(frames, 1, -128)  # WAV 8-bit is unsigned; audioop works signed
    if channels == 2:
        frames = audioop.tomono(frames, width, 0.5, 0.5)
    if width != 2:
        frames = audioop.lin2lin(frames, width, 2)
    if rate != RATE:
        frames, _ = audioop.ratecv(frames, 2, 1, rate, RATE, None)
    return from_linear16(frames, codec)


def from_linear16(frames: bytes, codec: str) -> bytes:
    if codec == "mulaw":
        return audioop.lin2ulaw(frames, 2)
    return audioop.bias(audioop.lin2lin(frames, 2, 1), 1, 128)


def beep(codec: str, seconds: float = 0.4, freq: float = 1000.0) -> bytes:
    n = int(seconds * RATE)
    pcm = b"".join(struct.pack("<h", int(9000 * math.sin(2 * math.pi * freq * i / RATE))) for i in range(n))
    return from_linear16(pcm, codec)


def silence(codec: str, seconds: float) -> bytes:
    return bytes([0xFF if codec == "mulaw" else 0x80]) * int(seconds * RATE)


def write_wav(path: Path, audio: bytes, codec: str) -> str:
    """Write atomically (temp file, fsync, rename) and return the audio's sha256.

    The data chunk is exactly the audio the modem sent (8-bit unsigned PCM or G.711 mu-law), so the
    file can be compared byte for byte with the line.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = WAV_FORMAT[codec]
    bits = 8
    # mu-law needs the extended fmt chunk (cbSize = 0) and a fact chunk.
    fmt_chunk = struct.pack("<HHIIHH", fmt, 1, RATE, RATE, 1, bits) + (b"\x00\x00" if fmt != 1 else b"")
    chunks = b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk
    if fmt != 1:
        chunks += b"fact" + struct.pack("<II", 4, len(audio))
    pad = b"\x00" if len(audio) % 2 else b""
    chunks += b"data" + struct.pack("<I", len(audio)) + audio + pad
    body = b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks
    tmp = path.with_suffix(".wav.part")
    with open(tmp, "wb") as f:
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return hashlib.sha256(audio).hexdigest()


def read_wav_data(path: Path) -> tuple[int, bytes]:
    """(format tag, data chunk) of a WAV written by write_wav (or any simple RIFF WAV)."""
    raw = Path(path).read_bytes()
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a WAV file")
    i, fmt, data = 12, None, None
    while i + 8 <= len(raw):
        cid, size = raw[i:i + 4], struct.unpack("<I", raw[i + 4:i + 8])[0]
        if cid == b"fmt ":
            fmt = struct.unpack("<H", raw[i + 8:i + 10])[0]
        elif cid == b"data":
            data = raw[i + 8:i + 8 + size]
        i += 8 + size + (size & 1)
    if fmt is None or data is None:
        raise ValueError(f"{path}: no fmt or data chunk")
    return fmt, data
