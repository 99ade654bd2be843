"""The resident directory: the desk's unit type-ahead, the manager's upload, and pushing it to the
desk edges (which match caller ID against it)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from frontdesk.schema.call import DirectoryEntry, DirectoryReplace

from ..auth.accounts import Staff
from ..directory.residents import Directory
from .deps import Api, build, check_site, shown


class Resident(BaseModel):
    """One directory line: a unit and, optionally, a resident's name and phone number."""
    unit: str = Field(min_length=1, max_length=32)
    name: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, max_length=40)


class DirectoryUpload(BaseModel):
    """A site's whole directory; replaces what central holds."""
    entries: list[Resident] = Field(max_length=50_000)


class DirectoryPush(BaseModel):
    """The desk edges that get the directory (as a directory.replace command each)."""
    devices: list[str] = Field(min_length=1, max_length=100)


def router(api: Api) -> APIRouter:
    """GET /sites/{site}/units, GET|PUT /sites/{site}/directory, POST /sites/{site}/directory/push."""
    r = APIRouter(prefix="/api/v1", tags=["directory"])
    require = api.require
    book = Directory(api.store)

    @r.get("/sites/{site}/units", summary="Units matching what was typed, with their residents: the desk's "
           "type-ahead (tickets.read; names and numbers masked for roles that may not see them)")
    def units(site: str, q: str = Query("", max_length=32), limit: int = Query(10, ge=1, le=50),
              staff: Staff = Depends(require("tickets.read"))) -> list[dict[str, Any]]:
        check_site(staff, site)
        found = [{"unit": u["unit"], "residents": u["residents"]} for u in book.units(site, q, limit)]
        api.audit_read(staff, "directory", None, site, found, via="units")
        return shown(found, staff)

    @r.get("/sites/{site}/directory", summary="The site's whole directory (directory.admin)")
    def entries(site: str, staff: Staff = Depends(require("directory.admin"))) -> list[dict[str, Any]]:
        check_site(staff, site)
        rows = book.entries(site)
        api.audit_read(staff, "directory", None, site, rows)
        return rows

    @r.put("/sites/{site}/directory", summary="Replace the site's directory (directory.admin)")
    def replace(site: str, req: DirectoryUpload, staff: Staff = Depends(require("directory.admin"))) -> dict[str, int]:
        check_site(staff, site)
        count = book.replace(site, [e.model_dump() for e in req.entries])
        api.accounts.audit(staff, "change", "directory", None, site, {"entries": count})
        return {"entries": count}

    @r.post("/sites/{site}/directory/push", status_code=201, summary="Send the directory's numbers to desk "
            "edges: one directory.replace command each (directory.admin)")
    def push(site: str, req: DirectoryPush, staff: Staff = Depends(require("directory.admin"))) -> list[dict[str, Any]]:
        check_site(staff, site)
        lines = [build(DirectoryEntry, number=e["phone"], unit=e["unit"], name=e["name"])
                 for e in book.entries(site) if e["phone"] and len(e["phone"]) >= 3]
        payload = build(DirectoryReplace, entries=lines)
        return [api.send(site, device, payload) for device in dict.fromkeys(req.devices)]

    return r
