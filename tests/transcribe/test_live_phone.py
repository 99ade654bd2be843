"""A real phone call, streamed: the emulated modem on a pty in real time, the phone service
answering and recording, the transcription service with the real Korean Vosk model fed while the
caller speaks — the transcript is in the journal within about a second of the caller hanging up.

And when the recogniser dies mid-message, the call still gets its transcript, once, from the
WAV file the phone service saved."""
from __future__ import annotations

import difflib
import os
import signal
import subprocess
import time

import pytest

from frontdesk.config import parse
from frontdesk.drivers.audio import pcm
from frontdesk.drivers.audio.wavfile import write_wav
from frontdesk.edge.journal import Journal
from frontdesk.edge.services import EdgeContext

from .conftest import MODEL, reference

phone_service = pytest.importorskip("frontdesk.edge.phone.service")
from frontdesk.drivers.modem.emulator import CallSpec, ModemEmulator  # noqa: E402
from frontdesk.drivers.modem.emulator.scenario import tone  # noqa: E402
from frontdesk.edge.phone.config import PhoneConfig  # noqa: E402
from frontdesk.edge.transcribe.config import TranscribeConfig  # noqa: E402
from frontdesk.edge.transcribe.service import TranscribeService  # noqa: E402

LATENCY_S = 1.5


def _u8_wav(path, audio: bytes):
    write_wav(path, audio, rate=8000, codec="u8")
    return path


def _line_audio(speech, keys=("leak", "elevator")) -> bytes:
    """What the caller says, 8 kHz unsigned 8-bit as the modem sends it, with short pauses."""
    parts = []
    for k in keys:
        parts.append(subprocess.run(["sox", "-D", str(speech[k]["wav16"]), "-r", "8000", "-c", "1", "-b", "8",
                                     "-e", "unsigned-integer", "-t", "raw", "-"], check=True,
                                    capture_output=True).stdout)
    pause = b"\x80" * 2400
    return pause.join(parts) + pause


class RealTimeLine:
    """Modem emulator in real time (time_scale 1), phone and transcription services, one journal."""

    def __init__(self, tmp) -> None:
        self.emu = ModemEmulator("usr5637", time_scale=1.0, link=tmp / "ttyModem").start()
        self.journal = Journal(tmp / "journal.db", site="site1", device="desk1", tz="Asia/Shanghai")
        self.ctx = EdgeContext(journal=self.journal, site="site1", device="desk1", tz="Asia/Shanghai",
                               country="cn", data_dir=tmp / "data")
        self.transcribe = TranscribeService(parse(TranscribeConfig, {
            "language": "ko", "models": {"ko": str(MODEL)}, "poll_s": 0.1, "restart_backoff_s": 0.1}), self.ctx)
        self.phone = phone_service.PhoneService(PhoneConfig(
            device=self.emu.url, time_scale=1.0, codec="pcm_u8", answer_ring=1, cadence="cn",
            greeting_zh=_u8_wav(tmp / "g_zh.wav", tone(0.2, 500)),
            greeting_en=_u8_wav(tmp / "g_en.wav", tone(0.2, 700)),
            after_hours_greeting_zh=None, after_hours_greeting_en=None, staffed_hours=["00:00-24:00"],
            record_max_s=60, health_check_s=60), self.ctx)
        self.streams = []
        opener = self.transcribe.open_live

        def open_live(**kw):  # the real service's stream, kept so the test can look at it after the call
            s = opener(**kw)
            self.streams.append(s)
            return s
        self.transcribe.open_live = open_live
        self.transcribe.start()
        self.phone.start()
        self.transcribe.recogniser.ensure_started()  # the model is loaded before the desk opens

    def events(self, *types):
        return [e for e in self.journal.events(limit=100000) if not types or e["type"] in types]

    def wait_transcript(self, timeout: float = 90) -> tuple[float, dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.events("call.transcribed", "transcript.failed")
            if found:
                return time.monotonic(), found[0]
            with self.journal.appended:
                self.journal.appended.wait(0.01)
        raise AssertionError(f"no transcript; events: {[e['type'] for e in self.events()]}")

    def close(self) -> None:
        self.phone.stop()
        self.transcribe.stop()
        self.emu.stop()
        self.journal.close()


@pytest.fixture
def line(tmp_path):
    made = []

    def make():
        made.append(RealTimeLine(tmp_path))
        return made[-1]
    yield make
    for x in made:
        x.close()


def test_transcript_within_a_second_and_a_half_of_hang_up(line, speech):
    msg = _line_audio(speech)
    expected = reference(pcm.to_s16(msg, "u8"), 8000)
    assert expected
    ln = line()
    rec = ln.emu.place_call(CallSpec(cadence="cn", cid_position="before", message=msg, end="l"))
    seen, got = ln.wait_transcript()
    assert got["type"] == "call.transcribed", got["payload"]
    latency = seen - rec.hung_up_at
    assert 0 < latency <= LATENCY_S, f"transcript {latency:.2f} s after hang-up"
    recorded = ln.events("call.message_recorded")[0]["payload"]
    assert got["payload"]["call_id"] == recorded["call_id"] and got["payload"]["recording"] == recorded["path"]
    # Fed in the modem's read-sized chunks while the caller spoke, the recogniser may place a word
    # boundary differently than when it is given the whole message at once (Vosk's endpointing
    # follows the chunks), so the live text is compared for substance, not letter for letter.
    assert difflib.SequenceMatcher(None, got["payload"]["text"], expected).ratio() >= 0.5, (got, expected)
    # It came from the stream fed during the call, with every byte the modem delivered.
    (stream,) = ln.streams
    assert stream.result.done() and stream.result.result()["text"] == got["payload"]["text"]
    assert stream._session.fed_bytes == 2 * len(msg) == 2 * recorded["bytes"]
    time.sleep(0.5)
    assert len(ln.events("call.transcribed", "transcript.failed")) == 1  # once


def test_recogniser_killed_mid_message_file_is_transcribed_once(line, speech):
    msg = _line_audio(speech)
    expected = reference(pcm.to_s16(msg, "u8"), 8000)
    ln = line()
    rec = ln.emu.place_call(CallSpec(cadence="cn", cid_position="before", message=msg, end="l"))
    deadline = time.monotonic() + 30
    while len(rec.source) < 8000 and time.monotonic() < deadline:  # a second into the message
        time.sleep(0.02)
    assert len(rec.source) >= 8000
    os.kill(ln.transcribe.recogniser.pid, signal.SIGKILL)
    _, got = ln.wait_transcript()
    assert got["type"] == "call.transcribed", got["payload"]
    # The restarted recogniser read the WAV the phone service saved: a fresh model's first decode.
    assert got["payload"]["text"] == expected
    (stream,) = ln.streams
    assert stream.result.exception() is not None  # the live stream died with the worker
    time.sleep(1.0)
    assert len(ln.events("call.transcribed", "transcript.failed")) == 1
