"""Thermal slip benchmark: bytes per Chinese work order (text vs raster), latency from the print
command / print.requested event to the first byte on the wire, time to the printer's GS r
confirmation on the virtual printer, and line time of the slip at 9600 and 115200 baud.

    python bench/print.py [--jobs 60] [--json]

Runs the real printing service (journal, queue, worker) against the virtual TCP printer on
127.0.0.1; nothing is mocked. Targets: first_byte_p95_ms <= 200, workorder_115200_s <= 1.0.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from frontdesk.drivers.printer import get_profile
from frontdesk.drivers.printer.bitmap import raster_command
from frontdesk.drivers.printer.virtual import VirtualPrinter, render_stream
from frontdesk.edge.journal import Journal
from frontdesk.edge.printing.config import PrintingConfig
from frontdesk.edge.printing.layout import compose_slip, samples
from frontdesk.edge.printing.service import PrintingService
from frontdesk.edge.services import EdgeContext
from frontdesk.schema import make_command
from frontdesk.schema.printing import PrintRequested, PrintSlip


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


def sizes() -> tuple[int, int]:
    profile = get_profile("80mm-gb18030")
    text = compose_slip("workorder", "zh", samples()["workorder"], profile)
    # The same slip as pictures: every cut piece one GS v 0 raster, plus reset and cuts.
    pieces = render_stream(text, profile.dots).slips()
    raster = 2 + sum(len(raster_command(p.convert("1"))) + 4 for p in pieces)
    return len(text), raster


def latency(jobs: int) -> tuple[list[float], list[float]]:
    first: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, VirtualPrinter() as vp:
        path = Path(tmp)
        journal = Journal(path / "journal.db", site="bench", device="edge1", tz="Asia/Shanghai")
        ctx = EdgeContext(journal=journal, site="bench", device="edge1", tz="Asia/Shanghai", country="cn",
                          data_dir=path)
        cfg = PrintingConfig.model_validate({"printers": {"desk": {"url": vp.url}}})
        svc = PrintingService(cfg, ctx)
        svc.on_first_byte = lambda job_id: first.setdefault(job_id, time.perf_counter())
        svc.start()
        fb, confirm = [], []
        try:
            data = samples()["workorder"]
            for i in range(jobs):
                t0 = time.perf_counter()
                if i % 2 == 0:  # from central: a print.slip command
                    job_id = f"WO-{i}"
                    cmd = make_command(PrintSlip(job_id=job_id, kind="workorder", language="zh", data=data),
                                       site="bench", device="edge1")
                    journal.apply_command(cmd, ctx.commands)
                else:  # local: a print.requested event
                    job_id = journal.record(PrintRequested(kind="workorder", language="zh", data=data)).id
                while svc.store.get(job_id) is None or svc.store.get(job_id).state not in ("confirmed", "failed"):
                    time.sleep(0.001)
                    if time.perf_counter() - t0 > 30:
                        raise RuntimeError(f"job {job_id} not done in 30 s")
                done = time.perf_counter()
                if svc.store.get(job_id).state != "confirmed":
                    raise RuntimeError(f"job {job_id} failed: {svc.store.get(job_id).error}")
                fb.append((first[job_id] - t0) * 1000)
                confirm.append((done - t0) * 1000)
        finally:
            svc.stop()
            journal.close()
    return fb, confirm


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=60)
    ap.add_argument("--json", action="store_true", help="print one JSON object only")
    args = ap.parse_args()
    text_bytes, raster_bytes = sizes()
    fb, confirm = latency(args.jobs)
    result = {
        "workorder_text_bytes": text_bytes,
        "workorder_raster_bytes": raster_bytes,
        "first_byte_p95_ms": round(p95(fb), 1),
        "confirm_ms": round(statistics.median(confirm), 1),
        # 8N1: ten bits on the line per byte.
        "workorder_9600_s": round(text_bytes * 10 / 9600, 3),
        "workorder_115200_s": round(text_bytes * 10 / 115200, 3),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    rows = [
        ("work order, text mode (GB18030 + GS ( k QR)", f"{text_bytes} B", ""),
        ("work order, full raster (GS v 0)", f"{raster_bytes} B", ""),
        ("command/event -> first byte, p50", f"{statistics.median(fb):.1f} ms", ""),
        ("command/event -> first byte, p95", f"{result['first_byte_p95_ms']} ms", "<= 200 ms"),
        ("command/event -> GS r confirmation, p50", f"{result['confirm_ms']} ms", ""),
        ("confirmation, p95", f"{p95(confirm):.1f} ms", ""),
        ("text slip at 9600 baud", f"{result['workorder_9600_s']} s", ""),
        ("text slip at 115200 baud", f"{result['workorder_115200_s']} s", "<= 1.0 s"),
        ("raster slip at 115200 baud", f"{raster_bytes * 10 / 115200:.2f} s", ""),
    ]
    print(f"{'measure':<44} {'value':>12}  target   ({args.jobs} jobs)")
    for name, value, target in rows:
        print(f"{name:<44} {value:>12}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
