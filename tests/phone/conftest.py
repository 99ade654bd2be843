"""A line for each test: an emulated modem on a real pty, the phone service, a real journal."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from frontdesk.drivers.audio.wavfile import write_wav
from frontdesk.drivers.modem.emulator import ModemEmulator
from frontdesk.drivers.modem.emulator.scenario import tone
from frontdesk.edge.journal import Journal
from frontdesk.edge.phone.config import PhoneConfig
from frontdesk.edge.phone.service import PhoneService
from frontdesk.edge.services import EdgeContext

SCALE = 0.05  # a 6 s ring cycle takes 300 ms


def write_u8_wav(path: Path, audio: bytes) -> Path:
    write_wav(path, audio, rate=8000, codec="u8")
    return path


class Line:
    def __init__(self, tmp: Path, family: str = "usr5637", scale: float = SCALE, **cfg) -> None:
        self.tmp = tmp
        self.emu = ModemEmulator(family, time_scale=scale, link=tmp / "ttyModem",
                                 vcid_supported=cfg.pop("vcid_supported", True)).start()
        self.journal = Journal(tmp / "journal.db", site="site1", device="edge1", tz="Asia/Shanghai")
        greet_zh = write_u8_wav(tmp / "g_zh.wav", tone(0.6, 500))
        greet_en = write_u8_wav(tmp / "g_en.wav", tone(0.6, 700))
        base = dict(device=self.emu.url, time_scale=scale, greeting_zh=greet_zh, greeting_en=greet_en,
                    after_hours_greeting_zh=None, after_hours_greeting_en=None, staffed_hours=["00:00-24:00"],
                    reconnect_min_s=0.5, reconnect_max_s=5, health_check_s=5, record_max_s=20)
        base.update(cfg)
        self.cfg = PhoneConfig(**base)
        self.ctx = EdgeContext(journal=self.journal, site="site1", device="edge1", tz="Asia/Shanghai",
                               country="cn", data_dir=tmp / "data")
        self.service = PhoneService(self.cfg, self.ctx)

    def start(self) -> Line:
        self.service.start()
        self.wait_for(lambda: any(e["type"] == "phone.modem_status" for e in self.events()), 10)
        return self

    def events(self, type_: str | None = None) -> list[dict]:
        evs = self.journal.events(limit=100000)
        return [e for e in evs if type_ is None or e["type"] == type_]

    def payloads(self, type_: str) -> list[dict]:
        return [e["payload"] for e in self.events(type_)]

    def wait_for(self, cond, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out; events so far: {[e['type'] for e in self.events()]}")

    def wait_ended(self, count: int, timeout: float = 20.0) -> list[dict]:
        self.wait_for(lambda: len(self.events("call.ended")) >= count, timeout)
        return self.payloads("call.ended")

    def close(self) -> None:
        self.service.stop()
        self.emu.stop()
        self.journal.close()


@pytest.fixture
def line_factory(tmp_path):
    lines: list[Line] = []

    def make(**kw) -> Line:
        sub = tmp_path / f"line{len(lines)}"
        sub.mkdir()
        line = Line(sub, **kw)
        lines.append(line)
        return line

    yield make
    for line in lines:
        line.close()
