"""Central's HTTP API (FastAPI; the OpenAPI schema is served at /openapi.json).

The foundation endpoints: health, the event log, quarantine, and commands to edges with their
pending / delivered state.
"""
from __future__ import annotations

from typing import Any, Callable

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field

from frontdesk import __version__
from frontdesk.schema import SchemaError
from frontdesk.topics import ID_PATTERN

from .store import Store


class CommandRequest(BaseModel):
    site: str = Field(pattern=f"^{ID_PATTERN}$")
    device: str = Field(pattern=f"^{ID_PATTERN}$")
    type: str = Field(max_length=64)
    payload: dict[str, Any] = {}


def create_app(store: Store, on_command: Callable[[], None] | None = None,
               status: Callable[[], dict[str, Any]] | None = None) -> FastAPI:
    app = FastAPI(title="frontdesk central", version=__version__)

    @app.get("/healthz")
    def health() -> dict[str, Any]:
        return {"ok": True, "database": store.backend, **(status() if status else {})}

    @app.get("/api/v1/events")
    def list_events(site: str | None = None, device: str | None = None, type: str | None = None,
                    after_seq: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
        return store.list_events(site=site, device=device, type_=type, after_seq=after_seq, limit=limit)

    @app.get("/api/v1/quarantine")
    def list_quarantine(limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
        return store.list_quarantine(limit)

    @app.get("/api/v1/commands")
    def list_commands(state: str | None = Query(None, pattern="^(pending|delivered|rejected)$"),
                      site: str | None = None, device: str | None = None,
                      limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
        return store.list_commands(state=state, site=site, device=device, limit=limit)

    @app.post("/api/v1/commands", status_code=201)
    def create_command(req: CommandRequest) -> dict[str, Any]:
        try:
            command = store.create_command(req.site, req.device, req.type, req.payload)
        except SchemaError as err:
            raise HTTPException(422, str(err)) from None
        if on_command:
            on_command()
        return store.get_command(command.id)

    @app.get("/api/v1/commands/{command_id}")
    def get_command(command_id: str) -> dict[str, Any]:
        found = store.get_command(command_id)
        if not found:
            raise HTTPException(404, "no such command")
        return found

    return app
