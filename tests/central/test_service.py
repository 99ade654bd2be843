"""The central service runs the SLA checker: a timer that runs out becomes an event by itself."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from frontdesk.central.config import parse_central
from frontdesk.central.service import CentralService
from frontdesk.ids import new_id
from frontdesk.runtime.ports import free_port, wait_listening
from tests.spine.harness import wait_until

from .helpers import SITE, TICKET_EDGES, Edge


def test_breach_checker_runs_in_the_service(sqlite_url, broker):
    port = free_port()
    cfg = parse_central({"central": {"database_url": sqlite_url, "http_port": port, "client_id": "t-central"},
                         "mqtt": {"host": "127.0.0.1", "port": broker.port},
                         "tickets": {"breach_check_s": 0.2, **TICKET_EDGES}})
    service = CentralService(cfg)
    thread = threading.Thread(target=service.run_forever, daemon=True)
    thread.start()
    try:
        assert wait_listening("127.0.0.1", port, 30)
        edge = Edge(service.store)
        tid = new_id()
        edge.emit("ticket.opened", {"ticket_id": tid, "kind": "repair", "by": "desk", "title": "漏水"},
                  datetime.now(UTC) - timedelta(minutes=4))
        wait_until(lambda: service.store.count_events(site=SITE, type="ticket.sla_breached"), 15,
                   what="the work-order timer's breach event")
        assert "work_order" in service.app.state.tickets.get(tid)["breaches"]
    finally:
        service.server.should_exit = True
        thread.join(20)
    assert not thread.is_alive()
