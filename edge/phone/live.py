"""A message handed to the transcription service while the caller is still speaking.

The modem's reading loop must never wait: a real modem's serial buffer holds well under a
second of audio, and a stall there would cost the caller's words (and the byte-exact file).
Opening a stream may wait for the recogniser to load, and feeding it may wait on its pipe, so
both happen on a thread of their own here; the modem's thread only puts chunks on a queue.

The WAV file and its call.message_recorded event stay the record: the transcription service
uses the live result when there is one and transcribes the file when there is not (no
transcription service configured, the recogniser restarted mid-message), once either way.
"""
from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..services import LiveTranscriber

_END, _ABORT = object(), object()


class LiveFeed:
    """Hands one message's chunks to the transcriber on a thread of its own."""

    def __init__(self, transcriber: LiveTranscriber, *, call_id: str, path: Path, codec: str, rate: int,
                 log: logging.Logger) -> None:
        self._transcriber, self._log = transcriber, log
        self._call_id, self._path, self._codec, self._rate = call_id, path, codec, rate
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._ended = False
        self._thread = threading.Thread(target=self._run, name=f"live-{call_id}", daemon=True)
        self._thread.start()

    def write(self, chunk: bytes) -> None:
        """One unescaped chunk from the modem; never blocks."""
        if not self._ended:
            self._queue.put(chunk)

    def close(self) -> None:
        """The message is complete: the transcriber finishes it as soon as it has the last chunk."""
        self._finish(_END)

    def abort(self) -> None:
        """No message after all (nothing recorded): the stream is dropped."""
        self._finish(_ABORT)

    def _finish(self, how: object) -> None:
        if not self._ended:
            self._ended = True
            self._queue.put(how)

    def join(self, timeout: float | None = None) -> None:
        """Wait (at most `timeout` seconds) for the feeding thread to end after close() or abort()."""
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            stream = self._transcriber.open_live(call_id=self._call_id, path=self._path, codec=self._codec,
                                                 rate=self._rate)
        except Exception:  # the file is transcribed instead
            self._log.exception("phone: could not stream message %s to the transcriber", self._call_id)
            stream = None
        while True:
            item = self._queue.get()
            if item is _END or item is _ABORT:
                break
            if stream is not None:
                try:
                    stream.write(item)
                except Exception:
                    # A stream that missed audio would give a partial transcript: drop it, so
                    # that the file is transcribed instead.
                    self._log.exception("phone: live transcription of %s failed; the file will be used",
                                        self._call_id)
                    self._end(stream, _ABORT)
                    stream = None
        if stream is not None:
            self._end(stream, item)

    def _end(self, stream: Any, how: object) -> None:
        try:
            stream.close() if how is _END else stream.abort()
        except Exception:
            self._log.exception("phone: live transcription of %s did not end cleanly", self._call_id)
