"""The call attendant: watches the line, keeps the three-ring promise, takes messages.

Every ring, caller ID, pick-up and message becomes an event in the journal (call.*), so the desk
register (来电登记) fills itself. One thread owns the modem; a modem that is unplugged or stops
answering is retried and recovered here without affecting the rest of the agent.

Recordings are WAV files under <data_dir>/recordings/<local date>/<call_id>.wav; the events
reference them by path. When a transcription service runs in the same agent
(ctx.transcriber), each message is also streamed to it while it is recorded (live.py),
so its transcript is ready moments after the caller hangs up.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from frontdesk.drivers.modem.callerid import CallerId, CallerIdParser
from frontdesk.drivers.modem.modem import ModemError, ModemLost, ModemRejected, ModemTimeout, is_ring, open_modem
from frontdesk.drivers.modem.rings import RingTracker
from frontdesk.ids import new_id
from frontdesk.schema.call import (
    BlocklistReplace,
    CallAnswered,
    CallEnded,
    CallMessageRecorded,
    CallMissed,
    CallRinging,
    DirectoryReplace,
    ModemStatus,
)

from ..journal import JournalError
from ..services import EdgeContext
from . import audio
from .config import PhoneConfig
from .directory import Directory
from .live import LiveFeed
from .personal_data import DirectoryPersonalData, RecordingsPersonalData

Outcome = Literal["message", "no_message", "answered_by_staff", "missed", "blocked"]
MissedReason = Literal["stopped_ringing", "blocked_ignored", "modem_lost", "answer_failed"]
StopReason = Literal["silence", "hangup", "busy", "max_length", "line_lost"]

# Formatted caller-ID lines of one block arrive within ~100 ms; this much quiet ends a block.
CID_QUIET_S = 0.4


@dataclass
class ActiveCall:
    """The call on the line now: its ring tracker, caller ID, directory match and answer timing."""
    call_id: str
    tracker: RingTracker
    cid: CallerId | None = None
    cid_error: str | None = None
    number: str | None = None
    lookup: dict[str, Any] | None = None
    blocked: bool = False
    last_ring_at: float = 0.0
    answer_due: float | None = None  # deferred ring-1 answer (waiting for caller ID)
    started: float = field(default_factory=time.monotonic)


class PhoneService:
    """The call attendant (see the module docstring); one thread of its own owns the modem."""
    name = "phone"

    def __init__(self, cfg: PhoneConfig, ctx: EdgeContext) -> None:
        self.cfg, self.ctx = cfg, ctx
        self.log = ctx.logger("phone")
        self.country = cfg.country or ctx.country
        self.cadence = cfg.cadence_spec(self.country)
        self.scale = cfg.time_scale
        self.zone = ZoneInfo(ctx.tz)
        self.directory = Directory(ctx.journal, self.country, cfg.area_code)
        ctx.commands.on(DirectoryReplace, self.directory.replace_directory)
        ctx.commands.on(BlocklistReplace, self.directory.replace_blocklist)
        ctx.personal_data += [DirectoryPersonalData(self.directory, cfg.area_code),
                              RecordingsPersonalData(ctx.data_dir)]
        self.recordings = Path(ctx.data_dir) / "recordings"
        # Not opened here: the service's thread opens it, and reopens it after it is lost.
        self.modem = open_modem(cfg.device, do_not_open=True, family=None if cfg.family == "auto" else cfg.family,
                                country=self.country, baudrate=cfg.baudrate, time_scale=self.scale,
                                codec=cfg.codec, command_timeout=max(0.5, 3.0 * min(1.0, self.scale * 10)))
        self.parser = CallerIdParser()
        self.call: ActiveCall | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._audio: dict[str, bytes] = {}
        self._health = "starting"  # ready | lost | unresponsive | failed
        self._last_cid_line = 0.0
        self._last_check = time.monotonic()
        self._last_reassert = time.monotonic()
        self.stats = {"calls": 0, "errors": 0}

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the line thread, which opens the modem (and reopens it when lost); returns at once."""
        self._thread = threading.Thread(target=self._run, name="phone", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the line thread (waiting up to 10 s) and close the modem."""
        self._stop.set()
        if self._thread:
            self._thread.join(10)
        self.modem.close()

    def _stopping(self) -> bool:
        return self._stop.is_set() or self.ctx.stopping.is_set()

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def _run(self) -> None:
        backoff = self.cfg.reconnect_min_s
        while not self._stopping():
            try:
                if not self.modem.is_open:
                    self._connect()
                self._step()
                backoff = self.cfg.reconnect_min_s
            except ModemLost as err:
                self._on_lost(err)
                self._sleep(backoff * self.scale)
                backoff = min(backoff * 2, self.cfg.reconnect_max_s)
            except ModemTimeout as err:
                self._on_unresponsive(err)
                if not self.modem.is_open:
                    self._sleep(backoff * self.scale)
                    backoff = min(backoff * 2, self.cfg.reconnect_max_s)
            except JournalError:
                self.log.exception("phone: the journal refused an event; the line keeps running")
                self.stats["errors"] += 1
                self._sleep(0.5 * self.scale)
            except Exception:  # never let one odd line or call stop the service
                self.log.exception("phone: unexpected error; resetting the line")
                self.stats["errors"] += 1
                self._abandon_call("modem_lost")
                self.modem.close()
                self._sleep(backoff * self.scale)
        self._abandon_call("modem_lost")

    # -- modem health ----------------------------------------------------------------------------

    def _status(self, state: str, detail: str | None = None, recovery: str | None = None) -> None:
        fam = self.modem.identity.family.name if self.modem.identity else None
        self.ctx.journal.record(ModemStatus(state=state, family=fam,  # type: ignore[arg-type]
                                            detail=(detail or "")[:300] or None, recovery=recovery))
        self._health = state

    def _connect(self) -> None:
        was = self._health
        self.modem.open()
        ident = self.modem.initialise(idle_voice=self.cfg.idle_voice_mode)
        self.parser = CallerIdParser()
        self._last_check = self._last_reassert = time.monotonic()
        if was in ("starting", "ready"):
            self._status("ready", f"{ident.family.label} on {self.cfg.device}; caller ID via {ident.caller_id_command}")
        else:
            self._status("recovered", f"{ident.family.label} on {self.cfg.device}", "reconnect")
        self.log.info("phone: %s ready on %s", ident.family.label, self.cfg.device)

    def _on_lost(self, err: Exception) -> None:
        self.log.warning("phone: modem lost: %s", err)
        self._abandon_call("modem_lost")
        self.modem.close()
        if self._health != "lost":
            self._status("lost", str(err))

    def _on_unresponsive(self, err: Exception) -> None:
        self.log.warning("phone: modem not answering: %s; recovering", err)
        self._abandon_call("modem_lost")
        if self._health not in ("unresponsive", "failed"):
            self._status("unresponsive", str(err))
        if not self.modem.is_open:
            try:
                self.modem.open()
            except ModemLost as lost:
                self._on_lost(lost)
                return
        try:
            step = self.modem.recover()
            self.modem.initialise(idle_voice=self.cfg.idle_voice_mode)
            self.parser = CallerIdParser()
            self._status("recovered", f"answered again after {step}", step)
            self._last_check = self._last_reassert = time.monotonic()
        except ModemLost as lost:
            self._on_lost(lost)
        except ModemError as still:
            self.modem.close()
            if self._health != "failed":
                self._status("failed", f"{still}; unplug and replug the modem (power cycle)")

    # -- the idle line ---------------------------------------------------------------------------

    def _step(self) -> None:
        items = self.modem.poll(0.1 * min(1.0, self.scale * 20) if self.call else 0.1)
        now = time.monotonic()
        for kind, value in items:
            if (kind == "line" and is_ring(str(value))) or (kind == "dle" and value == "R"):
                pending = self.parser.pending()
                if pending is not None and pending.has_identity:
                    # Caller ID sent before the ring (UK, DTMF exchanges): the ring must carry it.
                    for block in self.parser.flush():
                        self._on_cid(block, now)
                self._on_ring(now)
            elif kind == "line" and CallerIdParser.is_cid_line(str(value)):
                self._last_cid_line = now
                for block in self.parser.feed(str(value)):
                    self._on_cid(block, now)
            elif kind == "dle" and value == "H":
                self._on_handset(now)
            elif kind == "line":
                self.log.info("phone: ignoring modem line %r", str(value)[:120])
        if self.parser.pending() is not None and now - self._last_cid_line > CID_QUIET_S * max(self.scale, 0.05):
            for block in self.parser.flush():
                self._on_cid(block, now)
        call = self.call
        if call is not None:
            if call.answer_due is not None and now >= call.answer_due:
                self._answer(call, now)
            elif call.tracker.stopped(now):
                self._ringing_stopped(call)
            return
        if now - self._last_check > self.cfg.health_check_s * self.scale:
            self._last_check = now
            if not self.modem.ping():
                raise ModemTimeout("AT answered ERROR")
        if now - self._last_reassert > self.cfg.cid_reassert_s * self.scale:
            self._last_reassert = now
            self.modem.reassert_caller_id()

    def _new_call(self) -> ActiveCall:
        self.stats["calls"] += 1
        return ActiveCall(new_id(), RingTracker(self.cadence, self.scale))

    def after_hours(self, when: datetime | None = None) -> bool:
        """True if `when` (default: now) is outside the staffed days and hours, in the site's time zone."""
        local = (when or datetime.now(UTC)).astimezone(self.zone)
        if local.isoweekday() not in self.cfg.staffed_days:
            return True
        minute = local.hour * 60 + local.minute
        for span in self.cfg.staffed_hours:
            a, b = span.split("-")
            start = int(a[:2]) * 60 + int(a[3:])
            end = int(b[:2]) * 60 + int(b[3:])
            if (start <= minute < end) if start <= end else (minute >= start or minute < end):
                return False
        return True

    def _caller(self, call: ActiveCall) -> dict[str, Any]:
        cid = call.cid
        return {"call_id": call.call_id, "number": call.number,
                "number_raw": (cid.number if cid else None),
                "name": (cid.name if cid else None),
                "number_absent_reason": (cid.number_absent_reason if cid else None),
                "unit": call.lookup["unit"] if call.lookup else None,
                "resident_name": call.lookup.get("name") if call.lookup else None,
                "blocked": call.blocked}

    def _on_ring(self, now: float) -> None:
        call = self.call
        if call is None:
            call = self.call = self._new_call()
        n = call.tracker.ring(now)
        if n is None:
            return
        call.last_ring_at = now
        if n == 1:
            self.ctx.journal.record(CallRinging(**self._caller(call), ring=1, cadence=self.cadence.name,
                                                caller_id_received=call.cid is not None))
        if call.blocked and self.cfg.blocklist_action == "ignore":
            return
        target = self.cfg.after_hours_ring if self.after_hours() else self.cfg.answer_ring
        if n >= target and call.answer_due is None:
            if n == 1 and call.cid is None and not call.blocked:
                # Caller ID is sent between rings 1 and 2: wait for it, but go off-hook well
                # before ring 2 starts, so "answer on ring 1" still holds.
                call.answer_due = now + (self.cadence.burst + 0.75 * self.cadence.gap) * self.scale
            else:
                self._answer(call, now)

    def _on_cid(self, block: CallerId, now: float) -> None:
        if block.error:
            self.log.warning("phone: unreadable caller ID %r: %s", block.raw, block.error)
        call = self.call
        if call is None:
            call = self.call = self._new_call()
            call.tracker.caller_id(now)
        if call.cid is not None and call.cid.has_identity:
            return
        if block.error:
            call.cid_error = block.error
            return
        call.cid = block
        call.number = self.directory.norm(block.number)
        call.lookup = self.directory.lookup(call.number)
        call.blocked = self.directory.blocked(call.number)
        if call.tracker.rings >= 1:
            self.ctx.journal.record(CallRinging(**self._caller(call), ring=call.tracker.rings,
                                                cadence=self.cadence.name, caller_id_received=True))
        hang_up_blocked = call.blocked and self.cfg.blocklist_action == "hangup" and call.tracker.rings >= 1
        if call.answer_due is not None or hang_up_blocked:
            self._answer(call, now)

    def _on_handset(self, now: float) -> None:
        call = self.call
        if call is None or call.tracker.rings == 0:
            return
        self.call = None
        caller = self._caller(call)
        ms = int((now - call.last_ring_at) * 1000)
        self.ctx.journal.record_many([
            CallAnswered(**caller, by="staff", ring=call.tracker.rings, ms_from_ring=ms,
                         after_hours=self.after_hours()),
            CallEnded(**caller, outcome="answered_by_staff", rings=call.tracker.rings, reason="handset",
                      duration_s=round(time.monotonic() - call.started, 3))])

    def _ringing_stopped(self, call: ActiveCall) -> None:
        self.call = None
        caller = self._caller(call)
        ignored = call.blocked and self.cfg.blocklist_action == "ignore"
        self.ctx.journal.record_many([
            CallMissed(**caller, rings=call.tracker.rings, reason="blocked_ignored" if ignored else "stopped_ringing"),
            CallEnded(**caller, outcome="blocked" if ignored else "missed", rings=call.tracker.rings,
                      reason="stopped_ringing", duration_s=round(time.monotonic() - call.started, 3))])

    def _abandon_call(self, reason: MissedReason) -> None:
        """The modem went away while a call was in progress: close its record honestly."""
        call, self.call = self.call, None
        if call is None:
            return
        caller = self._caller(call)
        try:
            self.ctx.journal.record_many([
                CallMissed(**caller, rings=call.tracker.rings, reason=reason),
                CallEnded(**caller, outcome="missed", rings=call.tracker.rings, reason=reason,
                          duration_s=round(time.monotonic() - call.started, 3))])
        except JournalError:
            self.log.exception("phone: could not journal the end of call %s", call.call_id)

    # -- answering -------------------------------------------------------------------------------

    def _greeting(self, after_hours: bool) -> bytes:
        key = f"greeting:{after_hours}"
        if key not in self._audio:
            cfg = self.cfg
            files = [cfg.after_hours_greeting_zh, cfg.after_hours_greeting_en] if after_hours else []
            if not files or not all(files):
                files = [cfg.greeting_zh, cfg.greeting_en]
            gap = audio.silence(cfg.codec, 0.4)
            parts = []
            for f in (f for f in files if f is not None):
                try:
                    parts.append(audio.load_wav(Path(f), cfg.codec))
                except Exception as err:  # a bad greeting file must not stop calls being answered
                    self.log.error("phone: cannot use greeting %s: %s", f, err)
            self._audio[key] = gap.join(parts)
        return self._audio[key]

    def _answer(self, call: ActiveCall, ring_at: float) -> None:
        """Off-hook, greeting, menu, tone, message, hang up; each fact journaled as it happens."""
        self.call = None  # from here the call is ours; a lost modem below ends it via `owned`
        call.answer_due = None
        after = self.after_hours()
        ring_start = call.last_ring_at or ring_at
        outcome: Outcome = "no_message"
        reason, choice = "hangup", None
        try:
            try:
                self.modem.off_hook()
            except ModemRejected as err:
                self.log.error("phone: modem refused to answer: %s", err)
                self.call = call
                self._abandon_call("answer_failed")
                return
            off = time.monotonic()
            caller = self._caller(call)
            self.ctx.journal.record(CallAnswered(**caller, by="agent", ring=call.tracker.rings,
                                                 ms_from_ring=int((off - ring_start) * 1000), after_hours=after))
            if call.blocked:
                reason = "blocked"
                outcome = "blocked"
            else:
                outcome, reason, choice = self._take_message(call, caller, after)
            self.modem.hang_up(idle_voice=self.cfg.idle_voice_mode)
        except ModemError as err:
            self.log.warning("phone: line failed during call %s: %s", call.call_id, err)
            if not getattr(err, "call_ended", False):
                self._end(call, outcome, "modem_lost", choice)
            raise
        self._end(call, outcome, reason, choice)

    def _end(self, call: ActiveCall, outcome: Outcome, reason: str, choice: str | None) -> None:
        self.ctx.journal.record(CallEnded(**self._caller(call), outcome=outcome, rings=call.tracker.rings,
                                          reason=reason, duration_s=round(time.monotonic() - call.started, 3),
                                          menu_choice=choice))

    def _live_feed(self, call: ActiveCall, path: Path) -> LiveFeed | None:
        """A stream to the transcription service for this message, if one is running."""
        transcriber = self.ctx.transcriber
        if transcriber is None:
            return None
        return LiveFeed(transcriber, call_id=call.call_id, path=path, codec=self.cfg.codec, rate=audio.RATE,
                        log=self.log)

    def _take_message(self, call: ActiveCall, caller: dict[str, Any],
                      after: bool) -> tuple[Outcome, str, str | None]:
        cfg, codec = self.cfg, self.cfg.codec
        played = self.modem.play(self._greeting(after), dtmf=cfg.dtmf_menu)
        choice = None
        if played.event in ("hangup", "busy"):
            return "no_message", "hangup_during_greeting", None
        if cfg.dtmf_menu:
            digits = played.digits
            if not digits and cfg.menu_wait_s > 0:
                waited = self.modem.play(audio.silence(codec, cfg.menu_wait_s), dtmf=True)
                if waited.event in ("hangup", "busy"):
                    return "no_message", "hangup_during_menu", None
                digits = waited.digits
            for d in digits:
                if d in cfg.menu:
                    choice = cfg.menu[d]
                    break
        tone = self.modem.play(audio.beep(codec))
        if tone.event in ("hangup", "busy"):
            return "no_message", "hangup_during_greeting", choice
        lost: ModemError | None = None
        day = datetime.now(UTC).astimezone(self.zone).strftime("%Y-%m-%d")
        path = self.recordings / day / f"{call.call_id}.wav"
        live = self._live_feed(call, path)
        audio_bytes = b""
        try:
            try:
                rec = self.modem.record(max_s=cfg.record_max_s, silence_s=cfg.record_silence_s,
                                        on_audio=live.write if live else None)
                audio_bytes, stop = rec.audio, rec.stop_reason
            except ModemError as err:  # keep what was heard before the line went
                lost = err
                audio_bytes, stop = self.modem.partial_recording(), "line_lost"
        finally:
            if live is not None:
                # Hung up: the transcriber finishes while the file is written and journaled.
                live.close() if audio_bytes else live.abort()
        if stop == "dtmf":
            stop = "hangup"
        if audio_bytes:
            digest = audio.write_message(path, audio_bytes, codec)
            self.ctx.journal.record(CallMessageRecorded(
                **caller, path=str(path), codec=codec, sample_rate=audio.RATE,
                duration_s=round(len(audio_bytes) / audio.RATE, 3), bytes=len(audio_bytes),
                # The modem's stop reasons are the schema's (its "dtmf" is mapped to a hang-up above).
                sha256=digest, stop_reason=cast(StopReason, stop), menu_choice=choice))
        if lost is not None:
            self._end(call, "message" if audio_bytes else "no_message", "modem_lost", choice)
            lost.call_ended = True  # type: ignore[attr-defined]
            raise lost
        return ("message" if audio_bytes else "no_message"), stop, choice
