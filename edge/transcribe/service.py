"""The transcription service: recorded messages and dictated notes become text on the record.

Sources of work:
  * the journal: the service's follower ("transcribe", from the beginning of the journal) turns
    every call.message_recorded event into a job in the durable queue (jobqueue.py); the same
    follower marks jobs done whose transcript is on the record (after a crash between the two),
    and keeps which call is on the line for dictation;
  * live streams: the phone service may open a stream when it starts recording
    (ctx.transcriber.open_live(...)) and write the modem's bytes as they arrive, so the
    recogniser keeps pace with the caller and the transcript is ready as soon as they hang up;
    the job for that message then takes the live result instead of reading the file again;
  * push-to-talk dictation at the desk (start_dictation / stop_dictation), streamed the same way
    and kept as a WAV file under data_dir/dictation until its note is on the record.

Whatever goes wrong, the call is still on the record and the recording is kept: a transcript
that cannot be made is a `transcript.failed` event saying why, and the job is retried when
that can help (recogniser crashed, model not installed yet).
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Literal

from frontdesk.drivers.audio import pcm as pcmlib
from frontdesk.drivers.audio.microphone import MicrophoneError, open_microphone
from frontdesk.drivers.audio.wavfile import Recording, RecordingError, WavWriter, read_recording
from frontdesk.ids import new_id
from frontdesk.schema import Event
from frontdesk.schema.call import CallAnswered, CallEnded, CallMessageRecorded
from frontdesk.schema.transcript import CallTranscribed, NoteTranscribed, TranscriptFailed

from ..services import EdgeContext
from .classify import classify
from .config import TranscribeConfig
from .jobqueue import Job, JobQueue
from .models import ModelError, check_layout
from .personal_data import TranscriptionPersonalData
from .recogniser import ModelUnavailable, Recogniser, RecogniserError, Session, WorkerCrashed

FOLLOWER = "transcribe"
FailReason = Literal["bad_recording", "model_unavailable", "worker_crashed", "gave_up"]
# Clipping above this share of samples, or a level below this, is worth telling the desk.
CLIPPED_WARN = 0.01
SILENT_DBFS = -55.0


def _codec_name(value: Any) -> str | None:
    """The phone service's codec name in this package's terms (u8, ulaw, alaw, s16le)."""
    if value is None:
        return None
    v = str(value).lower().replace("-", "").replace("_", "").replace(" ", "")
    if v in ("u8", "uint8", "8bit", "8bitlinear", "linear8", "unsigned8", "pcmu8", "pcm8", "linear"):
        return "u8"
    if v in ("ulaw", "mulaw", "μlaw", "g711u", "pcmu"):
        return "ulaw"
    if v in ("alaw", "g711a", "pcma"):
        return "alaw"
    if v in ("s16le", "s16", "pcm16", "16bit", "linear16"):
        return "s16le"
    return None


class LiveStream:
    """One message being recorded, streamed to the recogniser as the modem delivers it."""

    def __init__(self, service: TranscribeService, key: str, codec: str, rate: int, session: Session | None,
                 error: Exception | None) -> None:
        self.service, self.key, self.rate = service, key, rate
        self._conv = pcmlib.StreamConverter(codec)
        self._session = session
        self.result: Future = Future()
        if error is not None:
            self.result.set_exception(error)

    def write(self, data: bytes) -> None:
        """Raw sample bytes as recorded (DLE already removed). Never raises."""
        if self._session is not None and data:
            try:
                self._session.feed(self._conv.feed(data))
            except Exception:  # a live stream is an optimisation; the file is transcribed anyway
                pass

    def close(self) -> None:
        """The caller hung up: collect the final result in the background."""
        if self._session is None or self.result.done():
            return
        session = self._session

        def collect() -> None:
            try:
                self.result.set_result(session.finish())
            except Exception as err:
                self.result.set_exception(err)
            self.service._wake.set()

        threading.Thread(target=collect, name="live-finish", daemon=True).start()

    def abort(self) -> None:
        """No message after all: drop the stream (nothing will ask for its result)."""
        if self._session is not None:
            self._session.cancel()
        if not self.result.done():
            self.result.set_exception(WorkerCrashed("live stream aborted"))
        self.service._discard_live(self)


class TranscribeService:
    """Recorded messages and dictated notes to text; see the module docstring."""

    name = "transcribe"

    def __init__(self, cfg: TranscribeConfig, ctx: EdgeContext) -> None:
        self.cfg, self.ctx = cfg, ctx
        self.log = ctx.logger("transcribe")
        self.journal = ctx.journal
        # Own file beside the journal: see jobqueue.py.
        self.queue = JobQueue(Path(ctx.data_dir) / "transcribe.db")
        ctx.personal_data.append(TranscriptionPersonalData(ctx.data_dir))
        self.recogniser = Recogniser(cfg.models, backoff_s=cfg.restart_backoff_s,
                                     backoff_max_s=cfg.restart_backoff_max_s, limits=cfg.decoder_limits(),
                                     nice=cfg.worker_nice)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._live: dict[str, LiveStream] = {}
        self._live_lock = threading.Lock()
        self._dictation: dict[str, Any] | None = None
        self._dictation_lock = threading.Lock()
        self._last_model_check = time.monotonic()
        # Calls answered and not yet ended, oldest first (what dictation attaches to).
        self._on_line: dict[str, None] = {}
        self.follower = (self.journal.follow(FOLLOWER, poll_s=cfg.poll_s)
                         .on(CallMessageRecorded, self._take_recording)
                         .on(CallTranscribed, self._result_recorded).on(NoteTranscribed, self._result_recorded)
                         .on(TranscriptFailed, self._failure_recorded)
                         .on(CallAnswered, self._call_answered).on(CallEnded, self._call_ended))
        ctx.transcriber = self

    # -- life -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Take up interrupted work, then start the work loop, the wake-up and the model load."""
        self._reconcile()
        for target, name in ((self._loop, "transcribe"), (self._watch_journal, "transcribe-wake"),
                             (self._warm_up, "transcribe-load")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        """Finish a dictation in progress, stop the threads and the recogniser."""
        self._stop.set()
        self._wake.set()
        self.journal.wake()
        if self._dictation is not None:
            try:
                self.stop_dictation()
            except Exception:
                pass
        for t in self._threads:
            t.join(timeout=10)
        self.recogniser.close()
        self.queue.close()

    def _stopping(self) -> bool:
        return self._stop.is_set() or self.ctx.stopping.is_set()

    def _warm_up(self) -> None:
        # Load the model at start-up rather than on the first call (it takes seconds on a Pi).
        try:
            self.recogniser.ensure_started()
        except RecogniserError as err:
            self.log.error("recogniser could not start: %s", err)

    def _watch_journal(self) -> None:
        seen = self.journal.generation
        while not self._stopping():
            seen = self.journal.wait_appended(seen, 1.0)
            self._wake.set()

    # -- journal intake -------------------------------------------------------------------------

    def _take_recording(self, event: Event, rec: CallMessageRecorded) -> None:
        """A recorded message becomes a queued job (its id is the event's: a replay adds nothing)."""
        path = Path(rec.path)
        if not path.is_absolute():
            path = Path(self.ctx.data_dir) / path
        self.queue.add(job_id=event.id, kind="call", path=str(path), codec=_codec_name(rec.codec),
                       rate=rec.sample_rate, call_id=rec.call_id, dtmf=rec.menu_choice)

    def _result_recorded(self, event: Event, result: CallTranscribed | NoteTranscribed) -> None:
        # A transcript on the record is done, even if a crash came before the queue said so.
        self.queue.set_state(result.job_id, "done")

    def _failure_recorded(self, event: Event, failure: TranscriptFailed) -> None:
        if not failure.will_retry:
            self.queue.set_state(failure.job_id, "failed", error=failure.detail)

    def _call_answered(self, event: Event, call: CallAnswered) -> None:
        self._on_line[call.call_id] = None

    def _call_ended(self, event: Event, call: CallEnded) -> None:
        self._on_line.pop(call.call_id, None)

    def _reconcile(self) -> None:
        """After a restart: an interrupted dictation is queued from its WAV file (written so that
        its header is always valid); the follower catches up, so jobs whose result reached the
        journal before the crash are marked done, not transcribed twice."""
        self.queue.due_now()
        for job in self.queue.waiting():
            if job.state == "recording":
                self.queue.set_state(job.job_id, "queued")
        self.follower.catch_up()

    # -- the work loop ------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping():
            self._wake.clear()
            try:
                self.follower.catch_up()
                self._maybe_reload_models()
                for job in self.queue.due(time.time()):
                    if self._stopping():
                        break
                    self._run(job)
            except Exception:
                self.log.exception("transcription loop error; continuing")
                self._stop.wait(self.cfg.poll_s)
            nxt = self.queue.next_due_at()
            wait = self.cfg.poll_s if nxt is None else max(0.0, min(self.cfg.poll_s, nxt - time.time()))
            self._wake.wait(wait)

    def _maybe_reload_models(self) -> None:
        """A model that was missing may have been installed since: restart the recogniser to load it."""
        if not self.recogniser.errors or time.monotonic() - self._last_model_check < self.cfg.model_retry_s:
            return
        self._last_model_check = time.monotonic()
        for lang in self.recogniser.errors:
            try:
                check_layout(self.cfg.models.get(lang, Path("/nonexistent")))
            except ModelError:
                return
        self.log.info("transcription models now present; reloading the recogniser")
        self.recogniser.reload()

    def _language(self, job: Job) -> str:
        return job.language or self.cfg.language

    def _run(self, job: Job) -> None:
        language = self._language(job)
        try:
            rec = read_recording(job.path, expect_rate=job.rate, expect_codec=job.codec)
        except RecordingError as err:
            self._fail(job, "bad_recording", str(err), will_retry=False)
            return
        pcm = rec.mono_s16()
        warnings = list(rec.notes)
        lv = pcmlib.levels(pcm)
        if lv["clipped"] >= CLIPPED_WARN:
            warnings.append(f"audio is clipped: {lv['clipped'] * 100:.0f}% of samples at full scale")
        if lv["rms_dbfs"] < SILENT_DBFS:
            warnings.append(f"recording is (almost) silent: level {lv['rms_dbfs']:.0f} dBFS")
        result = self._live_result(job)
        try:
            if result is None:
                session = self.recogniser.open(language, rec.rate)
                session.feed(pcm)
                result = session.finish(timeout=10 + self.cfg.timeout_factor * rec.duration_s)
        except ModelUnavailable as err:
            self._fail(job, "model_unavailable", str(err), will_retry=True)
            return
        except RecogniserError as err:
            self._fail(job, "worker_crashed", str(err), will_retry=True)
            return
        self._record(job, rec, result, language, warnings)

    def _record(self, job: Job, rec: Recording, result: dict[str, Any], language: str, warnings: list[str]) -> None:
        text = result["text"]
        model = self.recogniser.names.get(language, "unknown")
        confidence = result["confidence"] if text else 0.0
        outcome: Literal["text", "no_speech"] = "text" if text else "no_speech"
        kept = [w[:300] for w in warnings[:10]]
        if job.kind == "call":
            c = classify(text, job.dtmf, self.cfg.categories)
            self.journal.record(CallTranscribed(
                job_id=job.job_id, text=text, outcome=outcome, confidence=confidence, model=model, language=language,
                audio_s=round(rec.duration_s, 3), warnings=kept, recording=str(job.path)[:500], call_id=job.call_id,
                category=c.category, matched_words=c.matched_words[:50], dtmf_choice=job.dtmf,
                category_basis=c.basis, attempts=job.attempts + 1))
        else:
            self.journal.record(NoteTranscribed(
                job_id=job.job_id, text=text, outcome=outcome, confidence=confidence, model=model, language=language,
                audio_s=round(rec.duration_s, 3), warnings=kept, recording=str(job.path)[:500], call_id=job.call_id,
                ticket_id=job.ticket_id, author=job.author))
        self.queue.set_state(job.job_id, "done")
        self._forget_live(job)

    def _fail(self, job: Job, reason: FailReason, detail: str, *, will_retry: bool) -> None:
        attempts = job.attempts + (1 if reason == "worker_crashed" else 0)
        if reason == "worker_crashed" and attempts >= self.cfg.max_attempts:
            reason, will_retry = "gave_up", False
            detail = f"no transcript after {attempts} attempts; last error: {detail}"
        failure = TranscriptFailed(job_id=job.job_id, kind=job.kind, call_id=job.call_id, ticket_id=job.ticket_id,
                                   recording=str(job.path)[:500], reason=reason, detail=detail[:500], attempt=attempts,
                                   will_retry=will_retry)
        # A missing model is said once per recording, not every minute while it stays missing.
        if not (reason == "model_unavailable" and job.notified == reason):
            self.journal.record(failure)
        self.log.warning("no transcript for %s (%s): %s", job.path, reason, detail)
        if will_retry:
            delay = self.cfg.model_retry_s if reason == "model_unavailable" else 0.0
            self.queue.retry_later(job.job_id, at=time.time() + delay, error=detail, attempts=attempts,
                                   notified=reason)
        else:
            self.queue.set_state(job.job_id, "failed", error=detail)
            self._forget_live(job)

    # -- live streams from the phone service ---------------------------------------------------

    def open_live(self, *, call_id: str | None, path: str | Path | None, codec: str, rate: int,
                  language: str | None = None) -> LiveStream:
        """Start streaming a message as it is recorded. `codec` as the modem delivers it
        (u8, ulaw, alaw, s16le or the phone service's name for them). Never raises."""
        key = self._live_key(call_id, path)
        session, error = None, None
        try:
            name = _codec_name(codec)
            if name is None:
                raise RecordingError(f"unknown codec {codec!r}")
            session = self.recogniser.open(language or self.cfg.language, rate)
        except Exception as err:
            error, name = err, name or "u8"
        stream = LiveStream(self, key, name, rate, session, error)
        with self._live_lock:
            self._live[key] = stream
            if call_id and path:
                self._live[self._live_key(call_id, None)] = stream
        return stream

    def _live_key(self, call_id: str | None, path: str | Path | None) -> str:
        if path:
            p = Path(path)
            if not p.is_absolute():
                p = Path(self.ctx.data_dir) / p
            return f"path:{p.resolve()}"
        return f"call:{call_id}"

    def _live_result(self, job: Job) -> dict | None:
        with self._live_lock:
            stream = self._live.get(self._live_key(None, job.path)) or (
                self._live.get(self._live_key(job.call_id, None)) if job.call_id else None)
        if stream is None:
            return None
        try:
            return stream.result.result(timeout=30)
        except Exception:
            return None  # the file is transcribed instead

    def _discard_live(self, stream: LiveStream) -> None:
        with self._live_lock:
            for key in [k for k, v in self._live.items() if v is stream]:
                del self._live[key]

    def _forget_live(self, job: Job | None) -> None:
        if job is None:
            return
        with self._live_lock:
            for key in (self._live_key(None, job.path), self._live_key(job.call_id, None)):
                self._live.pop(key, None)

    # -- desk dictation (push-to-talk) ----------------------------------------------------------

    def current_call(self) -> str | None:
        """The call on the line now: the last answered call not yet ended (journal read up to now)."""
        self.follower.catch_up()
        return next(reversed(self._on_line), None)

    def start_dictation(self, *, call_id: str | None = None, ticket_id: str | None = None,
                        author: str | None = None) -> str:
        """Talk key pressed: capture from the headset, stream to the recogniser, keep a WAV."""
        with self._dictation_lock:
            if self._dictation is not None:
                raise MicrophoneError("a dictation is already in progress")
            if call_id is None and ticket_id is None:
                call_id = self.current_call()
            d = self.cfg.dictation
            job_id = new_id()
            folder = Path(self.ctx.data_dir) / "dictation"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{job_id}.wav"
            writer = WavWriter(path, rate=d.rate)
            self.queue.add(job_id=job_id, kind="note", state="recording", path=str(path), codec="s16le", rate=d.rate,
                           language=self.cfg.language, call_id=call_id, ticket_id=ticket_id, author=author)
            stream = self.open_live(call_id=None, path=path, codec="s16le", rate=d.rate)
            state: dict[str, Any] = {"job_id": job_id, "path": path, "writer": writer, "stream": stream, "mic": None,
                                     "bytes": 0, "lock": threading.Lock()}

            def on_chunk(data: bytes) -> None:
                with state["lock"]:
                    if state["bytes"] >= d.max_seconds * d.rate * 2:
                        return
                    writer.write(data)
                    state["bytes"] += len(data)
                stream.write(data)

            try:
                state["mic"] = open_microphone(d.microphone, rate=d.rate, on_chunk=on_chunk)
            except MicrophoneError:
                writer.close()
                stream.abort()
                path.unlink(missing_ok=True)
                self.queue.set_state(job_id, "failed", error="microphone could not be opened")
                self._forget_live(self.queue.get(job_id))
                raise
            self._dictation = state
            return job_id

    def stop_dictation(self) -> str | None:
        """Talk key released: the note is queued (its live result is usually ready at once).
        Returns the job id, or None for a press too short to be a note."""
        with self._dictation_lock:
            state, self._dictation = self._dictation, None
        if state is None:
            return None
        state["mic"].close()
        with state["lock"]:
            state["writer"].close()
        job_id = state["job_id"]
        if state["bytes"] < self.cfg.dictation.min_seconds * self.cfg.dictation.rate * 2:
            state["stream"].abort()
            self._forget_live(self.queue.get(job_id))
            self.queue.set_state(job_id, "failed", error="talk key released at once; no note")
            state["path"].unlink(missing_ok=True)
            return None
        state["stream"].close()
        self.queue.set_state(job_id, "queued")
        self._wake.set()
        return job_id

    # -- for tools and tests ----------------------------------------------------------------------

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until nothing is queued (and due) any more."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._wake.set()
            if not self.queue.due(time.time() + 0.001) and self.follower.position >= self.journal.last_seq():
                return True
            time.sleep(0.05)
        return False


def factory(cfg: TranscribeConfig, ctx) -> TranscribeService:
    """Build the [transcribe] service (the factory edge/services.py names for the section)."""
    return TranscribeService(cfg, ctx)
