"""`frontdesk phone parse-cid / probe / emulate` and scenario files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from frontdesk.cli import main
from frontdesk.drivers.modem.callerid import build_mdmf, build_sdmf
from frontdesk.drivers.modem.emulator import ModemEmulator
from frontdesk.drivers.modem.emulator.scenario import ScenarioError, load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "drivers" / "modem" / "emulator" / "scenarios"


def test_parse_cid_file(tmp_path, capsys):
    cap = tmp_path / "capture.txt"
    cap.write_bytes(b"ATZ\r\nOK\r\nRING\r\nDATE = 0321\r\nTIME = 1405\r\nNMBR = 13800138000\r\nNAME = \xe5\xbc\xa0\r\n"
                    b"RING\r\n" + build_mdmf(None, None, number_absent="P").encode() + b"\r\n"
                    + build_sdmf("5551234").encode()[:-2] + b"00\r\n\xff\xfe garbage\r\nNMBR = O\r\n")
    assert main(["phone", "parse-cid", str(cap)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(r["number"], r["name"], r["number_absent_reason"]) for r in rows] == [
        ("13800138000", "张", None), (None, None, "private"), (None, None, None), (None, None, "unavailable")]
    assert rows[0]["date"] == "03-21" and rows[0]["time"] == "14:05" and "NMBR = 13800138000" in rows[0]["raw"]
    assert "checksum" in rows[2]["error"]


def test_parse_cid_missing_file(tmp_path, capsys):
    assert main(["phone", "parse-cid", str(tmp_path / "nope")]) == 1
    assert "nope" in capsys.readouterr().err


@pytest.mark.parametrize("family", ["usr5637", "cx93001"])
def test_probe(tmp_path, capsys, family):
    with ModemEmulator(family, time_scale=0.05, link=tmp_path / "tty") as emu:
        assert main(["phone", "probe", emu.url]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["family"] == family and report["voice"] and report["caller_id"] == "AT+VCID=1"
    assert report["pcm_u8_codec_id"] == {"usr5637": 128, "cx93001": 1}[family]


def test_probe_missing_device(tmp_path, capsys):
    assert main(["phone", "probe", f"serial:{tmp_path / 'ttyNone'}"]) == 1
    assert "cannot open" in capsys.readouterr().err
    assert main(["phone", "probe", str(tmp_path / "ttyNone")]) == 2  # a bare path names no scheme
    assert "is not a modem URL" in capsys.readouterr().err


def test_shipped_scenario_loads():
    sc = load_scenario(SCENARIOS / "desk-day.toml")
    assert sc["family"] == "cx93001" and len(sc["calls"]) == 4
    assert len(sc["calls"][0][1].message) == 32000


def test_bad_scenario(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[calls]]\nnumbr = "1"\n')
    with pytest.raises(ScenarioError, match="numbr"):
        load_scenario(bad)
    bad.write_text('[[faults]]\nkind = "garbage"\ndata = "zz"\n')
    with pytest.raises(ScenarioError, match="garbage fault data 'zz' is not hex"):
        load_scenario(bad)


def test_emulate_runs_scenario(tmp_path, capsys):
    sc = tmp_path / "s.json"
    sc.write_text(json.dumps({"family": "usr5637", "time_scale": 0.01,
                              "calls": [{"at": 0.1, "rings_max": 2, "cid_format": "none"}]}))
    assert main(["phone", "emulate", "--scenario", str(sc), "--exit-when-done", "--link", str(tmp_path / "t")]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["family"] == "usr5637" and lines[-1]["abandoned"] and lines[-1]["rings"] == 2
    assert lines[0]["url"] == f"serial:{tmp_path / 't'}"


def test_probe_over_socket_url(tmp_path, capsys):
    """socket:// reaches the same modem through a TCP bridge (as ser2net would offer it)."""
    import os
    import select
    import socket
    import threading
    import tty

    with ModemEmulator("cx93001", time_scale=0.05, link=tmp_path / "tty") as emu:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        done = threading.Event()

        def bridge() -> None:
            conn, _ = server.accept()
            fd = os.open(emu.device, os.O_RDWR | os.O_NOCTTY)
            tty.setraw(fd)
            try:
                while not done.is_set():
                    r, _, _ = select.select([conn, fd], [], [], 0.05)
                    if conn in r:
                        data = conn.recv(4096)
                        if not data:
                            break
                        os.write(fd, data)
                    if fd in r:
                        conn.sendall(os.read(fd, 4096))
            finally:
                os.close(fd)
                conn.close()

        t = threading.Thread(target=bridge, daemon=True)
        t.start()
        try:
            assert main(["phone", "probe", f"socket://127.0.0.1:{port}"]) == 0
        finally:
            done.set()
            t.join(5)
            server.close()
    assert json.loads(capsys.readouterr().out)["family"] == "cx93001"
