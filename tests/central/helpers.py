"""Shared pieces of the central tests: an app on a real database, staff of every role, and edge
events ingested the way MQTT delivers them (encoded batches through Store.ingest)."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from frontdesk import topics
from frontdesk.central.api import create_app
from frontdesk.central.config import parse_central
from frontdesk.central.store import Store
from frontdesk.schema import encode_batch, make_event, parse_event_payload

SITE, OTHER = "garden-court", "river-view"
PASSWORD = "correct horse battery"
ROLES = ("desk", "guard", "technician", "manager", "admin")

# The edge devices of SITE that tests send ticket.* events from, listed as [tickets]
# edge_ticket_devices: without the list, central applies ticket events from its own writer only.
TICKET_EDGES = {"edge_ticket_devices": {SITE: ["desk-1", "tech-phone", "d1"]}}
# Gives the `central` fixture (conftest.py) a [tickets] section with TICKET_EDGES.
with_ticket_edges = pytest.mark.parametrize("central", [{"tickets": TICKET_EDGES}], indirect=True,
                                            ids=["ticket-edges"])


class Edge:
    """Events from one edge device, in its seq order, ingested as MQTT batches."""

    def __init__(self, store: Store, site: str = SITE, device: str = "desk-1", tz: str = "Asia/Shanghai") -> None:
        self.store, self.site, self.device, self.tz = store, site, device, tz
        self.seq = itertools.count(1)

    def make(self, type_: str, payload: dict[str, Any], at: datetime | None = None):
        return make_event(parse_event_payload(type_, payload), site=self.site, device=self.device, seq=next(self.seq),
                          tz=self.tz,
                          occurred_at=at or datetime.now(UTC))

    def send(self, *events):
        topic = topics.topic(self.site, self.device, topics.EVENTS)
        return self.store.ingest([(topic, encode_batch([e.to_wire() for e in events]))])

    def emit(self, type_: str, payload: dict[str, Any], at: datetime | None = None):
        event = self.make(type_, payload, at)
        result = self.send(event)
        assert result.rejected == 0, result
        return event


class Central:
    def __init__(self, url: str, config: dict | None = None) -> None:
        cfg = parse_central({"central": {"database_url": url}, **(config or {})})
        self.store = Store(url)
        self.app = create_app(self.store, config=cfg)
        self.accounts = self.app.state.accounts
        self.tickets = self.app.state.tickets

    def user(self, name: str) -> str:
        """Staff accounts are made when a test first needs them (Argon2 is slow on purpose)."""
        if self.accounts.get_user(name) is None:
            if name == "other-desk":
                self.accounts.add_user(name, PASSWORD, "desk", [OTHER])
            else:
                self.accounts.add_user(name, PASSWORD, name, [SITE])
        return name

    def client(self, role: str | None = None, *, token: bool = True) -> TestClient:
        """A client logged in as `role` (a bearer token by default; token=False: cookie + CSRF)."""
        c = TestClient(self.app)
        if role is None:
            return c
        self.user(role)
        r = c.post("/api/v1/auth/login", json={"username": role, "password": PASSWORD, "token": token})
        assert r.status_code == 200, r.text
        body = r.json()
        if token:
            c.headers["Authorization"] = f"Bearer {body['token']}"
        else:
            c.csrf = body["csrf_token"]
        return c

    def close(self) -> None:
        self.store.close()


def call_events(edge: Edge, call_id: str, *, number="13812345678", unit="3-201", name="张三",
                category="repair", text="厨房水管漏水，请派人来修", at: datetime | None = None):
    caller = {"call_id": call_id, "number": number, "unit": unit, "resident_name": name}
    return [
        edge.make("call.ringing", {**caller, "ring": 1, "cadence": "normal", "caller_id_received": True}, at),
        edge.make("call.answered", {**caller, "by": "agent", "ring": 2}, at),
        edge.make("call.transcribed", {"job_id": f"j-{call_id}", "text": text, "outcome": "text",
                                       "confidence": 0.9, "model": "test", "language": "zh", "audio_s": 4.0,
                                       "call_id": call_id, "category": category, "category_basis": "keywords"}, at),
        edge.make("call.ended", {**caller, "outcome": "message", "rings": 2, "reason": "hangup",
                                 "duration_s": 30.0}, at),
    ]
