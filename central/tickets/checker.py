"""The background checker: timers that ran out become ticket.sla_breached events, and the retention
round (central/privacy/: every kind of personal data past its period) runs every `retention_every_s`.
Runs as a thread of the central service; the one place retention runs on its own."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from frontdesk.schema.tickets import TicketSlaBreached

from .system import TicketSystem
from .times import utc

log = logging.getLogger(__name__)


def check_breaches(system: TicketSystem, now: datetime | None = None) -> int:
    """Write one ticket.sla_breached per timer that is due, unmet and not yet reported."""
    now = now or datetime.now(UTC)
    written = 0
    for row in system.due_for_check(now):
        for timer in row["timers"]:
            due = utc(timer["due_at"])
            if timer["met_at"] is None and due is not None and due <= now and not timer["breached_at"]:
                breach = TicketSlaBreached(ticket_id=row["id"], timer=timer["name"], due_at=due, by="system")
                system.writer.write(row["site"], breach, row["tz"])
                written += 1
    return written


class BreachChecker:
    """Runs check_breaches every breach_check_s, and `retention` every `retention_every_s` (from the
    first round on), on a thread of its own."""
    def __init__(self, system: TicketSystem, retention: Callable[[], object] | None = None,
                 retention_every_s: float = 3600.0) -> None:
        self.system = system
        self.retention = retention
        self.retention_every_s = retention_every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the checker's thread; returns at once."""
        self._thread = threading.Thread(target=self._run, name="sla-checker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the checker's thread (waiting up to 10 s)."""
        self._stop.set()
        if self._thread:
            self._thread.join(10)

    def _run(self) -> None:
        last_retention: float | None = None
        while not self._stop.wait(self.system.config.breach_check_s):
            try:
                n = check_breaches(self.system)
                if n:
                    log.info("tickets: %d SLA breach(es) recorded", n)
                due = last_retention is None or time.monotonic() - last_retention > self.retention_every_s
                if self.retention is not None and due:
                    last_retention = time.monotonic()
                    self.retention()
            except Exception:
                log.exception("tickets: the SLA checker failed this round; trying again")
