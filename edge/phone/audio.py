"""Audio for the line: greetings converted to the modem's codec, the record tone, message files.

Sample conversions, resampling and WAV files come from frontdesk.drivers.audio (numpy, no
`audioop`, which left the standard library in Python 3.13); this module only knows the line's
two codecs and what the attendant plays and keeps.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from frontdesk.drivers.audio import pcm
from frontdesk.drivers.audio.wavfile import read_recording, write_wav

RATE = 8000
# The phone configuration's codec names and drivers.audio's names for the same sample formats.
LINE_CODECS = {"pcm_u8": "u8", "mulaw": "ulaw"}


def _codec(codec: str) -> str:
    try:
        return LINE_CODECS[codec]
    except KeyError:
        raise ValueError(f"unknown line codec {codec!r} (known: {', '.join(LINE_CODECS)})") from None


def load_wav(path: Path, codec: str) -> bytes:
    """A WAV greeting (8-bit or 16-bit PCM, μ-law or A-law; mono or stereo; 8-48 kHz) as 8 kHz
    mono audio in the line `codec`. Raises drivers.audio.wavfile.RecordingError (a ValueError)
    saying what is wrong with a file that cannot be used."""
    rec = read_recording(path)
    return from_linear16(pcm.resample(rec.mono_s16(), rec.rate, RATE), codec)


def from_linear16(frames: bytes, codec: str) -> bytes:
    """16-bit signed PCM (already 8 kHz mono) in the line `codec`; raises ValueError for an unknown codec."""
    return pcm.from_s16(frames, _codec(codec))


def beep(codec: str, seconds: float = 0.4, freq: float = 1000.0) -> bytes:
    """A sine tone in the line `codec` (by default the record tone: 0.4 s at 1 kHz)."""
    t = np.arange(int(seconds * RATE)) / RATE
    return from_linear16((9000 * np.sin(2 * np.pi * freq * t)).astype("<i2").tobytes(), codec)


def silence(codec: str, seconds: float) -> bytes:
    """`seconds` of silence at 8 kHz in the line `codec` (its zero level: 0xFF μ-law, 0x80 pcm_u8)."""
    return bytes([0xFF if codec == "mulaw" else 0x80]) * int(seconds * RATE)


def write_message(path: Path, audio: bytes, codec: str) -> str:
    """Save a caller's message and return the audio's sha256.

    The data chunk is exactly the audio the modem sent (8-bit unsigned PCM or G.711 μ-law), so
    the file can be compared byte for byte with the line; the write is atomic and fsynced
    (drivers.audio.wavfile.write_wav), so a crash leaves the whole file or none of it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wav(path, audio, rate=RATE, codec=_codec(codec))
    return hashlib.sha256(audio).hexdigest()
