"""Modem sample formats decoded without audioop, checked against sox; recordings read with
plain errors for every kind of bad file."""
from __future__ import annotations

import struct
import subprocess

import numpy as np
import pytest

from frontdesk.drivers.audio import pcm
from frontdesk.drivers.audio.wavfile import RecordingError, WavWriter, read_recording, write_wav

from .conftest import sox_s16


def _all_bytes_wav(tmp_path, encoding: str, name: str):
    # Every possible byte value, as sox writes it in a WAV of that encoding.
    raw = tmp_path / f"{name}.raw"
    raw.write_bytes(bytes(range(256)) * 4)
    wav = tmp_path / f"{name}.wav"
    subprocess.run(["sox", "-t", "raw", "-r", "8000", "-c", "1", "-b", "8", "-e", encoding, str(raw), str(wav)],
                   check=True)
    return raw.read_bytes(), wav


@pytest.mark.parametrize("encoding,codec", [("mu-law", "ulaw"), ("a-law", "alaw"), ("unsigned-integer", "u8")])
def test_decoders_match_sox_for_every_byte(tmp_path, encoding, codec):
    data, wav = _all_bytes_wav(tmp_path, encoding, codec)
    ours = np.frombuffer(pcm.to_s16(data, codec), "<i2").astype(int)
    theirs = np.frombuffer(sox_s16(wav), "<i2").astype(int)
    assert ours.shape == theirs.shape
    # sox scales G.711 to the full 16-bit range in the same way; allow its rounding of the low bits.
    assert np.max(np.abs(ours - theirs)) <= 4, list(zip(ours[:8], theirs[:8], strict=True))


def test_g711_reference_points():
    u = np.frombuffer(pcm.ulaw_to_s16(bytes([0x00, 0x7F, 0x80, 0xFF])), "<i2").tolist()
    assert u == [-32124, 0, 32124, 0]
    a = np.frombuffer(pcm.alaw_to_s16(bytes([0xD5, 0x55, 0xAA, 0x2A])), "<i2").tolist()
    assert a == [8, -8, 32256, -32256]
    assert np.frombuffer(pcm.u8_to_s16(bytes([0x80, 0x00, 0xFF])), "<i2").tolist() == [0, -32768, 32512]


def test_stream_converter_keeps_split_samples():
    data = np.arange(-500, 500, dtype="<i2").tobytes()
    conv = pcm.StreamConverter("s16le")
    out = b"".join(conv.feed(data[i:i + 7]) for i in range(0, len(data), 7))
    assert out == data


def test_reads_ulaw_and_u8_recordings(tmp_path, speech):
    for codec in ("u8", "ulaw"):
        rec = read_recording(speech["leak"][codec], expect_rate=8000, expect_codec=codec)
        assert (rec.codec, rec.rate, rec.truncated, rec.notes) == (codec, 8000, False, [])
        ours = np.frombuffer(rec.mono_s16(), "<i2").astype(int)
        theirs = np.frombuffer(sox_s16(speech["leak"][codec]), "<i2").astype(int)
        assert np.max(np.abs(ours - theirs)) <= 4


def test_empty_file(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    with pytest.raises(RecordingError, match="empty"):
        read_recording(p)


def test_not_a_wav(tmp_path):
    p = tmp_path / "msg.wav"
    p.write_bytes(b"ID3\x03\x00" + bytes(2000))
    with pytest.raises(RecordingError, match="not a WAV file"):
        read_recording(p)


def test_missing_file(tmp_path):
    with pytest.raises(RecordingError, match="missing"):
        read_recording(tmp_path / "nope.wav")


def test_truncated_inside_header(tmp_path, speech):
    p = tmp_path / "cut.wav"
    p.write_bytes(speech["leak"]["u8"].read_bytes()[:30])
    with pytest.raises(RecordingError, match="truncated"):
        read_recording(p)


def test_truncated_audio_is_used_and_said(tmp_path, speech):
    whole = speech["leak"]["u8"].read_bytes()
    p = tmp_path / "cut.wav"
    p.write_bytes(whole[: len(whole) // 2])
    rec = read_recording(p)
    assert rec.truncated and "truncated" in rec.notes[0]
    assert 0 < rec.frames < (len(whole) - 44)


def test_header_never_finalised(tmp_path):
    p = tmp_path / "crashed.wav"
    write_wav(p, b"\x80" * 8000, rate=8000, codec="u8")
    raw = bytearray(p.read_bytes())
    raw[40:44] = struct.pack("<I", 0)  # what a recorder leaves before its first header update
    p.write_bytes(bytes(raw))
    rec = read_recording(p)
    assert rec.truncated and rec.frames == 8000 and "never finalised" in rec.notes[0]


def test_no_samples(tmp_path):
    p = tmp_path / "zero.wav"
    write_wav(p, b"", rate=8000, codec="u8")
    with pytest.raises(RecordingError, match="no audio"):
        read_recording(p)


def test_wrong_rate(tmp_path):
    low = tmp_path / "low.wav"
    write_wav(low, b"\0\0" * 4000, rate=4000)
    with pytest.raises(RecordingError, match="unsupported sample rate 4000"):
        read_recording(low)
    other = tmp_path / "cd.wav"
    write_wav(other, b"\0\0" * 4410, rate=44100)
    rec = read_recording(other, expect_rate=8000, expect_codec="u8")
    assert rec.rate == 44100 and any("44100 Hz" in n for n in rec.notes)


def test_unsupported_sample_format(tmp_path):
    p = tmp_path / "f32.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-e", "floating-point", "-b", "32", str(p), "trim", "0", "0.1"],
                   check=True)
    with pytest.raises(RecordingError, match="unsupported WAV sample format: float"):
        read_recording(p)


def test_wav_writer_header_valid_after_every_write(tmp_path):
    p = tmp_path / "live.wav"
    w = WavWriter(p, rate=16000)
    w.write(b"\1\0" * 100)
    # Another process reading mid-recording sees a consistent file.
    assert read_recording(p).frames == 100
    w.write(b"\2\0" * 50)
    w.close()
    rec = read_recording(p)
    assert rec.frames == 150 and not rec.truncated
