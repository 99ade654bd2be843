"""Helpers for the dashboard tests: central's real app under uvicorn on a free loopback port,
events published through Store.ingest as real encoded MQTT batches, and a headless Chromium."""
from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn

from frontdesk import topics
from frontdesk.central.api import create_app
from frontdesk.central.config import parse_central
from frontdesk.central.store import Store
from frontdesk.ids import new_id
from frontdesk.runtime.ports import free_port, wait_listening
from frontdesk.schema import encode_batch, make_event, parse_event_payload

from ..browser import keep_for_docs

DESK = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
SITE = "garden-court"
TZ = "Asia/Shanghai"


class Edge:
    """Publishes events as one edge device would: its own seq, batches on its own topic."""

    def __init__(self, store: Store, site: str = SITE, device: str = "desk-1") -> None:
        self.store, self.site, self.device = store, site, device
        self._seq = itertools.count(1)

    def event(self, type_: str, payload: dict[str, Any], occurred_at: datetime | None = None):
        return make_event(parse_event_payload(type_, payload), site=self.site, device=self.device,
                          seq=next(self._seq), tz=TZ, occurred_at=occurred_at or datetime.now(UTC))

    def publish(self, *events) -> Any:
        batch = encode_batch([e.to_wire() for e in events])
        return self.store.ingest([(topics.topic(self.site, self.device, topics.EVENTS), batch)])

    def send(self, type_: str, payload: dict[str, Any], occurred_at: datetime | None = None):
        event = self.event(type_, payload, occurred_at)
        result = self.publish(event)
        assert result.inserted == 1, result
        return event


def ringing(call_id: str, number: str = "+8613800138000", unit: str | None = "3-1502",
            resident: str | None = "王女士", ring: int = 1, **extra) -> dict[str, Any]:
    return {"call_id": call_id, "number": number, "unit": unit, "resident_name": resident, "ring": ring,
            "cadence": "cn", "caller_id_received": number is not None, **extra}


def transcribed(call_id: str, text: str, category: str = "repair") -> dict[str, Any]:
    return {"job_id": new_id(), "call_id": call_id, "text": text, "outcome": "text", "confidence": 0.82,
            "model": "test-model", "language": "zh", "audio_s": 6.5, "category": category,
            "matched_words": [], "category_basis": "keywords"}


class Central:
    """The real central app (create_app) on a free loopback port, in this process."""

    def __init__(self, database_url: str, config: dict[str, Any] | None = None) -> None:
        self.store = Store(database_url)
        cfg = parse_central({"central": {"database_url": database_url}, **config}) if config else None
        self.app = create_app(self.store, config=cfg)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off",
                                                    timeout_graceful_shutdown=1))
        self.thread = threading.Thread(target=self.server.run, name="central-http", daemon=True)

    def __enter__(self) -> Central:
        self.thread.start()
        assert wait_listening("127.0.0.1", self.port, 20), "central did not start listening"
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        # Open live streams end when the server shuts down; give it a moment, then force.
        self.thread.join(10)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(10)
        self.store.close()

    def add_user(self, username: str, role: str, sites: list[str] | None = None, password: str = "correct-horse-9"):
        self.app.state.accounts.add_user(username, password, role, sites or [SITE], username.title())
        return username, password

    @property
    def hub(self):
        from frontdesk.central.dashboard.live import LiveEvents
        return next(r.hub for r in self.store.listeners if isinstance(r, LiveEvents))


def login(page, central, username: str, password: str, then: str = "desk", query: str = "") -> None:
    """Log in through the login page, as staff do; lands on `then`."""
    page.goto(f"{central.url}/dashboard/login?next=/dashboard/{then}{query}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url(lambda url: f"/dashboard/{then}" in url and "/login" not in url)


def wait_until(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what} (last {last!r})")


def screenshot(page, name: str, tmp_path: Path) -> Path:
    """Save a screenshot of the page (and refresh docs/screens/ when asked: tests/browser.py)."""
    out = tmp_path / f"dashboard-{name}.png"
    page.screenshot(path=str(out), full_page=True)
    keep_for_docs(out)
    return out
