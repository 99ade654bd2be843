"""Putting the ticket system into a central app: projection into the store, routers into the API."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import FastAPI

from ..auth.accounts import Accounts
from ..auth.api import auth_router
from ..auth.deps import make_deps
from ..auth.settings import AuthConfig
from ..store import Store
from .api import tickets_router
from .settings import TicketsConfig
from .system import TicketSystem


def install_tickets(app: FastAPI, store: Store, config=None, on_command: Callable[[], None] | None = None) -> TicketSystem:
    """`config` is the CentralFile (its [tickets], [auth] and [sites.*]); None = defaults."""
    tickets_cfg = getattr(config, "tickets", None) or TicketsConfig()
    auth_cfg = getattr(config, "auth", None) or AuthConfig()
    site_tz = {key: site.timezone for key, site in (getattr(config, "sites", None) or {}).items()}
    system = TicketSystem(store, tickets_cfg, site_tz).install()
    accounts = Accounts(store.engine, timedelta(minutes=auth_cfg.session_ttl_min))
    current_session, require = make_deps(accounts, auth_cfg.cookie_name)
    app.include_router(auth_router(accounts, auth_cfg, current_session, require))
    app.include_router(tickets_router(system, accounts, require, on_command))
    app.state.tickets = system
    app.state.accounts = accounts
    app.state.auth = (current_session, require)
    return system
