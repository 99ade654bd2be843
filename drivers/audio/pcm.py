"""Sample-format conversions to 16-bit signed little-endian PCM, without `audioop`.

`audioop` left the standard library in Python 3.13; these use numpy lookup tables instead.
Voice modems deliver 8-bit unsigned linear PCM (offset binary, 0x80 = silence) or G.711 μ-law;
some deliver A-law. The decoders take raw bytes and return int16 bytes (little-endian); the
encoders and the resampler work the other way round, for greetings played to the line.
"""
from __future__ import annotations

import numpy as np

CODECS = ("u8", "s16le", "ulaw", "alaw")


def _ulaw_table() -> np.ndarray:
    # ITU-T G.711 μ-law expansion: bytes are stored inverted; 4-bit mantissa, 3-bit exponent,
    # bias 0x84 (132). Gives the standard 14-bit range scaled to 16 bits (±32124).
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = code & 0x80
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def _alaw_table() -> np.ndarray:
    # ITU-T G.711 A-law expansion: even bits inverted (XOR 0x55); segment 0 is linear.
    code = np.arange(256, dtype=np.int32) ^ 0x55
    sign = code & 0x80
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = np.where(exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0))
    return np.where(sign != 0, magnitude, -magnitude).astype(np.int16)


ULAW_TO_S16 = _ulaw_table()
ALAW_TO_S16 = _alaw_table()


def u8_to_s16(data: bytes) -> bytes:
    """8-bit unsigned (offset binary) to 16-bit signed: 0x80 -> 0, 0x00 -> -32768, 0xFF -> 32512."""
    a = np.frombuffer(data, dtype=np.uint8).astype(np.int16)
    return ((a - 128) << 8).astype("<i2").tobytes()


def ulaw_to_s16(data: bytes) -> bytes:
    """G.711 μ-law to 16-bit signed little-endian, one table lookup per byte."""
    return ULAW_TO_S16[np.frombuffer(data, dtype=np.uint8)].astype("<i2").tobytes()


def alaw_to_s16(data: bytes) -> bytes:
    """G.711 A-law to 16-bit signed little-endian, one table lookup per byte."""
    return ALAW_TO_S16[np.frombuffer(data, dtype=np.uint8)].astype("<i2").tobytes()


# μ-law encoding by nearest table entry: the code values sorted by the level they expand to.
_ULAW_ORDER = np.argsort(ULAW_TO_S16, kind="stable")
_ULAW_SORTED = ULAW_TO_S16[_ULAW_ORDER].astype(np.int32)


def s16_to_ulaw(data: bytes) -> bytes:
    """16-bit signed to μ-law (greetings played to the line, emulated recordings): the code
    whose expansion is nearest to each sample."""
    samples = np.frombuffer(data[: len(data) & ~1], dtype="<i2").astype(np.int32)
    idx = np.clip(np.searchsorted(_ULAW_SORTED, samples), 1, 255)
    left, right = _ULAW_SORTED[idx - 1], _ULAW_SORTED[idx]
    idx = np.where(samples - left <= right - samples, idx - 1, idx)
    return _ULAW_ORDER[idx].astype(np.uint8).tobytes()


def s16_to_u8(data: bytes) -> bytes:
    """16-bit signed to 8-bit unsigned (offset binary), rounded to the nearest step."""
    samples = np.frombuffer(data[: len(data) & ~1], dtype="<i2").astype(np.int32)
    return np.clip((samples + 32768 + 128) >> 8, 0, 255).astype(np.uint8).tobytes()


def from_s16(data: bytes, codec: str) -> bytes:
    """s16le samples in `codec` (the inverse of to_s16; A-law is not needed by any device)."""
    if codec == "u8":
        return s16_to_u8(data)
    if codec == "ulaw":
        return s16_to_ulaw(data)
    if codec == "s16le":
        return data[: len(data) & ~1]
    raise ValueError(f"cannot encode to audio codec {codec!r} (known: u8, ulaw, s16le)")


# Band-limited resampling: each output sample is the input convolved with a Kaiser-windowed
# sinc centred on its position in the input, so any rate pair works (22050 -> 8000 has no small
# integer ratio). ZERO_CROSSINGS sinc lobes each side; ROLL_OFF keeps the pass band a little
# below the lower Nyquist frequency so that nothing above it aliases into the telephone band.
ZERO_CROSSINGS = 16
ROLL_OFF = 0.94
KAISER_BETA = 8.6
_BLOCK = 8192  # output samples computed at a time (bounds memory for long files)


def resample(data: bytes, rate_in: int, rate_out: int) -> bytes:
    """s16le mono at `rate_in` to s16le mono at `rate_out` (anti-aliased when going down)."""
    if rate_in <= 0 or rate_out <= 0:
        raise ValueError(f"sample rates must be positive (got {rate_in} -> {rate_out})")
    data = data[: len(data) & ~1]
    if rate_in == rate_out or not data:
        return data
    x = np.frombuffer(data, dtype="<i2").astype(np.float64)
    cutoff = min(1.0, rate_out / rate_in) * ROLL_OFF  # in units of the input Nyquist frequency
    half = int(np.ceil(ZERO_CROSSINGS / cutoff))
    n_out = (x.size * rate_out) // rate_in
    step = rate_in / rate_out
    offsets = np.arange(-half + 1, half + 1)
    padded = np.concatenate([np.zeros(half), x, np.zeros(half + 1)])
    out = np.empty(n_out, dtype=np.float64)
    norm = np.i0(KAISER_BETA)
    for start in range(0, n_out, _BLOCK):
        t = np.arange(start, min(n_out, start + _BLOCK)) * step
        base = np.floor(t).astype(np.int64)
        idx = base[:, None] + offsets[None, :]
        dist = t[:, None] - idx
        window = np.i0(KAISER_BETA * np.sqrt(np.clip(1.0 - (dist / half) ** 2, 0.0, 1.0))) / norm
        taps = cutoff * np.sinc(cutoff * dist) * window
        out[start:start + t.size] = np.sum(taps * padded[idx + half], axis=1)
    return np.clip(np.rint(out), -32768, 32767).astype("<i2").tobytes()


def to_s16(data: bytes, codec: str) -> bytes:
    """Convert a whole buffer of `codec` samples to s16le. An odd trailing byte of s16le is dropped."""
    if codec == "u8":
        return u8_to_s16(data)
    if codec == "ulaw":
        return ulaw_to_s16(data)
    if codec == "alaw":
        return alaw_to_s16(data)
    if codec == "s16le":
        return data[: len(data) & ~1]
    raise ValueError(f"unknown audio codec {codec!r} (known: {', '.join(CODECS)})")


def bytes_per_sample(codec: str) -> int:
    """Bytes per sample of `codec` (2 for s16le, 1 otherwise); ValueError for an unknown codec."""
    if codec not in CODECS:
        raise ValueError(f"unknown audio codec {codec!r} (known: {', '.join(CODECS)})")
    return 2 if codec == "s16le" else 1


class StreamConverter:
    """Converts a byte stream chunk by chunk, carrying a split 16-bit sample across chunks."""

    def __init__(self, codec: str) -> None:
        self.codec = codec
        self.width = bytes_per_sample(codec)
        self._carry = b""

    def feed(self, data: bytes) -> bytes:
        """The next chunk as s16le; for s16le input an odd trailing byte is held back for the next call."""
        if self.width == 2:
            data = self._carry + data
            cut = len(data) & ~1
            self._carry = data[cut:]
            return data[:cut]
        return to_s16(data, self.codec)


def levels(pcm: bytes) -> dict[str, float]:
    """Peak, RMS (dBFS) and the share of clipped samples of s16le audio, for plain warnings."""
    a = np.frombuffer(pcm[: len(pcm) & ~1], dtype="<i2").astype(np.float64)
    if a.size == 0:
        return {"peak": 0.0, "rms_dbfs": -120.0, "clipped": 0.0}
    peak = float(np.max(np.abs(a))) / 32768.0
    rms = float(np.sqrt(np.mean(a * a))) / 32768.0
    clipped = float(np.mean(np.abs(a) >= 32000))
    return {"peak": peak, "rms_dbfs": 20 * np.log10(max(rms, 1e-6)), "clipped": clipped}
