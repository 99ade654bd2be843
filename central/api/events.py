"""The raw event log and the quarantine, for managers and admins (events.read): payloads as the
edges sent them, so only the event types the role may receive (roles.py EVENT_TYPES), masked for
roles outside PERSONAL_DATA_ROLES, and every read that shows personal data in full audited."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query

from ..auth.accounts import Staff
from ..auth.roles import event_types
from .deps import Api, shown, sites_for


def one_site(staff: Staff, site: str | None) -> str | None:
    """The one site a query may cover: the one asked for, or the account's only site (None: all)."""
    scope = sites_for(staff, site)
    if scope is None or len(scope) == 1:
        return scope[0] if scope else None
    raise HTTPException(422, "name the site: this account sees several")


def router(api: Api) -> APIRouter:
    """GET /events, GET /quarantine."""
    r = APIRouter(prefix="/api/v1", tags=["events"])
    store = api.store

    @r.get("/events", summary="The raw event log, in each device's journal order (events.read)")
    def list_events(site: str | None = None, device: str | None = None, type: str | None = None,
                    after_seq: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000),
                    staff: Staff = Depends(api.require("events.read"))) -> list[dict[str, Any]]:
        scope = one_site(staff, site)
        rows = store.list_events(site=scope, device=device, type_=type, after_seq=after_seq, limit=limit,
                                 type_prefixes=event_types(staff.role))
        api.audit_read(staff, "events", None, scope, rows,
                       **{k: v for k, v in {"device": device, "type": type}.items() if v is not None})
        return shown(rows, staff)

    @r.get("/quarantine", summary="What ingest could not accept, with the reason (events.read; admins: it "
           "may be from any site)")
    def list_quarantine(limit: int = Query(100, ge=1, le=1000),
                        staff: Staff = Depends(api.require("events.read"))) -> list[dict[str, Any]]:
        if staff.site_filter() is not None:
            raise HTTPException(403, "quarantined payloads are not tied to a checked site: admins only")
        rows = store.list_quarantine(limit)
        api.audit_read(staff, "quarantine", None, None, rows)
        return shown(rows, staff)

    return r
