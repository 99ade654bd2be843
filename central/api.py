"""Central's HTTP API (FastAPI; the OpenAPI schema is served at /openapi.json).

Health, the raw event log and quarantine (managers/admins), one command's delivery state; the
tickets, registers, statistics, accounts, commands and passes (central/tickets, central/auth) and
the desk dashboard (central/dashboard) install their own routers.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Query

from frontdesk import __version__

from .auth.accounts import Staff
from .auth.deps import sites_for
from .dashboard import dashboard_router
from .store import Store
from .tickets.wiring import install_tickets


def create_app(store: Store, on_command: Callable[[], None] | None = None,
               status: Callable[[], dict[str, Any]] | None = None, config: Any = None) -> FastAPI:
    app = FastAPI(title="frontdesk central", version=__version__)
    # tickets, registers, statistics, staff accounts (config: the CentralFile, None = defaults)
    install_tickets(app, store, config, on_command)

    @app.get("/healthz")
    def health() -> dict[str, Any]:
        return {"ok": True, "database": store.backend, **(status() if status else {})}

    require = app.state.auth[1]

    def one_site(staff: Staff, site: str | None) -> str | None:
        scope = sites_for(staff, site)
        if scope is None or len(scope) == 1:
            return scope[0] if scope else None
        raise HTTPException(422, "name the site: this account sees several")

    @app.get("/api/v1/events")
    def list_events(site: str | None = None, device: str | None = None, type: str | None = None,
                    after_seq: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000),
                    staff: Staff = Depends(require("events.read"))) -> list[dict[str, Any]]:
        """The raw event log, in each device's journal order (managers and admins)."""
        return store.list_events(site=one_site(staff, site), device=device, type_=type, after_seq=after_seq,
                                 limit=limit)

    @app.get("/api/v1/quarantine")
    def list_quarantine(limit: int = Query(100, ge=1, le=1000),
                        staff: Staff = Depends(require("events.read"))) -> list[dict[str, Any]]:
        """What ingest could not accept, with the reason (admins: it may be from any site)."""
        if staff.site_filter() is not None:
            raise HTTPException(403, "quarantined payloads are not tied to a checked site: admins only")
        return store.list_quarantine(limit)

    @app.get("/api/v1/commands/{command_id}")
    def get_command(command_id: str, staff: Staff = Depends(require("commands.read"))) -> dict[str, Any]:
        """One command and its delivery state (pending / delivered / rejected)."""
        found = store.get_command(command_id)
        if not found or not staff.can_see_site(found["site"]):
            raise HTTPException(404, "no such command")
        return found

    app.include_router(dashboard_router(store, require=require))  # the desk dashboard and its live stream
    return app
