"""The emulated modem: AT command set, ringing, caller ID, voice streams, wedging, unplugging.

It behaves like a USRobotics 5637 or a Conexant CX93001 (the differences that matter to the
agent: identification strings, AT+VSM codec ids, AT-SCID, how a ring shows up in voice class),
as the driver's Family description of each says (drivers/modem/families.py). The AT command
set is a dispatch table (commands.py).
Time can be scaled: with time_scale=0.01 a 6 s ring cycle takes 60 ms and audio runs 100x fast.
"""
from __future__ import annotations

import errno
import heapq
import itertools
import logging
import os
import select
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..callerid import build_mdmf, build_sdmf
from ..dle import DLE, ETX, ModemStream, shield
from ..families import EMULATED
from ..rings import cadence as parse_cadence
from .commands import RATE, dispatch

log = logging.getLogger(__name__)

@dataclass
class CallSpec:
    """One incoming call, as the line and the caller behave."""

    cadence: str = "cn"
    number: str | None = "13800138000"
    name: str | None = None
    absent: str | None = None  # "P" private / "O" out of area, instead of a number
    date: str = "0321"
    time: str = "1405"
    cid_format: str = "formatted"  # formatted | sdmf | mdmf | none
    cid_position: str = "between"  # before | between | none
    cid_lines: list[str] | None = None  # exact lines to send instead of generated ones
    ring_in_block: bool = False  # a RING arrives in the middle of the caller-ID block
    rings_max: int = 8  # the caller gives up after this many unanswered rings
    handset_at_ring: int | None = None  # a local extension picks up after this ring
    hangup_after_s: float | None = None  # caller hangs up this long after the line is answered
    message: bytes = b""  # what the caller says, in the line codec (unsigned 8-bit by default)
    end: str = "l"  # after the message: l (loop break) | b (busy tone) | silence | none
    trailing_silence_s: float = 1.0  # for end="silence": quiet before <DLE>s
    dtmf: str | None = None  # digits pressed during the greeting
    dtmf_at_s: float = 0.3
    garbage: bytes = b""  # serial noise before the call


@dataclass
class CallRecord:
    """What happened on one emulated call (rings, answer, audio both ways, hang-up); `done` is set when it ended."""

    spec: CallSpec
    rings: int = 0
    cid_sent: bool = False
    answered_at_ring: int | None = None
    handset: bool = False
    abandoned: bool = False
    played: bytearray = field(default_factory=bytearray)  # audio the agent played (unshielded)
    source: bytearray = field(default_factory=bytearray)  # audio sent to the agent (before shielding)
    hung_up_by_caller: bool = False
    hung_up_at: float | None = None  # time.monotonic() when the caller hung up (latency measurements)
    on_hook: bool = False
    done: threading.Event = field(default_factory=threading.Event)


class ModemEmulator:
    """An emulated voice modem of one family on a pseudo-terminal, driven by a thread of its own:
    answers AT commands, places scheduled calls and injects faults. Delays are multiplied by `time_scale`."""

    def __init__(self, family: str = "usr5637", *, time_scale: float = 1.0, link: str | Path | None = None,
                 vcid_supported: bool = True) -> None:
        if family not in EMULATED:
            raise ValueError(f"unknown modem family {family!r} (choose from {', '.join(EMULATED)})")
        self.family = EMULATED[family]
        self.scale = time_scale
        self.link = Path(link) if link else None
        self.vcid_supported = vcid_supported
        self.calls: list[CallRecord] = []
        self.commands: list[str] = []  # every AT command received, for inspection
        self._lock = threading.RLock()
        self._timers: list[tuple[float, int, object]] = []
        self._seq = itertools.count()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master: int | None = None
        self.slave_path: str | None = None
        self._out = bytearray()
        self._reset_state()
        self.wedged: str | None = None
        self.unplugged = False

    # -- lifecycle -------------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self.echo, self.verbose, self.fclass, self.vcid = True, True, 0, 0
        self.vsm = min(self.family.vsm)
        self.gci = "B5"
        self.mode = "cmd"
        self.offhook = False
        self._cmdbuf = bytearray()
        self._tx = ModemStream()
        self._rx_pos = 0
        self._rx_data = b""
        self._rx_start = 0.0
        self._rx_end_sent = False
        self._last_was_dle = False
        self._plus = 0
        self._last_input = 0.0
        self.call: CallRecord | None = None

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        self.slave_path = os.ttyname(slave)
        os.close(slave)  # the agent holds the slave; its close is how a DTR drop shows here
        os.set_blocking(master, False)
        self._master = master
        self._host_open = False
        if self.link:
            tmp = self.link.with_name(self.link.name + ".new")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(self.slave_path)
            tmp.replace(self.link)

    @property
    def device(self) -> str:
        """The device path the agent opens: the stable link if one was asked for, else the pty."""
        return str(self.link) if self.link else str(self.slave_path)

    @property
    def url(self) -> str:
        """The modem URL the agent opens this emulator by (the stable link when there is one)."""
        return f"serial:{self.device}"

    def start(self) -> ModemEmulator:
        """Open the pty (and the link) and start the emulator thread; returns self."""
        self._open_pty()
        self._thread = threading.Thread(target=self._run, name=f"modem-emulator-{self.family.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread, close the pty and remove the link."""
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        if self._master is not None:
            os.close(self._master)
            self._master = None
        if self.link:
            self.link.unlink(missing_ok=True)

    def __enter__(self) -> ModemEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- faults ----------------------------------------------------------------------------------

    def unplug(self) -> None:
        """The USB cable is pulled: the port disappears (the agent sees read/write errors)."""
        with self._lock:
            self.unplugged = True
            if self.call and not self.call.done.is_set():
                self.call.on_hook = True
                self.call.done.set()
            self.call = None
            if self._master is not None:
                os.close(self._master)
                self._master = None
            if self.link:
                self.link.unlink(missing_ok=True)

    def replug(self) -> None:
        """The cable is plugged back in: a fresh pty (the link moved onto it) and power-on state."""
        with self._lock:
            self._reset_state()
            self._out.clear()
            self._open_pty()
            self.unplugged = False

    def wedge(self, until: str = "reopen") -> None:
        """Stop answering: until 'escape' (+++), 'reopen' (DTR drop / port closed) or 'forever'."""
        with self._lock:
            self.wedged = until

    def send_garbage(self, data: bytes) -> None:
        """Queue `data` to be sent to the agent as it is (serial noise)."""
        with self._lock:
            self._out += data

    # -- calls -----------------------------------------------------------------------------------

    def place_call(self, spec: CallSpec, delay_s: float = 0.0) -> CallRecord:
        """Schedule the call `spec` to begin `delay_s` (scaled) from now; returns its record, filled as it goes."""
        rec = CallRecord(spec)
        self._at(delay_s, lambda: self._begin_call(rec))
        return rec

    def _at(self, delay_s: float, fn) -> None:
        with self._lock:
            heapq.heappush(self._timers, (time.monotonic() + delay_s * self.scale, next(self._seq), fn))

    def _begin_call(self, rec: CallRecord) -> None:
        if self.call is not None and not self.call.done.is_set():
            self._at(1.0, lambda: self._begin_call(rec))  # line busy with the previous call
            return
        self.calls.append(rec)
        self.call = rec
        spec = rec.spec
        if spec.garbage:
            self._out += spec.garbage
        cad = parse_cadence(spec.cadence)
        lead = 0.0
        if spec.cid_position == "before" and spec.cid_format != "none":
            self._send_cid(rec, ring_between=False)
            lead = 0.5
        for i in range(spec.rings_max):
            start = lead + i * cad.period
            offsets = [0.0]
            if len(cad.pattern) > 2:  # double ring: some modems report each burst
                offsets.append(sum(cad.pattern[:2]))
            for off in offsets:
                self._at(start + off, lambda n=i + 1, first=(off == 0.0): self._ring(rec, n, first))
            if i == 0 and spec.cid_position == "between" and spec.cid_format != "none":
                at = start + cad.burst + 0.3 * cad.gap
                if spec.ring_in_block:
                    at = start + cad.period - 0.02
                self._at(at, lambda: self._send_cid(rec, ring_between=spec.ring_in_block))
        self._at(lead + spec.rings_max * cad.period, lambda: self._abandon(rec))

    def _ringing(self, rec: CallRecord) -> bool:
        return self.call is rec and rec.answered_at_ring is None and not rec.handset and not rec.done.is_set()

    def _ring(self, rec: CallRecord, n: int, first: bool) -> None:
        if not self._ringing(rec):
            return
        if first:
            rec.rings = n
        if self.fclass == 8 and self.family.dle_ring:
            self._out += bytes([DLE]) + b"R"
        else:
            self._result("RING")
        if first and rec.spec.handset_at_ring == n:
            self._at(parse_cadence(rec.spec.cadence).burst + 0.3, lambda: self._handset(rec))

    def _handset(self, rec: CallRecord) -> None:
        if not self._ringing(rec):
            return
        rec.handset = True
        if self.fclass == 8:
            self._out += bytes([DLE]) + b"H"
        self._at(2.0, lambda: self._finish(rec))

    def _abandon(self, rec: CallRecord) -> None:
        if self._ringing(rec):
            rec.abandoned = True
            self._finish(rec)

    def _finish(self, rec: CallRecord) -> None:
        rec.done.set()
        if self.call is rec:
            self.call = None

    def _cid_lines(self, spec: CallSpec) -> list[str] | str:
        if spec.cid_lines is not None:
            return list(spec.cid_lines)
        fmt = spec.cid_format
        if self.vcid == 2 and fmt == "formatted":
            fmt = "mdmf"
        if fmt == "sdmf":
            return build_sdmf(spec.number or spec.absent or "O", spec.date, spec.time)
        if fmt == "mdmf":
            return build_mdmf(spec.number, spec.name, spec.date, spec.time,
                              number_absent=spec.absent if spec.number is None else None)
        lines = [f"DATE = {spec.date}", f"TIME = {spec.time}", f"NMBR = {spec.number or spec.absent or 'O'}"]
        if spec.name is not None:
            lines.append(f"NAME = {spec.name}")
        return lines

    def _send_cid(self, rec: CallRecord, ring_between: bool) -> None:
        if not self._ringing(rec) or self.vcid == 0:
            return  # caller ID is sent on-hook only, while the line rings
        rec.cid_sent = True
        lines = self._cid_lines(rec.spec)
        if isinstance(lines, str):
            self._result(lines)
            return
        if ring_between:
            half = max(1, len(lines) // 2)
            for line in lines[:half]:
                self._result(line)
            def rest() -> None:
                if self.call is rec:
                    for x in lines[half:]:
                        self._result(x)
            self._at(0.04, rest)
            return
        for line in lines:
            self._result(line)

    # -- output ----------------------------------------------------------------------------------

    def _result(self, text: str) -> None:
        self._out += b"\r\n" + text.encode("utf-8") + b"\r\n"

    def _final(self, ok: bool) -> None:
        if self.verbose:
            self._result("OK" if ok else "ERROR")
        else:
            self._out += b"0\r" if ok else b"4\r"

    # -- input -----------------------------------------------------------------------------------

    def _on_input(self, data: bytes) -> None:
        now = time.monotonic()
        if self.wedged:
            self._wedged_input(data, now)
            return
        if self.mode == "tx":
            self._tx_input(data)
        elif self.mode == "rx":
            i = data.find(bytes([DLE]) + b"!")
            if i >= 0 or data.startswith(b"!") and self._last_was_dle:
                self._end_rx()
            self._last_was_dle = data.endswith(bytes([DLE]))
        else:
            self._cmd_input(data)
        self._last_input = now

    def _wedged_input(self, data: bytes, now: float) -> None:
        if self.wedged != "escape":
            return
        guard = 1.0 * self.scale
        for b in data:
            if b == ord("+") and (self._plus > 0 or now - self._last_input >= guard):
                self._plus += 1
            else:
                self._plus = 0
            self._last_input = now
        if self._plus >= 3:
            # Escape sequence recognised (the guard time after it is the host's to respect).
            self._plus = 0
            self.wedged = None
            self.mode = "cmd"
            self._cmdbuf.clear()
            self._final(True)

    def _cmd_input(self, data: bytes) -> None:
        for b in data:
            if self.echo:
                self._out.append(b)
            if b == 0x0D:
                line = self._cmdbuf.decode("latin-1").strip()
                self._cmdbuf.clear()
                if line:
                    dispatch(self, line)
                    if self.mode != "cmd":
                        return  # the rest of this read belongs to the voice stream (ignored here)
            elif b in (0x0A, 0x11, 0x13, DLE):
                continue
            elif len(self._cmdbuf) < 256:
                self._cmdbuf.append(b)

    # -- voice -----------------------------------------------------------------------------------

    def _offhook(self) -> None:
        self.offhook = True
        rec = self.call
        if rec is None or not self._ringing(rec):
            return
        rec.answered_at_ring = rec.rings
        spec = rec.spec
        if spec.hangup_after_s is not None:
            self._at(spec.hangup_after_s, lambda: self._caller_hangup(rec, "l"))
        if spec.dtmf:
            self._at(spec.dtmf_at_s, lambda: self._press(rec, spec.dtmf or ""))

    def _press(self, rec: CallRecord, digits: str) -> None:
        if self.call is not rec or rec.hung_up_by_caller or not self.offhook:
            return
        for d in digits:
            # Start mark, the digit reported three times while held, end mark.
            self._out += b"\x10/" + (b"\x10" + d.encode()) * 3 + b"\x10~"

    def _caller_hangup(self, rec: CallRecord, code: str) -> None:
        if self.call is not rec or rec.hung_up_by_caller or not self.offhook:
            return
        rec.hung_up_by_caller = True
        rec.hung_up_at = time.monotonic()
        if self.mode in ("tx", "rx") or self.fclass == 8:
            self._out += bytes([DLE]) + code.encode()

    def _hangup(self) -> None:
        self.offhook = False
        rec = self.call
        if self.mode == "rx":
            self.mode = "cmd"
        if rec is not None and (rec.answered_at_ring is not None or rec.hung_up_by_caller):
            rec.on_hook = True
            self._finish(rec)

    def _tx_input(self, data: bytes) -> None:
        rest = b""
        for kind, value in self._tx.feed(data):
            if kind == "audio":
                if self.call is not None:
                    self.call.played += value  # type: ignore[arg-type]
            elif kind == "dle" and value == "ETX":
                self.mode = "cmd"
            elif kind == "line" and self.mode == "cmd":
                rest += str(value).encode() + b"\r"
        if self.mode == "cmd":
            self._final(True)
            if rest:
                self._cmd_input(rest)

    def _start_rx(self) -> None:
        rec = self.call
        self.mode = "rx"
        self._last_was_dle = False
        self._rx_pos = 0
        self._rx_start = time.monotonic()
        self._rx_end_sent = False
        self._rx_data = b""
        self._result("CONNECT")
        if rec is None or rec.hung_up_by_caller:
            self._rx_end(rec, "b")  # nobody on the line: busy/reorder tone
            return
        spec = rec.spec
        data = spec.message
        if spec.end == "silence":
            data += bytes([0xFF if self.vsm == 131 else 0x80]) * int(spec.trailing_silence_s * RATE)
        self._rx_data = data

    def _rx_end(self, rec: CallRecord | None, code: str) -> None:
        self._rx_end_sent = True
        if rec is not None and code in ("l", "b"):
            rec.hung_up_by_caller = True
            rec.hung_up_at = rec.hung_up_at or time.monotonic()
        self._out += bytes([DLE]) + code.encode()

    def _rx_tick(self) -> None:
        if self.mode != "rx" or self._rx_end_sent:
            return
        rec = self.call
        if rec is None or rec.hung_up_by_caller:
            self._rx_end(rec, "l")
            return
        due = min(len(self._rx_data), int((time.monotonic() - self._rx_start) / self.scale * RATE))
        if due > self._rx_pos:
            chunk = self._rx_data[self._rx_pos:due]
            rec.source += chunk
            self._out += shield(chunk)
            self._rx_pos = due
        if self._rx_pos >= len(self._rx_data):
            end = rec.spec.end
            if end == "none":
                # An open line that stays quiet: keep sending silence until the agent stops.
                self._rx_data += bytes([0xFF if self.vsm == 131 else 0x80]) * RATE
                return
            self._rx_end(rec, {"silence": "s", "b": "b"}.get(end, "l"))

    def _end_rx(self) -> None:
        self.mode = "cmd"
        self._out += bytes([DLE, ETX])
        self._final(True)

    # -- loop ------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                master = self._master
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    _, _, fn = heapq.heappop(self._timers)
                    try:
                        if not self.wedged and not self.unplugged:
                            fn()  # type: ignore[operator]
                    except Exception:
                        log.exception("emulator timer failed")
                if not self.wedged:
                    self._rx_tick()
                wait = 0.05
                if self._timers:
                    wait = max(0.0, min(wait, self._timers[0][0] - time.monotonic()))
                if self.mode == "rx":
                    wait = min(wait, 0.002)
            if master is None:
                time.sleep(0.005)
                continue
            wlist = [master] if self._out and self._host_open else []
            try:
                r, w, _ = select.select([master], wlist, [], wait)
            except (OSError, ValueError):
                time.sleep(0.005)
                continue
            with self._lock:
                if self._master != master:
                    continue
                if r:
                    try:
                        data = os.read(master, 65536)
                        if not self._host_open:
                            self._host_open = True
                        if data:
                            self._on_input(data)
                    except BlockingIOError:
                        pass
                    except OSError as err:
                        if err.errno == errno.EIO:
                            self._host_closed()
                            time.sleep(0.002)
                if self._out and (w or not wlist):
                    try:
                        n = os.write(master, bytes(self._out[:65536]))
                        self._host_open = True
                        del self._out[:n]
                    except BlockingIOError:
                        pass
                    except OSError as err:
                        if err.errno == errno.EIO:
                            self._host_closed()

    def _host_closed(self) -> None:
        """No process holds the port: for a modem that is DTR dropping, i.e. a reset (&D3)."""
        if self._host_open:
            self._host_open = False
            if self.wedged == "reopen":
                self.wedged = None
            if self.offhook:
                self._hangup()
            self._reset_state_keep_call()
            self._out.clear()

    def _reset_state_keep_call(self) -> None:
        call = self.call
        self._reset_state()
        self.call = call
