"""The print queue end to end: commands and local events in, slips on the virtual printer,
print.* events in the journal; holds, resumes, failover, failures and restarts, with no slip
lost or printed twice."""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from frontdesk.edge.commands import CommandHandlers
from frontdesk.edge.printing.layout import samples
from frontdesk.schema.printing import PrintRequested


def printers(*vps, **kw) -> dict:
    names = ["desk", "eng"][:len(vps)]
    out = {}
    for name, vp in zip(names, vps, strict=False):  # one or two printers
        out[name] = {"url": vp.url, "status_timeout_s": 0.3, "confirm_timeout_s": 3.0, **kw.get(name, {})}
    return out


def job_starts(vp) -> int:
    """How many slips (jobs) reached the printer: every job starts with ESC @ FS &."""
    return bytes(vp.received).count(b"\x1b@\x1c&")


def test_a_work_order_command_prints_a_slip_whose_qr_decodes(make_edge, vprinter, decode):
    edge = make_edge(printers(vprinter))
    applied = edge.slip("WO-1")
    assert applied.payload["status"] == "applied" and applied.payload["result"]["job_id"] == "WO-1"
    done = edge.wait_for("print.job.confirmed", job_id="WO-1")
    queued = edge.wait_for("print.job.queued", job_id="WO-1")
    assert queued[0]["seq"] < done[0]["seq"]
    slips = vprinter.slips()
    assert len(slips) == 2  # the engineering copy and the desk stub
    assert ("QRCode", samples()["workorder"]["claim_code"]) in decode(slips[0])
    assert "维修派工单 Work order" in vprinter.text()


def test_the_same_job_twice_prints_once(make_edge, vprinter):
    edge = make_edge(printers(vprinter))
    edge.slip("WO-2", kind="badge")
    second = edge.slip("WO-2", kind="badge")  # central retried with a new command id
    assert second.payload["result"]["duplicate"] is True
    edge.wait_for("print.job.confirmed", job_id="WO-2")
    time.sleep(0.3)
    assert job_starts(vprinter) == 1
    assert len(edge.events("print.job.queued")) == 1


def test_a_local_print_request_prints_a_visitor_badge(make_edge, vprinter, decode):
    edge = make_edge(printers(vprinter))
    ev = edge.journal.record(PrintRequested(kind="badge", language="en", data=samples()["badge"]))
    edge.wait_for("print.job.confirmed", job_id=ev.id)
    assert edge.wait_for("print.job.queued", job_id=ev.id)[0]["payload"]["source"] == "event"
    assert ("QRCode", samples()["badge"]["checkout_code"]) in decode(vprinter.slips()[0])


def test_reprint_is_the_only_way_to_print_again(make_edge, vprinter):
    edge = make_edge(printers(vprinter))
    edge.slip("M-1", kind="mail")
    edge.wait_for("print.job.confirmed", job_id="M-1")
    r = edge.command("print.reprint", {"job_id": "M-1"})
    assert r.payload["status"] == "applied"
    new_id = r.payload["result"]["job_id"]
    edge.wait_for("print.job.confirmed", job_id=new_id)
    assert job_starts(vprinter) == 2
    assert "** 补打 REPRINT **" in vprinter.text()
    missing = edge.command("print.reprint", {"job_id": "nope"})
    assert missing.payload["status"] == "rejected" and "no print job" in missing.payload["detail"]


def test_unknown_printer_is_rejected_clearly(make_edge, vprinter):
    edge = make_edge(printers(vprinter))
    r = edge.slip("X-1", printer="basement")
    assert r.payload["status"] == "rejected" and "basement" in r.payload["detail"]


def test_a_slip_with_missing_fields_fails_without_blocking_the_queue(make_edge, vprinter):
    edge = make_edge(printers(vprinter))
    edge.slip("BAD-1", kind="mail", data={"unit": "101"})
    edge.slip("OK-1", kind="badge")
    failed = edge.wait_for("print.job.failed", job_id="BAD-1")[0]["payload"]
    assert "tracking_no" in failed["reason"] and failed["maybe_printed"] is False
    edge.wait_for("print.job.confirmed", job_id="OK-1")
    assert job_starts(vprinter) == 1


def test_paper_out_holds_the_queue_and_it_resumes_by_itself(make_edge, vprinter):
    vprinter.set_state(paper_out=True)
    edge = make_edge(printers(vprinter))
    edge.slip("P-1", kind="badge")
    held = edge.wait_for("print.printer.held")[0]["payload"]
    assert held["state"] == "paper_out" and held["waiting_jobs"] == 1
    assert job_starts(vprinter) == 0
    vprinter.set_state(paper_out=False)
    edge.wait_for("print.printer.resumed")
    edge.wait_for("print.job.confirmed", job_id="P-1")
    assert job_starts(vprinter) == 1


def test_cover_open_holds_too(make_edge, vprinter):
    vprinter.set_state(cover_open=True)
    edge = make_edge(printers(vprinter))
    edge.slip("C-1", kind="badge")
    assert edge.wait_for("print.printer.held")[0]["payload"]["state"] == "cover_open"
    vprinter.set_state(cover_open=False)
    edge.wait_for("print.job.confirmed", job_id="C-1")


def test_paper_out_mid_job_finishes_the_same_slip_after_reloading(make_edge, vprinter):
    edge = make_edge(printers(vprinter))
    vprinter.paper_out_after = 400  # runs out part-way through the work order
    edge.slip("MID-1")
    assert edge.wait_for("print.printer.held")[0]["payload"]["state"] == "paper_out"
    assert not edge.events("print.job.confirmed")
    time.sleep(0.3)
    vprinter.set_state(paper_out=False)
    done = edge.wait_for("print.job.confirmed", job_id="MID-1")[0]["payload"]
    assert done["attempts"] == 1 and job_starts(vprinter) == 1
    assert len(vprinter.slips()) == 2
    assert edge.events("print.printer.resumed")


def test_a_printer_that_never_answers_is_held_as_no_answer(make_edge, vprinter):
    vprinter.set_state(mute=True)
    edge = make_edge(printers(vprinter))
    edge.slip("N-1", kind="badge")
    held = edge.wait_for("print.printer.held")[0]["payload"]
    assert held["state"] == "no_answer" and "paper" not in held["detail"]
    assert job_starts(vprinter) == 0
    vprinter.set_state(mute=False)
    edge.wait_for("print.job.confirmed", job_id="N-1")


def test_a_printer_that_disappears_mid_job_fails_the_job_once_and_goes_on(make_edge, vprinter):
    edge = make_edge(printers(vprinter))
    vprinter.drop_after = 300
    edge.slip("GONE-1", data=dict(samples()["workorder"], content="漏水" * 400))
    failed = edge.wait_for("print.job.failed", job_id="GONE-1")[0]["payload"]
    assert failed["maybe_printed"] is True and "reprint" in failed["reason"]
    edge.slip("AFTER-1", kind="badge")
    edge.wait_for("print.job.confirmed", job_id="AFTER-1")
    time.sleep(0.3)
    assert job_starts(vprinter) == 2  # GONE-1 once (cut off), AFTER-1 once: nothing resent by itself


def test_an_unreachable_printer_is_held_and_the_fallback_takes_over(make_edge, vprinter, vprinter2):
    conf = printers(vprinter, vprinter2, desk={"fallback": "eng"})
    vprinter.set_state(paper_out=True)
    edge = make_edge(conf)
    edge.slip("F-1", kind="badge", printer="desk")
    edge.slip("F-2", kind="mail", printer="desk")
    held = edge.wait_for("print.printer.held", printer="desk")[0]["payload"]
    assert held["state"] == "paper_out"
    for jid in ("F-1", "F-2"):
        assert edge.wait_for("print.job.confirmed", job_id=jid)[0]["payload"]["printer"] == "eng"
    assert job_starts(vprinter) == 0 and job_starts(vprinter2) == 2


def test_routes_send_kinds_to_their_printer(make_edge, vprinter, vprinter2):
    edge = make_edge(printers(vprinter, vprinter2), routes={"workorder": "eng"})
    edge.slip("R-1")
    edge.slip("R-2", kind="badge")
    assert edge.wait_for("print.job.confirmed", job_id="R-1")[0]["payload"]["printer"] == "eng"
    assert edge.wait_for("print.job.confirmed", job_id="R-2")[0]["payload"]["printer"] == "desk"


CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from frontdesk.edge.journal import Journal
    from frontdesk.edge.services import EdgeContext
    from frontdesk.edge.printing.config import PrintingConfig
    from frontdesk.edge.printing.service import PrintingService
    from frontdesk.edge.printing.layout import samples
    from frontdesk.schema import make_command
    from frontdesk.schema.printing import PrintSlip
    path, url = Path(sys.argv[1]), sys.argv[2]
    j = Journal(path / "journal.db", site="site1", device="edge1", tz="Asia/Shanghai")
    ctx = EdgeContext(journal=j, site="site1", device="edge1", tz="Asia/Shanghai", country="cn", data_dir=path)
    cfg = PrintingConfig.model_validate({"printers": {"desk": {"url": url, "status_timeout_s": 0.3,
                                                               "confirm_timeout_s": 60}}})
    svc = PrintingService(cfg, ctx)
    svc.start()
    for jid in sys.argv[3:]:
        cmd = make_command(PrintSlip(job_id=jid, kind="workorder", language="zh", data=samples()["workorder"]),
                           site="site1", device="edge1")
        j.apply_command(cmd, ctx.commands)
    print("ready", flush=True)
    time.sleep(120)
""")


def _state(db: sqlite3.Connection, job_id: str) -> str | None:
    row = db.execute("SELECT state FROM print_jobs WHERE job_id = ?", (job_id,)).fetchone()
    return row[0] if row else None


def test_restart_mid_job_loses_nothing_and_prints_nothing_twice(tmp_path, vprinter, make_edge):
    path = tmp_path / "edge"
    path.mkdir()
    vprinter.paper_out_after = 1500  # the second slip stops half-way: the edge is killed then
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), vprinter.url, "A", "B", "C", "D"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        db = sqlite3.connect(path / "journal.db", timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _state(db, "B") != "sent":
            time.sleep(0.02)
        assert _state(db, "A") == "confirmed" and _state(db, "B") == "sent"
        assert _state(db, "C") == _state(db, "D") == "queued"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stdout.close()
        child.stderr.close()
    db.close()
    vprinter.set_state(paper_out=False)  # paper loaded: the printer finishes what it had
    edge = make_edge({"desk": {"url": vprinter.url, "status_timeout_s": 0.3, "confirm_timeout_s": 3}}, sub="edge")
    failed = edge.wait_for("print.job.failed", job_id="B")[0]["payload"]
    assert failed["maybe_printed"] is True and "restart" in failed["reason"]
    edge.wait_for("print.job.confirmed", job_id="C")
    edge.wait_for("print.job.confirmed", job_id="D")
    time.sleep(0.3)
    assert job_starts(vprinter) == 4  # A, B, C, D: each exactly once
    assert len(vprinter.slips()) == 8  # two pieces (copy + stub) per work order
    confirmed = [e["payload"]["job_id"] for e in edge.events("print.job.confirmed")]
    assert sorted(confirmed) == ["A", "C", "D"]  # A before the kill, C and D after; B failed, not resent


def test_a_kiosk_badge_without_expiry_still_prints(make_edge, vprinter):
    edge = make_edge(printers(vprinter))
    ev = edge.journal.record(PrintRequested(kind="badge", language="zh", printer="lobby", data={
        "display_name": "王赟", "host_unit": "2-0301", "valid_until": None, "checkout_code": "FD1:VIS:abc",
        "purpose": None, "visit_id": "v1"}))
    edge.wait_for("print.job.confirmed", job_id=ev.id, printer="desk")
    assert "王赟" in "\n".join(vprinter.text())


def test_requests_journaled_while_the_service_was_down_are_printed_after_it_starts(make_edge, vprinter):
    edge = make_edge(printers(vprinter))  # first start: the cursors are set
    edge.svc.stop()
    ev = edge.journal.record(PrintRequested(kind="badge", language="zh", data=samples()["badge"]))
    from frontdesk.edge.printing.service import PrintingService
    edge.ctx.commands = CommandHandlers()
    edge.svc = PrintingService(edge.cfg, edge.ctx)
    edge.svc.start()
    edge.wait_for("print.job.confirmed", job_id=ev.id)
    assert job_starts(vprinter) == 1
