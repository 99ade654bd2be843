"""The registers (calls, visits, mail, night) as JSON, CSV or XLSX, scoped to the account's sites."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from ..auth.accounts import Staff
from ..auth.roles import PERSONAL_DATA_ROLES, allowed
from ..tickets.registers import EXPORT_MAX_ROWS, Registers, columns_for, to_csv, to_xlsx
from .deps import SITE_Q, Api, out, plausible, sites_for

Register = Literal["calls", "visits", "mail", "night"]
PERMISSIONS = {"calls": "registers.calls", "visits": "registers.visits", "mail": "registers.mail",
               "night": "registers.calls"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export(api: Api, staff: Staff, register: str, site: str | None, rows: list[dict[str, Any]],
           format: Literal["csv", "xlsx"]) -> Response:
    """The rows as a downloaded CSV or XLSX file; exports of personal data are audited."""
    if staff.role in PERSONAL_DATA_ROLES:
        api.accounts.audit(staff, "export", "register", register, site, {"rows": len(rows), "format": format})
    name = f"{register}-{site or 'all'}"
    if format == "csv":
        return Response(to_csv(columns_for(register), rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(to_xlsx(register, columns_for(register), rows), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


def router(api: Api) -> APIRouter:
    """GET /registers/{register}."""
    r = APIRouter(prefix="/api/v1", tags=["registers"])
    registers = Registers(api.store)

    @r.get("/registers/{register}", summary="A register (calls, visits, mail, night) as JSON, CSV or XLSX "
           "(registers.calls / registers.visits / registers.mail)",
           responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
    def register(register: Register, site: str | None = SITE_Q,
                 since: datetime | None = None, until: datetime | None = None, before: datetime | None = None,
                 night: bool | None = None, on_site: bool = False, uncollected: bool = False,
                 double_use: bool = Query(False, description="visits: only single-use passes used at two posts"),
                 unit: str | None = Query(None, max_length=32), number: str | None = Query(None, max_length=40),
                 limit: int = Query(100, ge=1, le=EXPORT_MAX_ROWS), format: Literal["json", "csv", "xlsx"] = "json",
                 staff: Staff = Depends(api.require("tickets.read"))) -> Any:
        if not allowed(staff.role, PERMISSIONS[register]):
            raise HTTPException(403, f"the {staff.role} role may not read the {register} register")
        for value in (since, until, before):
            try:
                plausible(value)
            except ValueError as err:
                raise HTTPException(422, f"dates {err}") from None
        sites = sites_for(staff, site)
        if register == "calls":
            rows = registers.calls(sites, since=since, until=until, before=before, night=night, unit=unit,
                                   number=number, limit=limit)
        elif register == "visits":
            rows = registers.visits(sites, since=since, until=until, before=before, night=night, on_site=on_site,
                                    unit=unit, double_use=double_use, limit=limit)
        elif register == "mail":
            rows = registers.mail(sites, since=since, until=until, before=before, uncollected=uncollected,
                                  unit=unit, limit=limit)
        else:
            rows = registers.night(sites, since=since, until=until, limit=limit)
        rows = [out(row, staff) for row in rows]
        if format == "json":
            api.audit_read(staff, "register", register, site, rows)
            return rows
        return export(api, staff, register, site, rows, format)

    return r
