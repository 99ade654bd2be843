"""Fixtures for the printer tests: a virtual printer on a free 127.0.0.1 port, a journal, and a
running printing service wired to them (all stopped when the test ends)."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from frontdesk.drivers.printer.virtual import VirtualPrinter
from frontdesk.edge.journal import Journal
from frontdesk.edge.printing.config import PrintingConfig
from frontdesk.edge.printing.service import PrintingService
from frontdesk.edge.services import EdgeContext
from frontdesk.schema import make_command, parse_command_payload


@pytest.fixture
def vprinter():
    vp = VirtualPrinter().start()
    yield vp
    vp.stop()


@pytest.fixture
def vprinter2():
    vp = VirtualPrinter().start()
    yield vp
    vp.stop()


@pytest.fixture
def decode():
    return decode_symbols


def decode_symbols(image) -> list[tuple[str, str]]:
    """Decode with the project's own scanner chain (zxing-cpp, then zbar)."""
    from frontdesk.drivers.scan.chain import default_chain
    chain = default_chain()
    try:
        return [(s.format, s.text) for s in chain.decode(np.asarray(image.convert("L")))]
    finally:
        chain.close()


class Edge:
    """A journal plus the printing service, as the edge agent would run them."""

    def __init__(self, path: Path, printers: dict, **extra) -> None:
        self.path = path
        self.journal = Journal(path / "journal.db", site="site1", device="edge1", tz="Asia/Shanghai")
        self.ctx = EdgeContext(journal=self.journal, site="site1", device="edge1", tz="Asia/Shanghai",
                               country="cn", data_dir=path)
        self.cfg = PrintingConfig.model_validate({"printers": printers, "retry_s": 0.2, **extra})
        self.svc = PrintingService(self.cfg, self.ctx)
        self.svc.start()

    def command(self, type_: str, payload: dict):
        cmd = make_command(parse_command_payload(type_, payload), site="site1", device="edge1")
        return self.journal.apply_command(cmd, self.ctx.commands)

    def slip(self, job_id: str, kind: str = "workorder", lang: str = "zh", data: dict | None = None, **kw):
        from frontdesk.edge.printing.layout import samples
        return self.command("print.slip", {"job_id": job_id, "kind": kind, "language": lang,
                                           "data": samples()[kind] if data is None else data, **kw})

    def events(self, type_: str | None = None) -> list[dict]:
        out = self.journal.events(limit=100000)
        return [e for e in out if type_ is None or e["type"] == type_]

    def wait_for(self, type_: str, count: int = 1, timeout: float = 15.0, **match) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events(type_) if all(e["payload"].get(k) == v for k, v in match.items())]
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"no {count}x {type_} {match} within {timeout}s; have "
                             f"{[(e['type'], e['payload']) for e in self.events()][-10:]}")

    def close(self) -> None:
        self.svc.stop()
        self.journal.close()


@pytest.fixture
def make_edge(tmp_path):
    edges: list[Edge] = []

    def make(printers: dict, sub: str = "edge", **extra) -> Edge:
        e = Edge(tmp_path / sub, printers, **extra)
        edges.append(e)
        return e

    yield make
    for e in edges:
        e.close()
