"""The printing service: print.slip / print.reprint commands and print.requested events in,
slips out on the configured printers, print.* events back to the journal.

Threads: one "intake" thread turns journal events into jobs and announces queued jobs (so
print.job.queued always precedes the job's outcome in the journal); one worker per printer sends
that printer's jobs in order. A worker checks status before each job (DLE EOT), holds its queue
while the printer cannot print (print.printer.held), hands queued jobs to the fallback printer if
one is configured and ready, and resumes by itself (print.printer.resumed).
"""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from frontdesk.drivers.printer import (
    PrinterError,
    PrinterGone,
    PrinterNoAnswer,
    PrinterStatus,
    PrinterUnreachable,
    open_printer,
)
from frontdesk.drivers.printer.base import ReceiptPrinter
from frontdesk.drivers.printer.transport import SerialPrinter
from frontdesk.schema import Event, Payload
from frontdesk.schema.printing import (
    PrinterHeld,
    PrinterResumed,
    PrintJobConfirmed,
    PrintJobFailed,
    PrintJobQueued,
    PrintReprint,
    PrintRequested,
    PrintSlip,
)

from ..services import EdgeContext
from .config import PrintingConfig
from .layout import compose_slip
from .personal_data import PrintJobsPersonalData
from .store import Job, JobStore, find_job, insert_job, next_reprint_id

log = logging.getLogger("frontdesk.edge.printer")

# The follower that turns print.requested events into jobs. It starts from "now" on its first
# run: requests journaled before printing was configured on this edge are old news.
REQUESTS = "printer.requests"


class PrintingService:
    """Print jobs from commands and print.requested events, one worker per printer."""

    name = "printer"

    def __init__(self, cfg: PrintingConfig, ctx: EdgeContext) -> None:
        self.cfg, self.ctx = cfg, ctx
        self.journal = ctx.journal
        self.store = JobStore(ctx.journal.path)  # the print_jobs table lives in the journal file
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.workers = {name: _Worker(self, name) for name in cfg.printers}
        # Called with the job id when a job's first byte is handed to the transport (bench, tests).
        self.on_first_byte: Callable[[str], None] | None = None
        self.requests = ctx.journal.follow(REQUESTS, start="now", poll_s=0.05).on(PrintRequested, self._take_request)
        ctx.commands.on(PrintSlip, self._on_slip)
        ctx.commands.on(PrintReprint, self._on_reprint)
        ctx.personal_data.append(PrintJobsPersonalData())

    # -- commands (run inside the journal's transaction) ---------------------------------------

    def _printer_name(self, kind: str, requested: str | None) -> str:
        if requested is not None and requested not in self.cfg.printers:
            raise ValueError(f"no printer named {requested!r} on this edge (have: {', '.join(self.cfg.printers)})")
        return self.cfg.printer_for(kind, requested)

    def _on_slip(self, db: sqlite3.Connection, payload: PrintSlip) -> dict[str, Any]:
        printer = self._printer_name(payload.kind, payload.printer)
        added = insert_job(db, job_id=payload.job_id, kind=payload.kind, language=payload.language,
                           data=payload.data, printer=printer, source="command")
        return {"job_id": payload.job_id, "printer": printer, "duplicate": not added}

    def _on_reprint(self, db: sqlite3.Connection, payload: PrintReprint) -> dict[str, Any]:
        old = find_job(db, payload.job_id)
        if old is None:
            raise ValueError(f"no print job {payload.job_id!r} on this edge")
        printer = self._printer_name(old.kind, payload.printer or old.printer)
        new_id = next_reprint_id(db, old.job_id)
        insert_job(db, job_id=new_id, kind=old.kind, language=old.language, data=old.data, printer=printer,
                   source="reprint", reprint_of=old.job_id)
        return {"job_id": new_id, "printer": printer}

    # -- life -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Fail jobs a restart interrupted, re-home orphaned ones, start intake and workers."""
        for job in self.store.interrupted():
            # Bytes may have reached the printer before the restart: never resend by ourselves.
            self.store.set_state(job.job_id, "failed", error="interrupted by a restart before the printer confirmed")
            self._event(PrintJobFailed(job_id=job.job_id, printer=job.printer, maybe_printed=True,
                                       reason="interrupted by a restart before the printer confirmed; "
                                              "reprint if the slip is missing"))
        for name in self.store.queued_printers():
            if name not in self.cfg.printers:
                # Queued for a printer no longer configured: the default printer takes them.
                moved = self.store.move(name, self.cfg.default_printer)
                log.warning("%d queued job(s) for unknown printer %r moved to %s", moved, name,
                            self.cfg.default_printer)
        self._spawn(self._intake, "print-intake")
        for name, w in self.workers.items():
            self._spawn(w.run, f"print-{name}")

    def _spawn(self, fn: Callable[[], None], name: str) -> None:
        t = threading.Thread(target=fn, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self) -> None:
        """Stop intake and workers, close printer connections and the queue."""
        self._stop.set()
        for w in self.workers.values():
            w.wake.set()
        self.journal.wake()
        for t in self._threads:
            t.join(timeout=10)
        for w in self.workers.values():
            w.disconnect()
        self.store.close()

    @property
    def stopping(self) -> bool:
        """True once this service or the whole agent is stopping (what every loop here checks)."""
        return self._stop.is_set() or self.ctx.stopping.is_set()

    # -- intake -----------------------------------------------------------------------------------

    def _intake(self) -> None:
        # Requests come from the journal (follower), command jobs from the command transaction:
        # both are announced here, woken by any append in this process (or polled for others).
        while not self.stopping:
            seen = self.journal.generation
            try:
                self.requests.catch_up()
                self._announce()
            except Exception:  # the journal or queue failed: logged, and looked at again shortly
                log.exception("print intake")
                time.sleep(0.5)
            self.journal.wait_appended(seen, self.requests.poll_s)

    def _take_request(self, event: Event, request: PrintRequested) -> None:
        """A print.requested event becomes a job whose id is the event's (so a replay adds nothing)."""
        printer = self.cfg.printer_for(request.kind, request.printer)
        if request.printer and request.printer not in self.cfg.printers:
            log.warning("print.requested %s names unknown printer %r; using %s", event.id, request.printer, printer)
        self.store.add(job_id=event.id, kind=request.kind, language=request.language, data=request.data,
                       printer=printer, source="event")

    def _announce(self) -> None:
        for job in self.store.unannounced():
            self._event(PrintJobQueued(job_id=job.job_id, kind=job.kind, language=job.language, printer=job.printer,
                                       source=job.source, reprint_of=job.reprint_of))
            self.store.mark_announced(job.job_id)
            if job.printer in self.workers:
                self.workers[job.printer].wake.set()

    # -- shared -----------------------------------------------------------------------------------

    def _event(self, payload: Payload) -> None:
        try:
            self.journal.record(payload)
        except Exception as err:
            log.error("could not journal %s: %s", payload.TYPE, err)

    def compose(self, job: Job, profile: Any) -> bytes:
        """The slip's bytes for this job on a printer of `profile`."""
        data = dict(job.data)
        if self.cfg.property_name and not data.get("property"):
            data["property"] = self.cfg.property_name
        return compose_slip(job.kind, job.language, data, profile, tz=self.ctx.tz, reprint=job.reprint_of is not None,
                            templates_dir=self.cfg.templates_dir)

    def probe(self, name: str) -> PrinterStatus:
        """Ask another printer for its status on a short connection of its own."""
        dev = self.cfg.printers[name]
        try:
            with open_printer(dev.url, profile=self.cfg.profile_of(name), timeout=dev.status_timeout_s + 1) as p:
                return p.status(dev.status_timeout_s)
        except PrinterError:
            return PrinterStatus.no_answer()


class _Worker:
    def __init__(self, svc: PrintingService, name: str) -> None:
        self.svc, self.name = svc, name
        self.dev = svc.cfg.printers[name]
        self.profile = svc.cfg.profile_of(name)
        self.wake = threading.Event()
        self.printer: ReceiptPrinter | None = None
        self.held: str | None = None

    # -- connection -------------------------------------------------------------------------------

    def connect(self) -> ReceiptPrinter:
        if self.printer is None:
            self.printer = open_printer(self.dev.url, profile=self.profile, timeout=self.dev.status_timeout_s + 2)
        return self.printer

    def disconnect(self) -> None:
        if self.printer is not None:
            try:
                self.printer.close()
            except Exception:
                pass
            self.printer = None

    def status(self) -> tuple[PrinterStatus | None, str, str]:
        """(status, state, detail); status None when the printer could not be reached at all."""
        try:
            st = self.connect().status(self.dev.status_timeout_s)
        except PrinterUnreachable as err:
            self.disconnect()
            return None, "unreachable", str(err)
        except PrinterError as err:
            self.disconnect()
            return None, "gone", str(err)
        if not st.answered:
            self.disconnect()
        return st, st.state, st.describe()

    def _wait(self, seconds: float) -> None:
        self.wake.wait(seconds)
        self.wake.clear()

    # -- hold / resume ----------------------------------------------------------------------------

    def _hold(self, state: str, detail: str) -> None:
        if self.held != state:
            self.held = state
            log.warning("printer %s held: %s", self.name, detail)
            self.svc._event(PrinterHeld(printer=self.name, state=state, detail=detail[:300],
                                        waiting_jobs=self.svc.store.count_queued(self.name)))
        fb = self.dev.fallback
        if fb and self.svc.store.count_queued(self.name):
            st = self.svc.probe(fb)
            if st.ready:
                moved = self.svc.store.move(self.name, fb)
                if moved:
                    log.warning("printer %s: %d job(s) moved to %s", self.name, moved, fb)
                    self.svc.workers[fb].wake.set()

    def _resume(self, state: str) -> None:
        if self.held is not None:
            log.info("printer %s ready again (%s)", self.name, state)
            self.held = None
            self.svc._event(PrinterResumed(printer=self.name, state=state))

    # -- loop -------------------------------------------------------------------------------------

    def run(self) -> None:
        while not self.svc.stopping:
            try:
                self._step()
            except Exception:
                log.exception("printer %s worker", self.name)
                self.disconnect()
                self._wait(1.0)

    def _step(self) -> None:
        job = self.svc.store.next_queued(self.name)
        if job is None or not job.announced:
            if self.held is not None:
                st, state, _ = self.status()
                if st is not None and st.ready:
                    self._resume(state)
                self._wait(self.svc.cfg.retry_s)
            else:
                self.disconnect()  # raw-port printers often take one connection at a time
                self._wait(0.05)
            return
        st, state, detail = self.status()
        if st is None or not st.ready:
            self._hold(state, detail)
            self._wait(self.svc.cfg.retry_s)
            return
        self._resume(state)
        self._print(job)

    def _print(self, job: Job) -> None:
        svc = self.svc
        try:
            body = svc.compose(job, self.profile)
        except Exception as err:  # SlipError, a font missing...: this job fails, the queue goes on
            svc.store.set_state(job.job_id, "failed", error=str(err))
            svc._event(PrintJobFailed(job_id=job.job_id, printer=self.name,
                                      reason=f"cannot lay out the slip: {err}"[:500], maybe_printed=False))
            return
        if not svc.store.set_state(job.job_id, "sending", expect="queued", attempt=True, nbytes=len(body)):
            return  # moved to another printer or changed meanwhile
        printer = self.printer
        assert printer is not None
        printer.bytes_sent = 0
        report = svc.on_first_byte
        printer.on_first_byte = (lambda: report(job.job_id)) if report else None
        # The first look at the printer comes after the bytes can have crossed the line.
        transfer = len(body) * 10 / max(printer.baudrate, 1) if isinstance(printer, SerialPrinter) else 0.0
        try:
            printer.send(body)
            svc.store.set_state(job.job_id, "sent")
            printer.request_confirmation()
            self._await_confirmation(printer, transfer)
        except PrinterError as err:
            self.disconnect()
            svc.store.set_state(job.job_id, "failed", error=str(err))
            svc._event(PrintJobFailed(job_id=job.job_id, printer=self.name, maybe_printed=True,
                                      reason=f"{err}; not resent automatically (reprint if missing)"[:500]))
            log.warning("print job %s failed on %s: %s", job.job_id, self.name, err)
            return
        svc.store.set_state(job.job_id, "confirmed")
        svc._event(PrintJobConfirmed(job_id=job.job_id, printer=self.name, bytes=len(body), attempts=job.attempts + 1,
                                     elapsed_ms=max(0, int((time.time() - job.created) * 1000))))

    def _await_confirmation(self, printer: ReceiptPrinter, transfer_s: float) -> None:
        """Wait for GS r 1, looking at the printer's status every second meanwhile. If it stops
        mid-job (paper out, cover open), hold until it is ready: it finishes the buffered job by
        itself and then answers, so nothing is sent twice."""
        wait = transfer_s + 1.0
        quiet_since = time.monotonic()
        while not self.svc.stopping:
            if printer.await_confirmation(wait):
                return
            wait = 1.0
            st = printer.status(self.dev.status_timeout_s)
            if not st.answered:
                raise PrinterNoAnswer("printer stopped answering before confirming the job")
            if st.ready:
                if time.monotonic() - quiet_since > self.dev.confirm_timeout_s + transfer_s:
                    raise PrinterNoAnswer("printer is ready but never confirmed the job")
                continue
            self._hold(st.state, st.describe())
            while not self.svc.stopping:
                if printer.await_confirmation(min(self.svc.cfg.retry_s, 0.5)):
                    self._resume("ready")
                    return
                st = printer.status(self.dev.status_timeout_s)
                if not st.answered:
                    raise PrinterNoAnswer("printer stopped answering while held")
                if st.ready:
                    self._resume(st.state)
                    break
            quiet_since = time.monotonic()
        raise PrinterGone("stopping before the printer confirmed the job", printer.bytes_sent)
