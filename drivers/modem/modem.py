"""The voice modem on a serial port: AT commands, caller ID mode, voice play and record, recovery.

A VoiceModem is a Device (drivers/device.py) opened by URL through the MODEMS registry:
`serial:/dev/ttyACM0` (a device path, a udev symlink or the emulator's pseudo-terminal),
`rfc2217://host:port` or `socket://host:port` (pyserial's network ports). States: "closed",
"open" (port open, modem not yet initialised), "ready" (initialised; the reason names the
family), "unresponsive" (a command went unanswered), "lost" (the port failed or vanished).
Calls that fail raise ModemError subclasses as well, since the caller must act at once.

One thread drives a VoiceModem (the phone service's); it reads and writes without a background
reader so there is never a race between a command's answer and unsolicited lines. Lines and DLE
events that are not the answer to a command (RING, caller ID, <DLE>H) are queued in `unsolicited`
and handed out by `poll()`.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import serial

from ..device import Device, DeviceError, DeviceKind, DeviceURL
from .callerid import CallerIdParser
from .dle import ABORT_RECORDING, END_PLAYBACK, ModemStream, shield
from .families import FAMILIES, GENERIC, T35, Family, codec_id, detect, parse_vsm_list

log = logging.getLogger(__name__)

FINAL = ("OK", "ERROR", "NO CARRIER", "BUSY", "NO DIALTONE", "NO ANSWER", "VCON", "CONNECT", "+CME ERROR")
HANGUP_EVENTS = {"l": "hangup", "b": "busy", "d": "hangup", "L": "hangup"}
SILENCE_EVENTS = {"s": "silence", "q": "silence"}
SAMPLE_RATE = 8000


class ModemError(DeviceError):
    """Base of the driver's errors."""


class ModemLost(ModemError):
    """The port failed or vanished (unplugged, reset); reopen it."""


class ModemTimeout(ModemError):
    """The modem did not answer a command in time: it may be wedged."""


class ModemRejected(ModemError):
    """The modem answered ERROR to a command that had to succeed."""


def is_ring(line: str) -> bool:
    """True for a RING report: a line starting with RING, at most six characters (case and padding ignored)."""
    s = line.strip().upper()
    return s.startswith("RING") and len(s) <= 6


@dataclass
class Identity:
    """What initialise() found: the family, the identity answers, the caller-ID command that worked,
    the voice codecs (AT+VSM id -> name) and whether AT+GCI took the country."""

    family: Family
    lines: dict[str, list[str]] = field(default_factory=dict)
    caller_id_command: str | None = None
    codecs: dict[int, str] = field(default_factory=dict)
    country_set: bool = False

    def to_json(self) -> dict:
        """A JSON-ready report (the base of what `frontdesk phone probe` prints)."""
        return {"family": self.family.name, "label": self.family.label, "identity": self.lines,
                "caller_id": self.caller_id_command, "voice": bool(self.codecs),
                "voice_codecs": {str(k): v for k, v in self.codecs.items()}, "country_set": self.country_set}


@dataclass
class PlayResult:
    """How play() ended: `completed`, or the `event` that stopped it, the DTMF digits heard and bytes sent."""

    completed: bool
    event: str | None = None  # "hangup", "busy", "handset", "dtmf"
    digits: str = ""
    bytes_sent: int = 0


@dataclass
class RecordResult:
    """A recording (in the line codec), why it stopped, and the DTMF digits heard."""

    audio: bytes
    stop_reason: str  # silence | hangup | busy | max_length | line_lost
    digits: str = ""


class VoiceModem(Device):
    """A V.253 voice modem Device; not thread-safe, driven by one thread (see the module docstring)."""

    kind = "modem"

    def __init__(self, *, url: str, port: str, family: str | None = None, country: str = "cn",
                 baudrate: int = 115200, time_scale: float = 1.0, codec: str = "pcm_u8",
                 command_timeout: float = 3.0) -> None:
        super().__init__(url=url)
        if family is not None and family not in FAMILIES:
            raise ValueError(f"unknown modem family {family!r} (choose from {', '.join(FAMILIES)})")
        self.port = port
        self.forced_family = FAMILIES.get(family) if family else None
        self.country = country
        self.baudrate = baudrate
        self.scale = time_scale
        self.codec = codec
        self.command_timeout = command_timeout
        self.ser: serial.SerialBase | None = None
        self.stream = ModemStream()
        self.unsolicited: deque[tuple[str, object]] = deque()
        self.identity: Identity | None = None
        self.voice_class = False
        self._rx_audio = bytearray()
        self._on_audio: Callable[[bytes], None] | None = None

    # -- port ------------------------------------------------------------------------------------

    def _connect(self) -> None:
        try:
            self.ser = serial.serial_for_url(self.port, baudrate=self.baudrate, timeout=0.05, write_timeout=5,
                                             rtscts=False, xonxoff=False)
        except (serial.SerialException, OSError, ValueError) as err:
            self.ser = None
            raise self._lost(f"cannot open {self.port}: {err}") from None
        self.stream = ModemStream()
        self.unsolicited.clear()
        self.voice_class = False
        self._set_state("open", self.port)

    def _disconnect(self) -> None:
        ser, self.ser = self.ser, None
        if ser is not None:
            try:
                ser.close()
            except Exception:  # closing a vanished port may fail; it is gone either way
                pass

    def _lost(self, message: str) -> ModemLost:
        self._set_state("lost", message)
        return ModemLost(message)

    def _unresponsive(self, message: str) -> ModemTimeout:
        self._set_state("unresponsive", message)
        return ModemTimeout(message)

    def _read(self, timeout: float) -> list[tuple[str, object]]:
        if self.ser is None:
            raise ModemLost("port is closed")
        try:
            self.ser.timeout = max(0.0, timeout)
            first = self.ser.read(1)
            data = first + (self.ser.read(self.ser.in_waiting) if first and self.ser.in_waiting else b"")
        except (serial.SerialException, OSError, TypeError, AttributeError) as err:
            raise self._lost(f"{self.port}: read failed: {err}") from None
        return self.stream.feed(data) if data else []

    def write(self, data: bytes) -> None:
        """Write raw bytes to the port; raises ModemTimeout when the write times out, ModemLost when
        the port failed or is closed."""
        if self.ser is None:
            raise ModemLost("port is closed")
        try:
            self.ser.write(data)
        except serial.SerialTimeoutException:
            raise self._unresponsive(f"{self.port}: write timed out") from None
        except (serial.SerialException, OSError, TypeError, AttributeError) as err:
            raise self._lost(f"{self.port}: write failed: {err}") from None

    # -- commands --------------------------------------------------------------------------------

    def command(self, cmd: str, timeout: float | None = None, *, check: bool = False) -> tuple[bool, list[str]]:
        """Send one AT command; (ok, response lines). Unsolicited lines go to the queue."""
        self.write(cmd.encode("ascii") + b"\r")
        deadline = time.monotonic() + (timeout or self.command_timeout)
        lines: list[str] = []
        final: str | None = None
        while final is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._unresponsive(f"no answer to {cmd}")
            for kind, value in self._read(min(left, 0.1)):
                if final is not None or kind != "line":
                    self.unsolicited.append((kind, value))  # after the answer: keep for poll()
                    continue
                line = str(value)
                if line == cmd or line.upper() == cmd.upper():
                    continue  # echo (before ATE0 took effect)
                if is_ring(line) or _looks_unsolicited(line):
                    self.unsolicited.append((kind, value))
                    continue
                if line.startswith(FINAL):
                    final = line
                    continue
                lines.append(line)
        ok = final.startswith(("OK", "VCON", "CONNECT"))
        if check and not ok:
            raise ModemRejected(f"{cmd}: {final}")
        return ok, lines

    def poll(self, timeout: float) -> list[tuple[str, object]]:
        """Unsolicited items: queued ones first, else whatever arrives within `timeout`."""
        if self.unsolicited:
            items = list(self.unsolicited)
            self.unsolicited.clear()
            return items
        return self._read(timeout)

    # -- identity and initialisation ---------------------------------------------------------

    def reset(self) -> None:
        """ATZ (allowing at least 5 s), with a fresh stream decoder; the driver then assumes data class."""
        self.stream = ModemStream()
        self.command("ATZ", timeout=max(self.command_timeout, 5.0))
        self.voice_class = False

    def initialise(self, *, idle_voice: bool = True) -> Identity:
        """ATZ, echo off, verbose codes, family, country, caller ID on (with fallbacks), voice codecs."""
        self.reset()
        self.command("ATE0")
        self.command("ATV1", check=True)
        lines: dict[str, list[str]] = {}
        for q in ("ATI", "ATI3", "AT+FMI", "AT+GMM"):
            ok, resp = self.command(q)
            if ok:
                lines[q] = resp
        fam = self.forced_family or detect(" ".join(" ".join(v) for v in lines.values()))
        ident = Identity(fam, lines)
        gci = T35.get(self.country.lower())
        if gci:
            ident.country_set, _ = self.command(f"AT+GCI={gci}")
        ident.caller_id_command = self.enable_caller_id(fam)
        ok, resp = self.command("AT+FCLASS=8")
        if ok:
            vsm_ok, vsm = self.command("AT+VSM=?")
            ident.codecs = parse_vsm_list(vsm) if vsm_ok else {}
            if not ident.codecs and fam is not GENERIC:
                ident.codecs = {v: k.upper() for k, v in fam.codecs.items()}
        if not idle_voice or not ok:
            self.command("AT+FCLASS=0")
        self.voice_class = bool(idle_voice and ok)
        self.identity = ident
        self._set_state("ready", f"{fam.label} on {self.port}")
        return ident

    def enable_caller_id(self, fam: Family | None = None) -> str | None:
        """Try the family's caller-ID commands, then the generic ones; returns the one the modem
        accepted, or None (logged; calls are still answered)."""
        fam = fam or (self.identity.family if self.identity else GENERIC)
        for cmd in fam.cid_commands + tuple(c for c in GENERIC.cid_commands if c not in fam.cid_commands):
            ok, _ = self.command(cmd)
            if ok:
                return cmd
        log.warning("%s: the modem accepts none of the caller-ID commands; calls are still answered", self.port)
        return None

    def reassert_caller_id(self) -> None:
        """Some modems forget caller-ID mode after a reset or a call: set it again."""
        if self.identity and self.identity.caller_id_command:
            self.command(self.identity.caller_id_command)

    def ping(self, timeout: float = 2.0) -> bool:
        """True if the modem answers AT with OK within `timeout` seconds; raises ModemTimeout if it does not answer."""
        ok, _ = self.command("AT", timeout=timeout)
        return ok

    # -- recovery --------------------------------------------------------------------------------

    def recover(self) -> str:
        """A modem that stopped answering AT: escape to command mode, ATZ, then drop DTR.

        Returns the step that worked; raises ModemTimeout if none did (a power cycle is needed).
        """
        guard = max(0.05, 1.1 * self.scale)
        try:
            time.sleep(guard)
            self.write(b"+++")
            time.sleep(guard)
            self._drain()
            if self.ping(timeout=min(1.0, self.command_timeout)):
                return self._recovered("escape")
        except ModemTimeout:
            pass
        try:
            self._drain()
            self.command("ATZ", timeout=self.command_timeout)
            if self.ping(timeout=min(1.0, self.command_timeout)):
                return self._recovered("atz")
        except ModemTimeout:
            pass
        # DTR drop: on a real port toggle the line; a port that cannot (a pty) drops it on close.
        try:
            if self.ser is not None:
                self.ser.dtr = False
                time.sleep(guard)
                self.ser.dtr = True
        except (serial.SerialException, OSError, ValueError, AttributeError):
            pass
        self.close()
        time.sleep(guard)
        self.open()
        try:
            if self.ping(timeout=self.command_timeout):
                return self._recovered("dtr")
        except ModemTimeout:
            pass
        raise self._unresponsive("modem does not answer after escape, ATZ and DTR drop")

    def _recovered(self, step: str) -> str:
        self._set_state("open", f"answering again after {step}")
        return step

    def _drain(self) -> None:
        self.stream = ModemStream()
        self._read(0.02)

    # -- voice -----------------------------------------------------------------------------------

    def codec_id(self) -> int:
        """The AT+VSM id of the configured codec, from the modem's own list when initialise() read one."""
        fam = self.identity.family if self.identity else GENERIC
        return codec_id(fam, self.codec, self.identity.codecs if self.identity else None)

    def off_hook(self) -> None:
        """Answer in voice mode: voice class, codec, line to the modem (off-hook)."""
        if not self.voice_class:
            self.command("AT+FCLASS=8", check=True)
            self.voice_class = True
        self.command(f"AT+VSM={self.codec_id()},{SAMPLE_RATE}", check=True)
        self.command("AT+VLS=1", check=True)

    def hang_up(self, *, idle_voice: bool = True) -> None:
        """ATH0, back to data class unless `idle_voice`, and caller ID set again."""
        self.command("ATH0")
        if not idle_voice:
            self.command("AT+FCLASS=0")
            self.voice_class = False
        self.reassert_caller_id()

    def play(self, audio: bytes, *, lead_s: float = 0.25, dtmf: bool = False) -> PlayResult:
        """Play audio (already in the line codec), paced at the sample rate; stop on hang-up.

        Data is written only a little ahead of the modem's clock (as its buffer is small), so
        a hang-up reported mid-greeting ends playback at once.
        """
        ok, _ = self.command("AT+VTX")
        if not ok:
            raise ModemRejected("AT+VTX refused")
        rate = SAMPLE_RATE / self.scale
        start = time.monotonic()
        sent, result = 0, PlayResult(completed=True)
        while sent < len(audio):
            due = min(len(audio), int((time.monotonic() - start + lead_s * self.scale) * rate))
            if due > sent:
                self.write(shield(audio[sent:due]))
                sent = due
            stop = self._voice_events(self._read(0.005 if self.scale < 1 else 0.02), result, dtmf)
            if stop:
                result.completed = False
                break
        result.bytes_sent = sent
        self.write(END_PLAYBACK)
        self._wait_final(5.0, result, dtmf)
        return result

    def _voice_events(self, items: list[tuple[str, object]], result: PlayResult, dtmf: bool) -> bool:
        stop = False
        for kind, value in items:
            if kind == "dle" and value in HANGUP_EVENTS:
                result.event, stop = HANGUP_EVENTS[value], True
            elif kind == "dtmf":
                result.digits += str(value)
                if dtmf:
                    result.event, stop = "dtmf", True
            elif kind == "line" and is_ring(str(value)):
                continue
            elif kind == "line" and str(value).startswith(("NO CARRIER",)):
                result.event, stop = "hangup", True
        return stop

    def _wait_final(self, timeout: float, result: PlayResult | None = None, dtmf: bool = False) -> None:
        deadline = time.monotonic() + timeout
        done = False
        while time.monotonic() < deadline and not done:
            for kind, value in self._read(0.05):
                if done:
                    self.unsolicited.append((kind, value))
                elif kind == "line" and str(value).startswith(FINAL):
                    done = True
                elif result is not None and kind in ("dle", "dtmf"):
                    self._voice_events([(kind, value)], result, False)
                elif kind == "line":
                    self.unsolicited.append((kind, value))
        if not done:
            raise ModemTimeout("no OK after voice data")

    def record(self, *, max_s: float, silence_s: float = 5.0, dtmf_stop: bool = False,
               on_audio: Callable[[bytes], None] | None = None) -> RecordResult:
        """AT+VRX: collect the caller's audio (DLE unescaped) until silence, hang-up or max length.

        `on_audio`, if given, is called with each unescaped chunk as it arrives (in order; the
        chunks concatenate to RecordResult.audio), so a listener can follow the message while it
        is spoken. It runs on the reading thread, so it must return quickly; an exception from it
        is logged and the recording carries on.
        """
        # Silence detection: the modem reports <DLE>s after silence_s of quiet (AT+VSD sensitivity,
        # duration in 0.1 s units). Not all modems take it; the max length still bounds the call.
        self.command(f"AT+VSD=128,{max(1, int(silence_s * 10))}")
        self.stream.expect_audio()
        ok, _ = self.command("AT+VRX")
        if not ok:
            self.stream.expect_audio(False)
            raise ModemRejected("AT+VRX refused")
        audio = self._rx_audio = bytearray()
        self._on_audio = on_audio
        # Audio and events that arrived in the same read as CONNECT.
        pending = [i for i in self.unsolicited if i[0] in ("audio", "dle", "dtmf")]
        for i in pending:
            self.unsolicited.remove(i)
        deadline = time.monotonic() + max_s * self.scale
        reason, digits = None, ""
        items = pending
        while reason is None:
            for kind, value in items:
                if kind == "audio":
                    self._keep(audio, value)  # type: ignore[arg-type]
                elif kind == "dle":
                    if value in HANGUP_EVENTS:
                        reason = HANGUP_EVENTS[value]
                    elif value in SILENCE_EVENTS:
                        reason = "silence"
                    elif value == "ETX":
                        reason = reason or "hangup"
                elif kind == "dtmf":
                    digits += str(value)
                    if dtmf_stop:
                        reason = "dtmf"
                if reason:
                    break
            if reason is None and time.monotonic() >= deadline:
                reason = "max_length"
                # Whatever is already buffered within the limit is part of the message.
            if reason is None:
                items = self._read(0.02)
        if self.stream.audio_mode:
            self.write(ABORT_RECORDING)
            self._finish_rx(audio)
        self.stream.leave_audio()
        self._on_audio = None  # the message is complete: the listener has had all of it
        finals = [i for i in self.unsolicited if i[0] == "line" and str(i[1]).startswith(FINAL)]
        if finals:
            self.unsolicited.remove(finals[0])
            return RecordResult(bytes(audio), reason, digits)
        try:
            self._wait_final(3.0)
        except ModemTimeout:
            self.write(b"\r")
            self.ping(timeout=1.0)
        return RecordResult(bytes(audio), reason, digits)

    def _keep(self, audio: bytearray, chunk: bytes) -> None:
        audio += chunk
        if self._on_audio is not None:
            try:
                self._on_audio(chunk)
            except Exception:  # a listener's failure must not cost the caller's message
                log.exception("%s: audio listener failed; it gets no more audio of this message", self.port)
                self._on_audio = None

    def partial_recording(self) -> bytes:
        """Audio received by a record() that failed (the port vanished mid-message)."""
        return bytes(self._rx_audio)

    def _finish_rx(self, keep: bytearray | None) -> None:
        """After <DLE>! the modem may still send buffered audio before <DLE><ETX>: it is the
        caller's, so it is kept."""
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and self.stream.audio_mode:
            for kind, value in self._read(0.05):
                if kind == "audio" and keep is not None:
                    self._keep(keep, value)  # type: ignore[arg-type]
                elif kind == "line":
                    self.unsolicited.append((kind, value))
        if self.stream.audio_mode:
            raise ModemTimeout("recording did not end after <DLE>!")


def _looks_unsolicited(line: str) -> bool:
    return CallerIdParser.is_cid_line(line)


# -- the modem schemes ----------------------------------------------------------------------------

MODEMS: DeviceKind[VoiceModem] = DeviceKind("modem")


def _serial(u: DeviceURL, **options: Any) -> VoiceModem:
    return VoiceModem(url=u.text, port=u.target, **options)


def _pyserial(u: DeviceURL, **options: Any) -> VoiceModem:
    # pyserial's network ports read their own options from the query.
    return VoiceModem(url=u.text, port=u.text, **options)


MODEMS.register("serial", _serial, example="serial:/dev/ttyACM0")
MODEMS.register(("rfc2217", "socket"), _pyserial, example="rfc2217://10.0.0.7:4000", options=None)

open_modem = MODEMS.open
