"""The virtual printer and the transports: real-time status, GS r confirmation, states,
"no answer" versus "paper out", malformed streams, and the serial transport over a real pty."""
from __future__ import annotations

import os
import pty
import socket
import threading
import time
import tty

import pytest

from frontdesk.drivers.device import DeviceURLError
from frontdesk.drivers.printer import (
    Composer,
    PrinterGone,
    PrinterNoAnswer,
    PrinterNotReady,
    PrinterUnreachable,
    get_profile,
    open_printer,
)
from frontdesk.drivers.printer.status import PrinterStatus, is_status_byte
from frontdesk.drivers.printer.virtual import MalformedStream, render_stream


def raw_query(vp, data: bytes, n: int = 1, timeout: float = 1.0) -> bytes:
    with socket.create_connection(("127.0.0.1", vp.port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while len(out) < n:
                chunk = s.recv(16)
                if not chunk:
                    break
                out += chunk
        except TimeoutError:
            pass
        return out


@pytest.mark.parametrize("state,n,bit", [("offline", 1, 0x08), ("cover_open", 2, 0x04), ("paper_out", 2, 0x20),
                                         ("cutter_error", 2, 0x40), ("cutter_error", 3, 0x08),
                                         ("paper_near_end", 4, 0x0C), ("paper_out", 4, 0x60)])
def test_status_bytes_follow_the_fixed_pattern_and_carry_the_state(vprinter, state, n, bit):
    ok = raw_query(vprinter, b"\x10\x04" + bytes([n]))
    assert len(ok) == 1 and is_status_byte(ok[0]) and ok[0] & bit == 0
    vprinter.set_state(**{state: True})
    bad = raw_query(vprinter, b"\x10\x04" + bytes([n]))
    assert is_status_byte(bad[0]) and bad[0] & bit == bit


@pytest.mark.parametrize("state", ["paper_out", "cover_open", "offline", "cutter_error", "paper_near_end"])
def test_status_decodes_each_state(vprinter, state):
    p = open_printer(vprinter.url)
    try:
        assert p.status().state == "ready"
        vprinter.set_state(**{state: True})
        st = p.status()
        assert st.answered and st.state == state
        assert st.ready == (state == "paper_near_end")
    finally:
        p.close()


def test_a_printer_that_never_answers_is_no_answer_not_paper_out(vprinter):
    vprinter.set_state(mute=True)
    p = open_printer(vprinter.url)
    try:
        t0 = time.monotonic()
        st = p.status(timeout=0.3)
        took = time.monotonic() - t0
        assert not st.answered and st.state == "no_answer" and not st.paper_out
        assert 0.25 < took < 1.5
        with pytest.raises(PrinterNoAnswer):
            p.print_job(b"\x1b@hello\n", status_timeout=0.2)
        assert b"hello" not in bytes(vprinter.received)  # nothing was sent to a silent printer
    finally:
        p.close()


def test_gs_r_is_answered_only_after_the_data_before_it_was_printed(vprinter):
    p = open_printer(vprinter.url)
    try:
        vprinter.set_state(paper_out=True)
        p.send(b"\x1b@first line\n")
        p.request_confirmation()
        assert not p.await_confirmation(0.3)  # stopped: nothing processed, no reply
        vprinter.set_state(paper_out=False)
        assert p.await_confirmation(2.0)
        assert "first line" in vprinter.text()
    finally:
        p.close()


def test_print_job_refuses_when_paper_is_out_and_sends_nothing(vprinter):
    vprinter.set_state(paper_out=True)
    p = open_printer(vprinter.url)
    with pytest.raises(PrinterNotReady) as err:
        p.print_job(b"\x1b@job\n")
    assert err.value.status.paper_out
    p.close()
    assert b"job" not in bytes(vprinter.received)


def test_unreachable_printer_is_told_apart(vprinter):
    port = vprinter.port
    vprinter.stop()
    p = open_printer(f"tcp://127.0.0.1:{port}", timeout=1, do_not_open=True)
    states = []
    p.subscribe(states.append)
    with pytest.raises(PrinterUnreachable):
        p.open()
    assert states[-1].name == "unreachable" and f"127.0.0.1:{port}" in states[-1].reason
    with pytest.raises(PrinterUnreachable):
        p.status()  # used without open(): python-escpos opens on first use, with the same error


def test_printer_disappearing_mid_job_raises_printer_gone(vprinter):
    c = Composer(get_profile("80mm-gb18030"))
    for i in range(400):
        c.line(f"第{i}行 line {i}")
    job = c.job()
    vprinter.drop_after = 2000
    p = open_printer(vprinter.url)
    with pytest.raises((PrinterGone, PrinterNoAnswer)):
        p.send(job)
        p.confirm(timeout=2.0)
        p.status(timeout=0.5)
        raise PrinterGone("connection closed", 0)
    p.close()


@pytest.mark.parametrize("stream,needle", [
    (b"\x1b@abc\x1d", "ends inside a command"),
    (b"\x1b@\x1dv0\x00\x48\x00\x18\x00" + b"\x00" * 10, "ends inside a command"),
    (b"\x1dv0\x00\x00\x00\x05\x00", "bad raster header"),
    (b"\x1b\xfftext", "unknown command ESC 0xff"),
    (b"\x1bahello", "alignment"),
    (b"\x1dk\x49\x05{Xabc", "Code 128"),
    (b"\x1dk\x49\x04abcd", "Code 128"),
    (b"\x1d(k\x03\x001Q0", "no stored data"),
    (b"\x1d(k\x03\x001C\x63", "module size"),
    (b"\x1d(k" + b"\x10\x27" + b"1P0" + b"A" * 9997 + b"\x1d(k\x03\x001Q0", "sym"),
    (b"\x10\x04\x09", "status type"),
    (b"\x1dV\x07", "cut mode"),
])
def test_malformed_streams_give_a_clear_error(stream, needle):
    with pytest.raises(MalformedStream) as err:
        render_stream(stream)
    assert needle.lower() in str(err.value).lower()
    assert str(err.value).startswith("byte ")


def test_random_garbage_never_crashes_the_renderer():
    import random
    rnd = random.Random(6)
    for _ in range(300):
        blob = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 200)))
        try:
            render_stream(blob)
        except MalformedStream:
            pass


def test_invalid_gb18030_bytes_render_as_replacement_with_a_warning():
    r = render_stream(b"\x1c&ok \x81\x20 end\n")
    assert r.warnings and "\ufffd" in r.text_lines[0]


def test_the_virtual_printer_survives_a_malformed_stream_and_keeps_printing(vprinter):
    with socket.create_connection(("127.0.0.1", vprinter.port)) as s:
        s.sendall(b"\x1b@before\n\x1b\xfe garbage")
        time.sleep(0.2)
    assert vprinter.errors and "ESC 0xfe" in vprinter.errors[0]
    p = open_printer(vprinter.url)
    p.print_job(b"\x1b@after\n")
    p.close()
    assert "before" in vprinter.text() and "after" in vprinter.text()


def _bridge(master: int, port: int, stop: threading.Event) -> None:
    """Plays the serial cable: pty master <-> the virtual printer's TCP port."""
    import select
    sock = socket.create_connection(("127.0.0.1", port))
    try:
        while not stop.is_set():
            r, _, _ = select.select([master, sock], [], [], 0.05)
            if master in r:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    return
                sock.sendall(data)
            if sock in r:
                data = sock.recv(4096)
                if not data:
                    return
                os.write(master, data)
    finally:
        sock.close()


def test_serial_transport_over_a_pty_prints_and_confirms(vprinter):
    master, slave = pty.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    stop = threading.Event()
    t = threading.Thread(target=_bridge, args=(master, vprinter.port, stop), daemon=True)
    t.start()
    try:
        p = open_printer(f"serial:{path}?baud=115200")
        assert p.status().state == "ready"
        c = Composer(get_profile("80mm-gb18030"))
        c.line("串口打印 serial")
        c.cut_paper()
        p.print_job(c.job(), confirm_timeout=3)
        p.close()
        assert "串口打印 serial" in vprinter.text()
    finally:
        stop.set()
        t.join(2)
        os.close(master)
        os.close(slave)


def test_file_transport_writes_the_stream(tmp_path):
    out = tmp_path / "lp0"
    p = open_printer(f"file://{out}")
    job = b"\x1b@\x1c&" + "文件".encode("gb18030") + b"\n"
    p.print_job(job)
    p.close()
    assert out.read_bytes() == job
    assert not p.bidirectional and not p.status().answered


def test_urls_are_checked():
    with pytest.raises(DeviceURLError, match="unknown printer scheme 'lpt'.*tcp/socket"):
        open_printer("lpt://x")
    with pytest.raises(DeviceURLError, match="VID:PID in hex"):
        open_printer("usb://nothex")
    with pytest.raises(DeviceURLError, match="no scheme"):
        open_printer("192.168.1.5:9100")  # a bare address is not guessed to be TCP
    with pytest.raises(DeviceURLError, match="unknown option 'speed'"):
        open_printer("serial:/dev/ttyUSB0?speed=9600")
    assert type(open_printer("usb://04b8:0e15", do_not_open=True)).__name__ == "UsbPrinter"
    assert PrinterStatus.no_answer().describe().startswith("no answer")


def test_code128_code_sets_are_drawn_as_the_printer_would(decode):
    # {C 12 34 then {B "AB", and a shift to A for a control character inside set B.
    data = b"{C\x0c\x22{BAB"
    r = render_stream(b"\x1b@\x1dh\x50\x1dw\x02\x1dH\x02\x1dk\x49" + bytes([len(data)]) + data)
    assert ("Code128", "1234AB") in decode(r.image())
    assert r.text_lines[-1] == "[Code128 1234AB]"


def test_dle_eot_split_across_packets_is_still_answered(vprinter):
    with socket.create_connection(("127.0.0.1", vprinter.port), timeout=2) as s:
        s.sendall(b"\x10")
        time.sleep(0.05)
        s.sendall(b"\x04")
        time.sleep(0.05)
        s.sendall(b"\x02")
        assert is_status_byte(s.recv(1)[0])
