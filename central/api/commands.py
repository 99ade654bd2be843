"""Commands to the edges, with their delivery state (pending until the edge's command.applied,
then delivered or rejected): all of them, a site's, one, and sending one by type."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from frontdesk.schema import SchemaError, parse_command_payload
from frontdesk.schema.access import CardsAllowlistReplace, PassesRevoke
from frontdesk.schema.call import BlocklistReplace, DirectoryReplace
from frontdesk.schema.printing import PrintReprint, PrintSlip
from frontdesk.schema.system import Ping, SettingsUpdate
from frontdesk.topics import ID_PATTERN

from ..auth.accounts import Staff
from ..auth.roles import allowed
from .deps import SITE, SITE_Q, Api, check_site, sites_for

# Which permission each command type to an edge needs (types not named here cannot be sent).
PERMISSIONS = {PrintSlip.TYPE: "commands.print", PrintReprint.TYPE: "commands.print",
               DirectoryReplace.TYPE: "commands.lists", CardsAllowlistReplace.TYPE: "commands.lists",
               BlocklistReplace.TYPE: "commands.lists", SettingsUpdate.TYPE: "commands.lists",
               Ping.TYPE: "commands.lists", PassesRevoke.TYPE: "commands.passes"}
State = Literal["pending", "delivered", "rejected"]
DEVICE_Q = Query(None, pattern=f"^{ID_PATTERN}$")


class EdgeCommand(BaseModel):
    """A command for one of the site's edges: the device, the command type and its payload."""
    device: str = SITE
    type: str = Field(max_length=64)
    payload: dict[str, Any] = {}


def router(api: Api) -> APIRouter:
    """GET /commands, GET /commands/{id}, GET and POST /sites/{site}/commands."""
    r = APIRouter(prefix="/api/v1", tags=["commands"])
    store, require = api.store, api.require

    @r.get("/commands", summary="Commands to the edges of the account's sites, newest first, with their "
           "delivery state (commands.read)")
    def list_commands(site: str | None = SITE_Q, device: str | None = DEVICE_Q, state: State | None = None,
                      type: str | None = Query(None, max_length=64), limit: int = Query(100, ge=1, le=1000),
                      staff: Staff = Depends(require("commands.read"))) -> list[dict[str, Any]]:
        return store.list_commands(sites=sites_for(staff, site), device=device, state=state, type_=type, limit=limit)

    @r.get("/commands/{command_id}", summary="One command and its delivery state (commands.read)")
    def get_command(command_id: str, staff: Staff = Depends(require("commands.read"))) -> dict[str, Any]:
        found = store.get_command(command_id)
        if not found or not staff.can_see_site(found["site"]):
            raise HTTPException(404, "no such command")
        return found

    @r.get("/sites/{site}/commands", summary="Commands to the site's edges with pending / delivered state "
           "(commands.read)")
    def site_commands(site: str, state: State | None = None, device: str | None = DEVICE_Q,
                      limit: int = Query(100, ge=1, le=1000),
                      staff: Staff = Depends(require("commands.read"))) -> list[dict[str, Any]]:
        check_site(staff, site)
        return store.list_commands(state=state, sites=(site,), device=device, limit=limit)

    @r.post("/sites/{site}/commands", status_code=201, summary="Send a command to an edge: print.slip, "
            "directory.replace, cards.allowlist.replace, blocklist.replace, passes.revoke ... (by type)")
    def site_command(site: str, req: EdgeCommand, staff: Staff = Depends(require("commands.read"))) -> dict[str, Any]:
        check_site(staff, site)
        perm = PERMISSIONS.get(req.type)
        if perm is None:
            raise HTTPException(422, f"command type {req.type!r} cannot be sent from here "
                                     f"(types: {', '.join(sorted(PERMISSIONS))})")
        if not allowed(staff.role, perm):
            raise HTTPException(403, f"the {staff.role} role may not send {req.type}")
        try:
            payload = parse_command_payload(req.type, req.payload)
        except (SchemaError, ValueError) as err:
            raise HTTPException(422, str(err)) from None
        command = api.send(site, req.device, payload)
        if req.type == DirectoryReplace.TYPE:
            api.accounts.audit(staff, "change", "directory", req.device, site,
                               {"entries": len(req.payload.get("entries", []))})
        return command

    return r
