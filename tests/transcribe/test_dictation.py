"""Push-to-talk dictation through PortAudio for real: a private PulseAudio server with a null
sink whose monitor is the default source, fed by paplay, captured via ALSA's `pulse` device."""
from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import time

import pytest

from frontdesk.drivers.audio.microphone import MicrophoneError, open_microphone
from frontdesk.drivers.audio.wavfile import read_recording
from frontdesk.drivers.device import DeviceURLError
from frontdesk.schema.call import CallAnswered, CallEnded

from .conftest import MODEL, reference

pytestmark = pytest.mark.skipif(not shutil.which("pulseaudio") or not shutil.which("paplay"),
                                reason="needs Debian pulseaudio and pulseaudio-utils")


@pytest.fixture
def pulse(tmp_path, monkeypatch):
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(home)}
    socket = runtime / "pulse" / "native"
    # -n: no default.pa (no hardware probing); the null sink is the "headset", its monitor the mic.
    # As root PulseAudio warns but runs in per-user mode with its own runtime dir.
    proc = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "--disallow-exit",
         "--log-target=stderr", "--log-level=error",
         "--load=module-native-protocol-unix auth-anonymous=1",
         "--load=module-null-sink sink_name=desk rate=16000 channels=1",
         "--load=module-always-sink"], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while not socket.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"pulseaudio did not start: {proc.stderr.read().decode(errors='replace')[-500:]}")
            time.sleep(0.05)
        server = f"unix:{socket}"
        for cmd in (["pactl", "--server", server, "set-default-sink", "desk"],
                    ["pactl", "--server", server, "set-default-source", "desk.monitor"]):
            subprocess.run(cmd, check=True, env=env)
        monkeypatch.setenv("PULSE_SERVER", server)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def play(server: str, wav) -> None:
    subprocess.run(["paplay", "--server", server, str(wav)], check=True)


def test_dictation_attached_to_current_call(pulse, make_edge, speech):
    edge = make_edge({"dictation": {"microphone": "portaudio:pulse", "rate": 16000}})
    edge.service.recogniser.ensure_started()
    edge.journal.record(CallAnswered(call_id="call-42", by="staff", ring=2))
    job = edge.service.start_dictation(author="desk-a")
    time.sleep(0.2)
    play(pulse, speech["leak"]["wav16"])
    time.sleep(0.3)
    assert edge.service.stop_dictation() == job
    got = edge.result_for(job, 60)
    assert got["type"] == "note.transcribed", got
    p = got["payload"]
    assert (p["call_id"], p["author"], p["language"]) == ("call-42", "desk-a", "ko")
    # The note's WAV is kept, and its transcript is what Vosk hears in that audio (streamed while
    # the key was held, so word boundaries may fall differently than for the whole file at once).
    rec = read_recording(p["recording"])
    assert rec.rate == 16000 and rec.duration_s >= 2.0
    assert p["text"] and difflib.SequenceMatcher(None, p["text"], reference(rec.mono_s16(), 16000)).ratio() >= 0.5


def test_dictation_to_ticket_after_call_ended(pulse, make_edge, speech):
    edge = make_edge({"dictation": {"microphone": "portaudio:pulse"}})
    edge.journal.record(CallAnswered(call_id="call-1", by="staff", ring=1))
    edge.journal.record(CallEnded(call_id="call-1", outcome="answered_by_staff", rings=1, reason="hangup",
                                  duration_s=30))
    assert edge.service.current_call() is None
    job = edge.service.start_dictation(ticket_id="T-7")
    play(pulse, speech["hello"]["wav16"])
    edge.service.stop_dictation()
    p = edge.result_for(job, 60)["payload"]
    assert (p["ticket_id"], p["call_id"]) == ("T-7", None) and p["text"]


def test_unknown_microphone_is_a_plain_error(pulse, make_edge):
    edge = make_edge({"dictation": {"microphone": "portaudio:No Such Headset"}})
    with pytest.raises(MicrophoneError, match="no input device named 'No Such Headset'"):
        edge.service.start_dictation(ticket_id="T-1")
    # The service carries on and a later dictation can start.
    assert edge.service._dictation is None
    with pytest.raises(DeviceURLError, match="unknown microphone scheme 'alsa'.*portaudio"):
        open_microphone("alsa:hw:9")


def test_short_press_is_no_note(pulse, make_edge):
    edge = make_edge({"dictation": {"microphone": "portaudio:pulse", "min_seconds": 1.0}})
    job = edge.service.start_dictation(ticket_id="T-2")
    assert edge.service.stop_dictation() is None
    assert edge.service.queue.get(job).state == "failed"
    assert not edge.events("note.transcribed", "transcript.failed")


def test_dictate_command_queues_a_note_for_the_agent(pulse, make_edge, speech, tmp_path):
    import argparse
    import threading

    from frontdesk.edge.transcribe import cli

    data = tmp_path / "edge"
    conf = tmp_path / "edge.toml"
    conf.write_text(f"""
[site]
id = "s1"
[edge]
device = "desk1"
data_dir = "{data}"
[transcribe]
language = "ko"
models = {{ ko = "{MODEL}" }}
[transcribe.dictation]
microphone = "portaudio:pulse"
""")
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["dictate", "--config", str(conf), "--ticket", "T-9", "--seconds", "4"])
    player = threading.Timer(0.3, play, args=(pulse, speech["elevator"]["wav16"]))
    player.start()
    assert args.func(args) == 0
    player.join()
    # The agent's service (same data dir) transcribes the queued note.
    edge = make_edge(root=data)
    note = edge.wait_for(lambda e: e["type"] == "note.transcribed", 60)[0]["payload"]
    assert note["ticket_id"] == "T-9" and note["text"] and note["audio_s"] >= 2.0
