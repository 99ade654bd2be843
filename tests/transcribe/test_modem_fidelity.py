"""A message that went through the modem (8 kHz, 8-bit, DLE-shielded on the serial line) gives
the same transcript as the same source audio resampled to 8 kHz and fed to Vosk directly.

"Directly" means in the line's own sample format: 8-bit quantisation is the codec's loss (about
48 dB SNR for linear, 38 dB for μ-law) and, with synthetic speech, the small model's transcript
of 16-bit audio can differ from that of the same audio at 8 bits before any modem is involved.
What this test proves is that the path — DLE shielding on the serial line, the phone service's
recording, the WAV file, the decoding here — adds nothing to that.

The caller's speech is placed on the emulated modem, the phone service answers on a real
pseudo-terminal, records and saves the WAV, and the transcription service picks up its
call.message_recorded event — the whole path of a real call."""
from __future__ import annotations

import subprocess
import time

import pytest

from frontdesk.config import parse
from frontdesk.drivers.audio import pcm
from frontdesk.drivers.audio.wavfile import read_recording, write_wav
from frontdesk.edge.journal import Journal
from frontdesk.edge.services import EdgeContext

from .conftest import MODEL, reference

phone_service = pytest.importorskip("frontdesk.edge.phone.service")
emulator = pytest.importorskip("frontdesk.drivers.modem.emulator")
from frontdesk.drivers.modem.emulator.core import CallSpec  # noqa: E402
from frontdesk.drivers.modem.emulator.scenario import tone  # noqa: E402
from frontdesk.edge.phone.config import PhoneConfig  # noqa: E402
from frontdesk.edge.transcribe.config import TranscribeConfig  # noqa: E402
from frontdesk.edge.transcribe.service import TranscribeService  # noqa: E402

SCALE = 0.05


def _u8_greeting(path, audio: bytes):
    write_wav(path, audio, rate=8000, codec="u8")
    return path


@pytest.mark.parametrize("codec,sox_encoding", [("pcm_u8", ["-b", "8", "-e", "unsigned-integer"]),
                                                ("mulaw", ["-e", "mu-law"])])
def test_modem_path_loses_nothing_but_the_band(tmp_path, speech, codec, sox_encoding):
    # A loud caller (peaks at full scale), so that the 8-bit stream holds 0x10 bytes.
    src = tmp_path / "loud.wav"
    subprocess.run(["sox", "-D", str(speech["leak"]["wav16"]), str(src), "gain", "-n", "0"], check=True)
    # What the caller says, in the line's codec (as the modem hands it over the serial line).
    line_audio = subprocess.run(["sox", "-D", str(src), "-r", "8000", "-c", "1", *sox_encoding, "-t", "raw", "-"],
                                check=True, capture_output=True).stdout
    assert b"\x10" in line_audio  # DLE bytes in the audio: the shielding is exercised
    # The same source resampled to 8 kHz, expanded to 16-bit with the G.711 / offset-binary tables
    # (checked against sox and the ITU reference points in test_audio_formats), fed straight to Vosk.
    direct_8k = pcm.to_s16(line_audio, "u8" if codec == "pcm_u8" else "ulaw")
    expected = reference(direct_8k, 8000)
    assert expected

    emu = emulator.ModemEmulator("usr5637", time_scale=SCALE, link=tmp_path / "ttyModem").start()
    journal = Journal(tmp_path / "journal.db", site="site1", device="edge1", tz="Asia/Shanghai")
    ctx = EdgeContext(journal=journal, site="site1", device="edge1", tz="Asia/Shanghai", country="cn",
                      data_dir=tmp_path / "data")
    phone = phone_service.PhoneService(PhoneConfig(
        device=emu.url, time_scale=SCALE, codec=codec,
        greeting_zh=_u8_greeting(tmp_path / "g_zh.wav", tone(0.4, 500)),
        greeting_en=_u8_greeting(tmp_path / "g_en.wav", tone(0.4, 700)),
        after_hours_greeting_zh=None, after_hours_greeting_en=None, staffed_hours=["00:00-24:00"],
        reconnect_min_s=0.5, reconnect_max_s=5, health_check_s=5, record_max_s=60), ctx)
    transcribe = TranscribeService(parse(TranscribeConfig, {"language": "ko", "models": {"ko": str(MODEL)},
                                                            "poll_s": 0.1}), ctx)
    try:
        transcribe.start()
        phone.start()
        time.sleep(0.5)
        emu.place_call(CallSpec(cadence="cn", message=line_audio, end="l"))
        deadline = time.monotonic() + 90
        got = None
        while time.monotonic() < deadline and got is None:
            for e in journal.events(limit=100000):
                if e["type"] in ("call.transcribed", "transcript.failed"):
                    got = e
            time.sleep(0.1)
        types = [e["type"] for e in journal.events(limit=100000)]
        assert got is not None, f"no transcript; events: {types}"
        assert got["type"] == "call.transcribed", got
        recorded = [e for e in journal.events(limit=100000) if e["type"] == "call.message_recorded"][0]["payload"]
        import hashlib
        assert recorded["sha256"] == hashlib.sha256(line_audio).hexdigest()  # byte-exact recording
        # The recorded file, read back the way the transcription service reads it, decodes to
        # exactly the direct transcript (both are first decodes of a freshly loaded model).
        saved = read_recording(recorded["path"], expect_rate=8000)
        assert saved.rate == 8000 and saved.data == line_audio
        assert reference(pcm.to_s16(saved.data, saved.codec), saved.rate) == expected
        # The service's own transcript was made while the call was streaming in, in the modem's
        # read-sized chunks; Vosk's endpointing can shift a word with the chunking, so it is
        # checked for substance, not letter for letter.
        assert got["payload"]["text"].strip() and got["payload"]["outcome"] == "text"
    finally:
        phone.stop()
        transcribe.stop()
        emu.stop()
        journal.close()
