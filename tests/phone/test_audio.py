"""The line's audio on drivers.audio: greetings of any common WAV layout become 8 kHz line audio
(checked against sox as an independent reference), messages are saved byte for byte, atomically."""
from __future__ import annotations

import os
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from frontdesk.drivers.audio import pcm
from frontdesk.drivers.audio.wavfile import RecordingError, read_recording, write_wav
from frontdesk.edge.phone import audio

needs_sox = pytest.mark.skipif(subprocess.run(["which", "sox"], capture_output=True).returncode != 0,
                               reason="sox not installed")


def _s16(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float64)


def _sine(rate: int, freq: float, seconds: float, amp: float = 12000.0) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype("<i2").tobytes()


def _amplitude_at(samples: np.ndarray, rate: int, freq: float) -> float:
    """Amplitude of one frequency component (a single DFT bin over a whole number of cycles)."""
    t = np.arange(samples.size) / rate
    return 2 * abs(np.mean(samples * np.exp(-2j * np.pi * freq * t)))


@pytest.mark.parametrize("rate_in", [11025, 16000, 22050, 44100, 48000])
def test_resampler_keeps_the_voice_band_and_its_level(rate_in):
    out = _s16(pcm.resample(_sine(rate_in, 1000, 1.0), rate_in, 8000))
    assert abs(out.size - 8000) <= 1
    mid = out[400:-400]  # away from the edges, where the filter sees the zero padding
    assert _amplitude_at(mid, 8000, 1000) == pytest.approx(12000, rel=0.01)


@pytest.mark.parametrize("rate_in,freq", [(22050, 5000), (48000, 6000), (16000, 7000)])
def test_resampler_does_not_fold_high_tones_into_the_band(rate_in, freq):
    # Above the 4 kHz line Nyquist: a naive decimator aliases it to 8000 - freq; this must not.
    out = _s16(pcm.resample(_sine(rate_in, freq, 1.0), rate_in, 8000))[400:-400]
    alias = 8000 - freq
    assert _amplitude_at(out, 8000, alias) < 12000 * 0.01  # at least 40 dB down


def test_resampler_edge_cases():
    assert pcm.resample(b"", 22050, 8000) == b""
    same = _sine(8000, 440, 0.1)
    assert pcm.resample(same, 8000, 8000) == same
    up = _s16(pcm.resample(_sine(8000, 440, 0.5), 8000, 16000))
    assert _amplitude_at(up[800:-800], 16000, 440) == pytest.approx(12000, rel=0.01)
    with pytest.raises(ValueError):
        pcm.resample(same, 0, 8000)


def _write_std_wav(path: Path, rate: int, width: int, channels: int, frames: bytes) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


@needs_sox
@pytest.mark.parametrize("codec,sox_enc", [("pcm_u8", ["-b", "8", "-e", "unsigned-integer"]),
                                           ("mulaw", ["-e", "mu-law"])])
@pytest.mark.parametrize("rate,width,channels", [(22050, 2, 1), (44100, 2, 2), (8000, 1, 1), (16000, 2, 2)])
def test_greeting_matches_sox(tmp_path, codec, sox_enc, rate, width, channels):
    # A voice-like signal: two tones and a little noise, in the WAV layout under test.
    n = rate * 1
    t = np.arange(n) / rate
    rng = np.random.default_rng(7)
    sig = 8000 * np.sin(2 * np.pi * 440 * t) + 4000 * np.sin(2 * np.pi * 1230 * t) + 300 * rng.standard_normal(n)
    s16 = sig.astype("<i2")
    if channels == 2:
        s16 = np.repeat(s16, 2)
    frames = s16.tobytes() if width == 2 else pcm.s16_to_u8(s16.tobytes())
    src = _write_std_wav(tmp_path / "greeting.wav", rate, width, channels, frames)
    ours = audio.load_wav(src, codec)
    ref = subprocess.run(["sox", "-D", str(src), "-r", "8000", "-c", "1", *sox_enc, "-t", "raw", "-"],
                         check=True, capture_output=True).stdout
    assert abs(len(ours) - len(ref)) <= 2
    m = min(len(ours), len(ref))
    a = _s16(pcm.to_s16(ours[:m], audio.LINE_CODECS[codec]))[200:-200]
    b = _s16(pcm.to_s16(ref[:m], audio.LINE_CODECS[codec]))[200:-200]
    # Same waveform as sox's conversion, to within the 8-bit codec's own noise.
    assert np.corrcoef(a, b)[0, 1] > 0.995
    assert np.sqrt(np.mean((a - b) ** 2)) < 0.03 * np.sqrt(np.mean(b ** 2))


def test_bad_greetings_say_why(tmp_path):
    not_wav = tmp_path / "greeting.mp3"
    not_wav.write_bytes(b"ID3\x03\x00" + bytes(200))
    with pytest.raises(RecordingError, match="not a WAV"):
        audio.load_wav(not_wav, "pcm_u8")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(RecordingError, match="empty"):
        audio.load_wav(empty, "pcm_u8")
    with pytest.raises(RecordingError, match="missing"):
        audio.load_wav(tmp_path / "nope.wav", "pcm_u8")
    with pytest.raises(ValueError, match="line codec"):
        audio.load_wav(_write_std_wav(tmp_path / "ok.wav", 8000, 2, 1, _sine(8000, 440, 0.1)), "gsm")


@pytest.mark.parametrize("codec,tag", [("pcm_u8", "u8"), ("mulaw", "ulaw")])
def test_message_file_is_byte_exact_and_readable_by_others(tmp_path, codec, tag):
    # Every byte value, 0x10 (DLE) included, and an odd length (the RIFF pad byte).
    msg = bytes(range(256)) * 31 + b"\x10"
    path = tmp_path / "rec" / "day" / "call.wav"
    digest = audio.write_message(path, msg, codec)
    import hashlib
    assert digest == hashlib.sha256(msg).hexdigest()
    rec = read_recording(path)
    assert rec.data == msg and rec.codec == tag and rec.rate == 8000 and not rec.truncated
    assert not list(path.parent.glob("*.part"))  # the temporary file was renamed, not left behind
    if tag == "u8":
        with wave.open(str(path), "rb") as w:  # the standard library reads it too
            assert w.readframes(w.getnframes()) == msg
    if subprocess.run(["which", "soxi"], capture_output=True).returncode == 0:
        def soxi(flag: str) -> str:
            return subprocess.run(["soxi", flag, str(path)], check=True, capture_output=True, text=True).stdout.strip()
        assert soxi("-r") == "8000" and soxi("-s") == str(len(msg))
        assert soxi("-e") == ("Unsigned Integer PCM" if tag == "u8" else "u-law")


def test_message_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "call.wav"
    audio.write_message(path, b"\x80" * 800, "pcm_u8")
    before = path.read_bytes()

    def no_space(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError):
        audio.write_message(path, b"\x81" * 1600, "pcm_u8")
    assert path.read_bytes() == before  # the old file is whole, never half-replaced


def test_beep_and_silence_in_line_codecs():
    for codec, tag in audio.LINE_CODECS.items():
        tone = _s16(pcm.to_s16(audio.beep(codec), tag))
        assert tone.size == int(0.4 * 8000)
        assert _amplitude_at(tone, 8000, 1000) == pytest.approx(9000, rel=0.05)
        quiet = pcm.to_s16(audio.silence(codec, 0.5), tag)
        assert len(quiet) == 8000 and not any(_s16(quiet))


def test_wav_writer_keeps_fact_chunk_right_for_mulaw(tmp_path):
    from frontdesk.drivers.audio.wavfile import WavWriter
    w = WavWriter(tmp_path / "m.wav", rate=8000, codec="ulaw")
    w.write(b"\x10\xff" * 500)
    w.write(b"\x7f")
    w.close()
    raw = (tmp_path / "m.wav").read_bytes()
    i = raw.index(b"fact")
    assert int.from_bytes(raw[i + 8:i + 12], "little") == 1001
    rec = read_recording(tmp_path / "m.wav")
    assert rec.data == b"\x10\xff" * 500 + b"\x7f" and rec.codec == "ulaw"
    write_wav(tmp_path / "n.wav", b"\x00" * 3, rate=8000, codec="alaw")
    assert read_recording(tmp_path / "n.wav").data == b"\x00" * 3
