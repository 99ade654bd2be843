"""Central's HTTP API, one router module per resource: accounts, tickets, ticket_changes, calls
(a call's ticket), work_orders, registers, statistics, commands, passes, privacy, events; their
shared dependencies in deps.py; the app in app.py."""
from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
