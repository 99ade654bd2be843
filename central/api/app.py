"""Central's HTTP API (FastAPI; the OpenAPI schema is served at /openapi.json, and its pages at /docs
and /redoc, when [auth] api_docs is on): the ticket system installed in the store, one router per
resource (this folder), and the desk dashboard."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request

from frontdesk import __version__

from ..auth.accounts import Accounts
from ..auth.deps import make_deps, request_token
from ..auth.settings import AuthConfig
from ..config import CentralFile, secure_cookies
from ..dashboard import dashboard_router
from ..privacy.service import Privacy
from ..privacy.settings import PrivacyConfig
from ..store import Store
from ..tickets.settings import TicketsConfig
from ..tickets.system import TicketSystem
from . import (
    accounts,
    attachments,
    calls,
    commands,
    desk,
    directory,
    events,
    passes,
    privacy,
    registers,
    residents,
    staff,
    statistics,
    ticket_changes,
    tickets,
    work,
    work_orders,
)
from .deps import Api
from .errors import install_error_pages

RESOURCES = (accounts, tickets, ticket_changes, calls, work_orders, work, attachments, registers, statistics, commands,
             passes, privacy, events, directory, residents, desk, staff)


def create_app(store: Store, on_command: Callable[[], None] | None = None,
               status: Callable[[], dict[str, Any]] | None = None, config: Any = None) -> FastAPI:
    """The API over `store`. `config` is the CentralFile (its [tickets], [auth] and [sites.*]; None =
    defaults); `on_command` wakes the command dispatcher; `status` adds to /healthz."""
    tickets_cfg = getattr(config, "tickets", None) or TicketsConfig()
    auth_cfg = getattr(config, "auth", None) or AuthConfig()
    if isinstance(config, CentralFile):  # the cookie's Secure flag as the whole file implies it
        auth_cfg = auth_cfg.model_copy(update={"cookie_secure": secure_cookies(config)})
    docs = auth_cfg.api_docs
    app = FastAPI(title="frontdesk central", version=__version__, docs_url="/docs" if docs else None,
                  redoc_url="/redoc" if docs else None, openapi_url="/openapi.json" if docs else None)
    install_error_pages(app)
    site_tz = {key: site.timezone for key, site in (getattr(config, "sites", None) or {}).items()}
    system = TicketSystem(store, tickets_cfg, site_tz).install()
    staff = Accounts(store.engine, timedelta(minutes=auth_cfg.session_ttl_min),
                     idle=timedelta(minutes=auth_cfg.idle_timeout_min),
                     remember_idle=timedelta(days=min(auth_cfg.remember_idle_days, auth_cfg.remember_days)))
    current_session, require = make_deps(staff, auth_cfg.cookie_name)
    fleet_dir = getattr(getattr(config, "fleet", None), "dir", None)
    privacy = Privacy(store, staff, getattr(config, "privacy", None) or PrivacyConfig(), on_command)
    api = Api(system, staff, require, current_session, auth_cfg, on_command, fleet_dir, privacy)
    for resource in RESOURCES:
        app.include_router(resource.router(api))

    @app.get("/healthz")
    def health() -> dict[str, Any]:
        return {"ok": True, "database": store.backend, **(status() if status else {})}

    app.state.tickets = system
    app.state.accounts = staff
    app.state.privacy = privacy

    def session_alive(request: Request) -> bool:
        # an open live stream looking: not a use that keeps the session from idling out
        return staff.session(request_token(request, auth_cfg.cookie_name), touch=False) is not None

    # the desk dashboard and its live stream (one audit entry per subscription: dashboard/routes.py)
    app.include_router(dashboard_router(store, require=require, alive=session_alive))
    return app
