"""Commands to the edges, with their delivery state (pending until the edge's command.applied,
then delivered or rejected): all of them, a site's, one, and sending one by type.

A command's payload and result may hold residents' personal data (a directory.replace's entries,
a card allow-list's holders, a work-order slip's caller): every read shows them masked for roles
outside PERSONAL_DATA_ROLES, is audited when it shows them in full, and covers only the types the
role may read (roles.py commands.read_all, else the types it may send)."""
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
from .deps import SITE, SITE_Q, Api, check_site, shown, sites_for

# Which permission each command type to an edge needs (types not named here cannot be sent).
PERMISSIONS = {PrintSlip.TYPE: "commands.print", PrintReprint.TYPE: "commands.print",
               DirectoryReplace.TYPE: "commands.lists", CardsAllowlistReplace.TYPE: "commands.lists",
               BlocklistReplace.TYPE: "commands.lists", SettingsUpdate.TYPE: "commands.lists",
               Ping.TYPE: "commands.lists", PassesRevoke.TYPE: "commands.passes"}
State = Literal["pending", "delivered", "rejected"]
DEVICE_Q = Query(None, pattern=f"^{ID_PATTERN}$")


def readable_types(staff: Staff) -> tuple[str, ...] | None:
    """The command types `staff` may read: None (every type) with commands.read_all, else the types
    its role may send."""
    if allowed(staff.role, "commands.read_all"):
        return None
    return tuple(sorted(t for t, perm in PERMISSIONS.items() if allowed(staff.role, perm)))


def readable(staff: Staff, command: dict[str, Any] | None) -> bool:
    """Whether `staff` may read this command (its site and its type)."""
    types = readable_types(staff)
    return (command is not None and staff.can_see_site(command["site"])
            and (types is None or command["type"] in types))


def listed(api: Api, staff: Staff, site: str | None, rows: list[dict[str, Any]], **query: Any) -> list[dict[str, Any]]:
    """A list of commands as `staff` may see it, the read audited if it shows personal data."""
    api.audit_read(staff, "commands", None, site, rows, **{k: v for k, v in query.items() if v is not None})
    return shown(rows, staff)


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
        rows = store.list_commands(sites=sites_for(staff, site), device=device, state=state, type_=type,
                                   types=readable_types(staff), limit=limit)
        return listed(api, staff, site, rows, device=device, state=state, type=type)

    @r.get("/commands/{command_id}", summary="One command and its delivery state (commands.read)")
    def get_command(command_id: str, staff: Staff = Depends(require("commands.read"))) -> dict[str, Any]:
        found = store.get_command(command_id)
        if found is None or not readable(staff, found):
            raise HTTPException(404, "no such command")
        api.audit_read(staff, "command", command_id, found["site"], found, type=found["type"])
        return shown(found, staff)

    @r.get("/sites/{site}/commands", summary="Commands to the site's edges with pending / delivered state "
           "(commands.read)")
    def site_commands(site: str, state: State | None = None, device: str | None = DEVICE_Q,
                      limit: int = Query(100, ge=1, le=1000),
                      staff: Staff = Depends(require("commands.read"))) -> list[dict[str, Any]]:
        check_site(staff, site)
        rows = store.list_commands(state=state, sites=(site,), device=device, types=readable_types(staff), limit=limit)
        return listed(api, staff, site, rows, device=device, state=state)

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
        return shown(command, staff)

    return r
