"""Messages are handed on while they are recorded: through the emulated modem on a pty, each
unescaped chunk reaches the stream opened on ctx.transcriber before the caller hangs
up, the stream is closed at hang-up, and nothing about the recording changes (byte-exact file,
same events) whether the listener works, fails or is absent.

The listener here records what it is given; the real transcription service is exercised the
same way in tests/transcribe/test_live_phone.py."""
from __future__ import annotations

import threading
import time

from frontdesk.drivers.modem.emulator import CallSpec
from frontdesk.drivers.modem.emulator.scenario import tone

from .test_line import recorded_audio


class Listener:
    """Stands where the transcription service stands: open_live(...) -> write/close/abort."""

    def __init__(self, fail_write: bool = False, fail_open: bool = False) -> None:
        self.fail_write, self.fail_open = fail_write, fail_open
        self.streams: list[Stream] = []

    def open_live(self, *, call_id, path, codec, rate):
        if self.fail_open:
            raise RuntimeError("recogniser not available")
        s = Stream(call_id, path, codec, rate, self.fail_write)
        self.streams.append(s)
        return s


class Stream:
    def __init__(self, call_id, path, codec, rate, fail_write) -> None:
        self.call_id, self.path, self.codec, self.rate = call_id, path, codec, rate
        self.chunks: list[tuple[float, bytes]] = []
        self.fail_write = fail_write
        self.closed_at: float | None = None
        self.aborted = False
        self.ended = threading.Event()

    def write(self, data: bytes) -> None:
        if self.fail_write:
            raise RuntimeError("pipe broken")
        self.chunks.append((time.monotonic(), data))

    def close(self) -> None:
        self.closed_at = time.monotonic()
        self.ended.set()

    def abort(self) -> None:
        self.aborted = True
        self.ended.set()

    @property
    def audio(self) -> bytes:
        return b"".join(c for _, c in self.chunks)


def test_message_streamed_while_recorded(line_factory):
    line = line_factory()
    listener = line.ctx.transcriber = Listener()
    line.start()
    msg = tone(3.0, seed=11)
    assert b"\x10" in msg
    rec = line.emu.place_call(CallSpec(cadence="cn", cid_position="before", message=msg, end="l"))
    line.wait_ended(1)
    (stream,) = listener.streams
    assert stream.ended.wait(5) and not stream.aborted
    recorded = line.payloads("call.message_recorded")[0]
    assert stream.call_id == recorded["call_id"] and str(stream.path) == recorded["path"]
    assert stream.codec == recorded["codec"] == "pcm_u8" and stream.rate == 8000
    # Exactly the unescaped audio, in order: the same bytes as the file and the line.
    assert stream.audio == recorded_audio(line) == bytes(rec.source) == msg
    # Streamed as it came (many chunks, most of the message before the caller hung up),
    # and closed after the last chunk.
    assert len(stream.chunks) >= 10
    before = sum(len(c) for t, c in stream.chunks if t <= rec.hung_up_at)
    assert before >= 0.8 * len(msg)
    assert stream.closed_at >= stream.chunks[-1][0]


def test_mulaw_stream_and_busy_end(line_factory):
    line = line_factory(codec="mulaw")
    listener = line.ctx.transcriber = Listener()
    line.start()
    msg = bytes((i * 37) & 0xFF for i in range(8000))
    rec = line.emu.place_call(CallSpec(cadence="cn", cid_position="before", message=msg, end="b"))
    line.wait_ended(1)
    (stream,) = listener.streams
    assert stream.ended.wait(5)
    assert stream.codec == "mulaw" and stream.audio == bytes(rec.source) == msg == recorded_audio(line)


def test_failing_listener_costs_nothing(line_factory):
    for listener in (Listener(fail_write=True), Listener(fail_open=True)):
        line = line_factory()
        line.ctx.transcriber = listener
        line.start()
        msg = tone(1.0, seed=5)
        rec = line.emu.place_call(CallSpec(cadence="cn", cid_position="before", message=msg, end="l"))
        ended = line.wait_ended(1)
        assert ended[0]["outcome"] == "message" and ended[0]["reason"] == "hangup"
        assert recorded_audio(line) == bytes(rec.source) == msg
        if listener.fail_write:  # a stream that missed audio is dropped, so the file is used
            (stream,) = listener.streams
            assert stream.ended.wait(5) and stream.aborted and stream.closed_at is None


def test_no_message_drops_the_stream(line_factory):
    line = line_factory()
    listener = line.ctx.transcriber = Listener()
    line.start()
    # The caller is gone before the tone ends: AT+VRX gets only <DLE>b, no audio.
    line.emu.place_call(CallSpec(cadence="cn", cid_position="before", message=b"", end="b"))
    ended = line.wait_ended(1)
    assert ended[0]["outcome"] == "no_message"
    assert not line.payloads("call.message_recorded")
    for stream in listener.streams:  # if recording started at all, its stream was dropped
        assert stream.ended.wait(5) and stream.aborted and not stream.chunks


def test_without_a_transcriber_nothing_changes(line_factory):
    line = line_factory().start()
    msg = tone(1.0, seed=9)
    rec = line.emu.place_call(CallSpec(cadence="cn", cid_position="before", message=msg, end="l"))
    line.wait_ended(1)
    assert line.ctx.transcriber is None
    assert recorded_audio(line) == bytes(rec.source) == msg
    assert not [t for t in threading.enumerate() if t.name.startswith("live-")]
