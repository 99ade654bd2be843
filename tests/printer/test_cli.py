"""The command-line tools, run as the `frontdesk` command does (in-process main())."""
from __future__ import annotations

import json

from frontdesk.cli import main
from frontdesk.drivers.printer.virtual import render_stream


def test_slip_preview_and_render_round_trip(tmp_path, capsys):
    png, raw = tmp_path / "wo.png", tmp_path / "wo.bin"
    assert main(["slip", "preview", "workorder", "--lang", "zh", "--png", str(png), "--bytes", str(raw)]) == 0
    assert png.stat().st_size > 1000
    out_png = tmp_path / "again.png"
    assert main(["printer", "render", str(raw), "--png", str(out_png), "--text"]) == 0
    out = capsys.readouterr().out
    assert "维修派工单" in out and "[QR https://desk.example.com/w/" in out
    assert render_stream(raw.read_bytes()).text_lines == out.strip("\n").split("\n")


def test_render_reports_a_malformed_stream(tmp_path, capsys):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x1b@ok\n\x1dv0\x00\x10\x00\x10\x00\x01\x02")
    assert main(["printer", "render", str(bad), "--png", str(tmp_path / "x.png")]) == 1
    assert "not a valid ESC/POS stream: byte 5" in capsys.readouterr().err


def test_status_says_the_state(vprinter, capsys):
    assert main(["printer", "status", vprinter.url]) == 0
    assert "ready" in capsys.readouterr().out
    vprinter.set_state(cover_open=True)
    assert main(["printer", "status", f"tcp://127.0.0.1:{vprinter.port}", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["state"] == "cover_open"
    vprinter.set_state(mute=True)
    assert main(["printer", "status", vprinter.url, "--timeout", "0.2"]) == 1
    assert "no_answer" in capsys.readouterr().out


def test_preview_can_print_on_a_printer(vprinter, tmp_path):
    assert main(["slip", "preview", "mail", "--lang", "en", "--to", vprinter.url]) == 0
    assert "MAIL PICKUP NOTICE" in vprinter.text()


def test_serve_runs_the_virtual_printer_and_saves_slips(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from frontdesk.drivers.printer import open_printer
    from frontdesk.runtime.ports import free_port

    port = free_port()
    out = tmp_path / "slips"
    proc = subprocess.Popen([sys.executable, "-m", "frontdesk", "printer", "serve", "--port", str(port),
                             "--out", str(out)], stderr=subprocess.PIPE, text=True)
    try:
        assert "listening on tcp://127.0.0.1:" in proc.stderr.readline()
        p = open_printer(f"tcp://127.0.0.1:{port}")
        assert p.status().state == "ready"
        p.print_job(b"\x1b@\x1c&" + "虚拟打印机".encode("gb18030") + b"\n\x1dVB\x03")
        p.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (out / "slip-0001.png").exists():
            time.sleep(0.1)
        assert (out / "slip-0001.png").stat().st_size > 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        proc.stderr.close()
    assert not os.path.exists(out / "slip-0002.png")
