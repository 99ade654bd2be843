"""The virtual printer: a TCP server that behaves like an ESC/POS receipt printer on port 9100.

* DLE EOT n is answered as soon as it arrives (real time), even while printing is stopped;
* GS r n is answered only when everything before it has been processed;
* states can be set at any time: paper near end, paper out, cover open, offline, cutter error,
  or mute (never answers anything); while paper is out, the cover open or the printer offline,
  received data waits in the buffer and printing resumes when the state clears;
* faults for tests: run out of paper after N processed bytes, drop the connection after N bytes;
* what it printed is kept as a SlipRenderer (PNG, text lines, one image per cut slip).

A malformed stream is logged and recorded in `errors`; the connection's unparsed data is dropped
and the printer keeps serving, as a real printer would keep running.
"""
from __future__ import annotations

import logging
import select
import socket
import struct
import threading
from dataclasses import dataclass, field

from .parser import MalformedStream, Op, StreamParser
from .render import SlipRenderer

log = logging.getLogger(__name__)


@dataclass
class PrinterState:
    """The conditions the virtual printer reports; set them through VirtualPrinter.set_state()."""

    paper_near_end: bool = False
    paper_out: bool = False
    cover_open: bool = False
    offline: bool = False
    cutter_error: bool = False
    mute: bool = False  # answers nothing: no status, no GS r

    @property
    def halted(self) -> bool:
        """True while printing is stopped: paper out, cover open, offline or cutter error."""
        return self.paper_out or self.cover_open or self.offline or self.cutter_error

    def status_byte(self, n: int) -> int:
        """The reply to DLE EOT `n` (1-4) for the current conditions."""
        b = 0b00010010
        if n == 1 and self.halted:
            b |= 0x08
        elif n == 2:
            b |= (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0) | (0x40 if self.cutter_error else 0)
        elif n == 3:
            b |= 0x08 if self.cutter_error else 0
        elif n == 4:
            b |= (0x0C if self.paper_near_end else 0) | (0x60 if self.paper_out else 0)
        return b

    def paper_byte(self) -> int:
        """GS r 1 reply: bits 0-1 paper near end, bits 2-3 paper end."""
        return (0x03 if self.paper_near_end else 0) | (0x0C if self.paper_out else 0)


@dataclass
class _Conn:
    sock: socket.socket
    parser: StreamParser = field(default_factory=StreamParser)
    buf: bytearray = field(default_factory=bytearray)
    ops: list[Op] = field(default_factory=list)
    tail: bytes = b""
    received: int = 0
    base: int = 0  # bytes the printer had received on earlier connections


class VirtualPrinter:
    """An ESC/POS printer on a TCP port, served by threads of its own (see the module docstring);
    port 0 picks a free port, known after start()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, dots: int = 576) -> None:
        self.host, self._port, self.dots = host, port, dots
        self.state = PrinterState()
        self.renderer = SlipRenderer(dots)
        self.errors: list[str] = []
        self.received = bytearray()
        self.confirmations = 0
        self.connections = 0
        self.paper_out_after: int | None = None  # printer-wide byte offset where the paper runs out
        self.drop_after: int | None = None       # received bytes (per connection) until it vanishes
        self._processed = 0
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sock: socket.socket | None = None
        self.port = port

    # -- life ---------------------------------------------------------------------------------

    def start(self) -> VirtualPrinter:
        """Listen and accept connections in a background thread; returns self."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self._port))
        s.listen(8)
        self._sock = s
        self.port = s.getsockname()[1]
        t = threading.Thread(target=self._accept, name=f"vprinter-{self.port}", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    @property
    def url(self) -> str:
        """The printer URL to open it by, tcp://host:port."""
        return f"tcp://{self.host}:{self.port}"

    def stop(self) -> None:
        """Close the listening socket and join the threads (up to 2 s each)."""
        self._stop.set()
        if self._sock:
            try:
                self._sock.close()
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=2)

    def __enter__(self) -> VirtualPrinter:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def set_state(self, **flags: bool) -> None:
        """Set state flags by name (e.g. paper_out=True) under the lock; ValueError for an unknown name."""
        with self._lock:
            for k, v in flags.items():
                if not hasattr(self.state, k):
                    raise ValueError(f"unknown printer state {k!r}")
                setattr(self.state, k, bool(v))

    # -- what was printed ---------------------------------------------------------------------

    def slips(self):
        """What was printed, one image per cut slip."""
        with self._lock:
            return self.renderer.slips()

    def text(self) -> list[str]:
        """The text lines printed so far (the pending line included)."""
        with self._lock:
            self.renderer.finish()
            return list(self.renderer.text_lines)

    def save_png(self, path) -> None:
        """Save all paper printed so far to `path` as one image."""
        with self._lock:
            self.renderer.image().save(path)

    # -- serving ------------------------------------------------------------------------------

    def _accept(self) -> None:
        assert self._sock
        while not self._stop.is_set():
            try:
                r, _, _ = select.select([self._sock], [], [], 0.1)
                if not r:
                    continue
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self._threads = [x for x in self._threads if x.is_alive()] + [t]

    def _serve(self, sock: socket.socket) -> None:
        c = _Conn(sock, base=len(self.received))
        try:
            while not self._stop.is_set():
                r, _, _ = select.select([sock], [], [], 0.02)
                if r:
                    data = sock.recv(65536)
                    if not data:
                        break
                    if self._receive(c, data):
                        return  # dropped on purpose
                self._process(c)
            # Like a real printer, data already received is printed even after the host is gone
            # (e.g. once paper is loaded again).
            self._process(c)
            while c.ops and not self._stop.wait(0.02):
                self._process(c)
        except OSError:
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def _receive(self, c: _Conn, data: bytes) -> bool:
        c.received += len(data)
        with self._lock:
            self.received += data
        # Real-time commands are answered from the receive buffer, ahead of queued data.
        scan = c.tail + data
        i = scan.find(b"\x10\x04")
        while i >= 0 and i + 2 < len(scan):
            n = scan[i + 2]
            if 1 <= n <= 4 and not self.state.mute:
                c.sock.sendall(bytes([self.state.status_byte(n)]))
            i = scan.find(b"\x10\x04", i + 3)
        # Keep an unfinished DLE / DLE EOT at the end for the next piece.
        c.tail = b"\x10\x04" if scan.endswith(b"\x10\x04") else b"\x10" if scan.endswith(b"\x10") else b""
        c.buf += data
        if self.drop_after is not None and c.received >= self.drop_after:
            self.drop_after = None
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.sock.close()
            return True
        return False

    def _process(self, c: _Conn) -> None:
        with self._lock:
            if c.buf:
                try:
                    ops, used = c.parser.parse(bytes(c.buf), final=False)
                except MalformedStream as err:
                    self.errors.append(str(err))
                    log.warning("virtual printer: malformed stream: %s", err)
                    c.buf.clear()
                    c.parser = StreamParser()
                    ops, used = err.ops, 0
                del c.buf[:used]
                c.ops.extend(ops)
            while c.ops:
                if self.state.halted:
                    return
                op = c.ops[0]
                if self.paper_out_after is not None and c.base + op.offset >= self.paper_out_after:
                    self.paper_out_after = None
                    self.state.paper_out = True
                    return
                c.ops.pop(0)
                if op.kind == "gs_r":
                    self.renderer.finish()
                    if not self.state.mute:
                        try:
                            c.sock.sendall(bytes([self.state.paper_byte()]))
                            self.confirmations += 1
                        except OSError:
                            pass  # the host left before the job finished
                    continue
                try:
                    self.renderer.apply([op])
                except MalformedStream as err:
                    self.errors.append(str(err))
                    log.warning("virtual printer: %s", err)
