"""The agent's side of the recogniser process: start, feed, collect, restart after a crash.

Sessions are streams: open one when audio starts (the modem begins recording, the desk presses
the talk key), feed s16le chunks as they arrive, finish at the end; the recogniser has kept up,
so the final result comes back within a moment of the end. If the process dies, every open
session fails with WorkerCrashed and the next session starts a fresh process (after a back-off).
"""
from __future__ import annotations

import itertools
import logging
import multiprocessing as mp
import threading
import time
from concurrent.futures import Future
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from .worker import main as worker_main

log = logging.getLogger("frontdesk.edge.transcribe")

# Audio goes to the worker in pieces of at most this many bytes (0.5 s at 16 kHz), so that a
# long recording read from disk does not sit in one pickled message.
PIECE = 16000


class RecogniserError(Exception):
    """A session that gave no result; `kind` is the failure reason the service records."""
    kind = "worker_crashed"


class WorkerCrashed(RecogniserError):
    """The recogniser process died (or hung and was stopped) before giving a result."""


class ModelUnavailable(RecogniserError):
    """No model is configured, or none could be loaded, for the session's language."""
    kind = "model_unavailable"


class Session:
    """One audio stream in the recogniser process: feed() it, then finish() (or cancel())."""
    def __init__(self, rec: Recogniser, sid: str, generation: int, rate: int) -> None:
        self.rec, self.sid, self.generation, self.rate = rec, sid, generation, rate
        self.result: Future = Future()
        self.fed_bytes = 0

    def feed(self, pcm: bytes) -> None:
        """Queue s16le mono audio; never blocks for long, never raises for a dead worker."""
        if self.result.done():
            return
        for i in range(0, len(pcm), PIECE):
            self.rec._send(("audio", self.sid, pcm[i:i + PIECE]), self)
        self.fed_bytes += len(pcm)

    def finish(self, timeout: float | None = None) -> dict:
        """The final result: {"text", "confidence", "words"}; raises RecogniserError."""
        if not self.result.done():
            self.rec._send(("end", self.sid), self)
        if timeout is None:
            timeout = 10 + 3 * self.fed_bytes / (2 * self.rate)
        try:
            return self.result.result(timeout)
        except TimeoutError:
            self.rec._hung(self)
            return self.result.result(5)

    def cancel(self) -> None:
        """Drop the stream: the worker discards it and finish() raises WorkerCrashed('cancelled').
        Does nothing once the result is in."""
        if not self.result.done():
            self.rec._send(("cancel", self.sid), self)
            self.rec._fail(self, WorkerCrashed("cancelled"))


class Recogniser:
    """Runs the recogniser process (started on first use, restarted after a crash with a growing
    back-off) and routes its sessions' results; thread-safe."""
    def __init__(self, models: dict[str, Path], *, backoff_s: float = 0.5, backoff_max_s: float = 60.0,
                 load_timeout_s: float = 300.0, limits: dict[str, float] | None = None, nice: int = 0) -> None:
        self.nice = nice
        self.models = {k: str(v) for k, v in models.items()}
        self.limits = dict(limits or {})
        self.backoff_s, self.backoff_max_s, self.load_timeout_s = backoff_s, backoff_max_s, load_timeout_s
        self._ctx = mp.get_context("spawn")
        self._lock = threading.RLock()
        self._send_lock = threading.Lock()
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._generation = 0
        self._sessions: dict[str, Session] = {}
        self._ids = itertools.count(1)
        self._next_start = 0.0
        self._delay = backoff_s
        self.names: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        self.crashes = 0
        self._closed = False

    # -- process life -------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The worker process's pid while it is alive, else None."""
        p = self._proc
        return p.pid if p is not None and p.is_alive() else None

    def ensure_started(self) -> None:
        """Start the process if it is not running (waits out the crash back-off)."""
        with self._lock:
            if self._closed:
                raise WorkerCrashed("the recogniser is shut down")
            if self._proc is not None and self._proc.is_alive():
                return
            wait = self._next_start - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            parent, child = self._ctx.Pipe(duplex=True)
            proc = self._ctx.Process(target=worker_main, args=(child, self.models, self.limits, self.nice),
                                     name="frontdesk-vosk", daemon=True)
            try:
                proc.start()
            except Exception as err:
                self._crashed()
                raise WorkerCrashed(f"could not start the recogniser process: {type(err).__name__}: {err}") from None
            finally:
                child.close()
            if not parent.poll(self.load_timeout_s):
                proc.kill()
                proc.join(5)
                self._crashed()
                raise WorkerCrashed(f"the recogniser did not load its models within {self.load_timeout_s:.0f} s")
            try:
                msg = parent.recv()
            except (EOFError, OSError):
                proc.join(5)
                self._crashed()
                raise WorkerCrashed(
                    f"the recogniser died while loading its models (exit code {proc.exitcode})") from None
            _, self.names, self.errors = msg
            for lang, problem in self.errors.items():
                log.error("transcription model for %s unavailable: %s", lang, problem)
            self._proc, self._conn = proc, parent
            self._generation += 1
            threading.Thread(target=self._reader, args=(parent, self._generation), name="vosk-reader",
                             daemon=True).start()
            log.info("recogniser started (pid %s, models %s)", proc.pid, self.names)

    def _crashed(self) -> None:
        self.crashes += 1
        self._next_start = time.monotonic() + self._delay
        self._delay = min(self._delay * 2, self.backoff_max_s)

    def _reader(self, conn, generation: int) -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                session = self._sessions.pop(msg[1], None)
            if session is None:
                continue
            if msg[0] == "result":
                self._delay = self.backoff_s  # a good result: the next crash starts the back-off afresh
                if not session.result.done():
                    session.result.set_result(msg[2])
            elif msg[0] == "error":
                err = ModelUnavailable(msg[3]) if msg[2] == "model_unavailable" else WorkerCrashed(msg[3])
                if not session.result.done():
                    session.result.set_exception(err)
        self._lost(generation)

    def _lost(self, generation: int) -> None:
        with self._lock:
            if generation != self._generation or self._proc is None:
                return
            proc = self._proc
            proc.join(2)
            code = proc.exitcode
            self._proc, self._conn = None, None
            if self._closed:
                detail = "the recogniser was shut down"
            else:
                detail = f"the recogniser process died (exit code {code})"
                log.error("%s; it will be restarted", detail)
                self._crashed()
            doomed = [s for s in self._sessions.values() if s.generation == generation]
            for s in doomed:
                self._sessions.pop(s.sid, None)
        for s in doomed:
            if not s.result.done():
                s.result.set_exception(WorkerCrashed(detail))

    def _hung(self, session: Session) -> None:
        log.error("the recogniser did not answer in time; stopping it")
        with self._lock:
            proc = self._proc if session.generation == self._generation else None
        if proc is not None:
            proc.kill()
        # The reader thread sees the pipe close and fails the session.
        if proc is None:
            self._fail(session, WorkerCrashed("the recogniser did not answer in time"))

    def _fail(self, session: Session, err: Exception) -> None:
        with self._lock:
            self._sessions.pop(session.sid, None)
        if not session.result.done():
            session.result.set_exception(err)

    def _send(self, msg: tuple, session: Session) -> None:
        with self._lock:
            conn = self._conn if session.generation == self._generation else None
        if conn is None:
            self._fail(session, WorkerCrashed("the recogniser process is not running"))
            return
        try:
            with self._send_lock:
                conn.send(msg)
        except (OSError, ValueError, BrokenPipeError):
            self._fail(session, WorkerCrashed("the recogniser process died"))

    # -- sessions -------------------------------------------------------------------------------

    def open(self, language: str, rate: int) -> Session:
        """A new stream; raises RecogniserError if no process can be started."""
        self.ensure_started()
        if language in self.errors or language not in self.names:
            raise ModelUnavailable(self.errors.get(language) or f"no transcription model is configured for "
                                   f"language {language!r} (set [transcribe] models.{language})")
        with self._lock:
            session = Session(self, f"s{next(self._ids)}", self._generation, rate)
            self._sessions[session.sid] = session
        self._send(("open", session.sid, language, rate), session)
        return session

    def transcribe(self, pcm: bytes, rate: int, language: str) -> dict:
        """A whole recording's result in one call (open, feed, finish); raises RecogniserError."""
        s = self.open(language, rate)
        s.feed(pcm)
        return s.finish()

    def reload(self) -> None:
        """Stop the process on purpose (models changed on disk); the next session starts a new one."""
        with self._lock:
            proc, conn = self._proc, self._conn
            self._proc, self._conn = None, None
            self._generation += 1  # the old reader's end is not a crash
            doomed = list(self._sessions.values())
            self._sessions.clear()
            self._next_start = 0.0
        for s in doomed:
            if not s.result.done():
                s.result.set_exception(WorkerCrashed("the recogniser was restarted to load new models"))
        self._shut_down(proc, conn)

    def _shut_down(self, proc, conn) -> None:
        """Ask the worker process to stop; kill it if it does not within 5 s."""
        if conn is not None:
            try:
                with self._send_lock:
                    conn.send(("stop",))
            except (OSError, ValueError):
                pass
        if proc is not None:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)

    def close(self) -> None:
        """Stop the worker process (killed if it has not stopped within 5 s); no process starts after this."""
        with self._lock:
            self._closed = True
            proc, conn = self._proc, self._conn
        self._shut_down(proc, conn)
