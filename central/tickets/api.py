"""The tickets HTTP API: the board, tickets and their changes, work orders printed at an edge,
the registers with export, monthly statistics, commands to edges, and personal-data requests.

Every endpoint needs a logged-in staff account (auth/deps.py) with the permission named in its
description, and only shows the sites of that account. Residents' names and phone numbers come
back masked for roles outside PERSONAL_DATA_ROLES; every response that shows them in full, and
every change to them, is written to the audit log.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field, field_validator

from frontdesk.schema import SchemaError
from frontdesk.schema.tickets import TICKET_ID, Kind, PauseReason
from frontdesk.topics import ID_PATTERN

from ..auth.accounts import Accounts, Staff
from ..auth.deps import check_site, sites_for
from ..auth.masking import mask_row
from ..auth.roles import PERSONAL_DATA_ROLES, TECHNICIAN_STATES, allowed
from . import lifecycle, privacy, stats
from .projection import iso, utc
from .registers import EXPORT_MAX_ROWS, Registers, columns_for, to_csv, to_xlsx
from .system import TicketNotFound, TicketSystem

SITE = Field(pattern=f"^{ID_PATTERN}$")
SITE_Q = Query(None, pattern=f"^{ID_PATTERN}$")
PERSONAL = ("contact_name", "contact_phone")

# Which permission each command type to an edge needs.
COMMAND_PERMISSIONS = {"print.slip": "commands.print", "print.reprint": "commands.print",
                       "directory.replace": "commands.lists", "cards.allowlist.replace": "commands.lists",
                       "blocklist.replace": "commands.lists", "settings.update": "commands.lists",
                       "edge.ping": "commands.lists", "passes.revoke": "commands.passes"}


def _plausible(value: datetime | None) -> datetime | None:
    if value is not None and not (2000 <= value.year <= 2100):
        raise ValueError("must be between the years 2000 and 2100")
    return value


class NewTicket(BaseModel):
    site: str = SITE
    kind: Kind
    title: str = Field(min_length=1, max_length=200)
    details: str | None = Field(default=None, max_length=4000)
    unit: str | None = Field(default=None, max_length=32)
    contact_name: str | None = Field(default=None, max_length=120)
    contact_phone: str | None = Field(default=None, max_length=40)
    complaint_class: Literal[1, 2, 3] | None = None
    complaint_valid: bool | None = None
    major: bool = False
    parent_id: str | None = Field(default=None, pattern=TICKET_ID)
    source: Literal["desk", "mail", "api"] = "desk"
    source_ref: str | None = Field(default=None, max_length=64)
    appointment_at: datetime | None = None
    _a = field_validator("appointment_at")(classmethod(lambda cls, v: _plausible(v)))


class Transition(BaseModel):
    to_state: str = Field(pattern=r"^[a-z_]{1,32}$")
    note: str | None = Field(default=None, max_length=2000)


class Assign(BaseModel):
    assignee: str = Field(min_length=1, max_length=64)
    note: str | None = Field(default=None, max_length=2000)


class Patch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    details: str | None = Field(default=None, max_length=4000)
    unit: str | None = Field(default=None, max_length=32)
    contact_name: str | None = Field(default=None, max_length=120)
    contact_phone: str | None = Field(default=None, max_length=40)
    complaint_class: Literal[1, 2, 3] | None = None
    complaint_valid: bool | None = None
    major: bool | None = None
    appointment_at: datetime | None = None
    parent_id: str | None = Field(default=None, pattern=TICKET_ID)
    note: str | None = Field(default=None, max_length=2000)
    _a = field_validator("appointment_at")(classmethod(lambda cls, v: _plausible(v)))


class Pause(BaseModel):
    reason: PauseReason
    appointment_at: datetime | None = None
    note: str | None = Field(default=None, max_length=2000)
    _a = field_validator("appointment_at")(classmethod(lambda cls, v: _plausible(v)))


class Note(BaseModel):
    note: str | None = Field(default=None, max_length=2000)


class Callback(BaseModel):
    reached: bool
    satisfied: bool | None = None
    note: str | None = Field(default=None, max_length=2000)


class PrintRequest(BaseModel):
    device: str = SITE
    printer: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    language: Literal["zh", "en"] = "zh"


class WorkOrder(PrintRequest):
    assignee: str | None = Field(default=None, min_length=1, max_length=64)


class EdgeCommand(BaseModel):
    device: str = SITE
    type: str = Field(max_length=64)
    payload: dict[str, Any] = {}


class PassRequest(BaseModel):
    host_unit: str = Field(min_length=1, max_length=32)
    visitor_name: str = Field(min_length=1, max_length=64)
    hours: float = Field(default=24.0, gt=0, le=24 * 366)
    single_use: bool = True


class PassRevoke(BaseModel):
    pass_ids: list[str] = Field(min_length=1, max_length=10_000)
    devices: list[str] = Field(min_length=1, max_length=100, description="the posts that must refuse them")
    reason: str | None = Field(default=None, max_length=200)
    until: datetime | None = None
    _u = field_validator("until")(classmethod(lambda cls, v: _plausible(v)))


class Erasure(BaseModel):
    site: str | None = Field(default=None, pattern=f"^{ID_PATTERN}$")
    phone: str | None = Field(default=None, min_length=3, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    unit: str | None = Field(default=None, min_length=1, max_length=32)


def _out(row: dict[str, Any], staff: Staff) -> dict[str, Any]:
    row = {k: (iso(v) if isinstance(v, datetime) else v) for k, v in row.items()}
    return row if staff.role in PERSONAL_DATA_ROLES else mask_row(row)


def _has_personal(rows: list[dict[str, Any]], fields=("contact_name", "contact_phone", "number", "caller_name",
                                                       "resident_name", "visitor_name", "phone")) -> bool:
    return any(r.get(f) for r in rows for f in fields)


def tickets_router(system: TicketSystem, accounts: Accounts, require, on_command=None) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["tickets"])
    registers = Registers(system.store)

    def load(ticket_id: str, staff: Staff) -> dict[str, Any]:
        ticket = system.get(ticket_id)
        if ticket is None or not staff.can_see_site(ticket["site"]):
            raise HTTPException(404, "no such ticket")
        return ticket

    def audit_read(staff: Staff, entity: str, entity_id: str | None, site: str | None, rows: list[dict], **detail):
        if staff.role in PERSONAL_DATA_ROLES and _has_personal(rows):
            accounts.audit(staff, "read", entity, entity_id, site, {"rows": len(rows), **detail})

    def change(ticket_id: str, staff: Staff, type_: str, **fields) -> dict[str, Any]:
        load(ticket_id, staff)
        try:
            ticket, _ = system.change(ticket_id, type_, staff.username, **fields)
        except lifecycle.TransitionError as err:
            raise HTTPException(422, str(err)) from None
        except SchemaError as err:
            raise HTTPException(422, str(err)) from None
        return _out(ticket, staff)

    @router.get("/tickets", summary="The ticket board: open tickets, soonest due first (tickets.read)")
    def board(site: str | None = SITE_Q, kind: Kind | None = None, state: str | None = Query(None, max_length=32),
              unit: str | None = Query(None, max_length=32), assignee: str | None = Query(None, max_length=64),
              include_closed: bool = False, limit: int = Query(100, ge=1, le=500),
              staff: Staff = Depends(require("tickets.read"))) -> list[dict[str, Any]]:
        rows = system.board(sites_for(staff, site), kind=kind, state=state, unit=unit, assignee=assignee,
                            open_only=not include_closed, limit=limit)
        return [_out(r, staff) for r in rows]

    @router.post("/tickets", status_code=201, summary="Open a ticket by hand (tickets.create)")
    def create(req: NewTicket, staff: Staff = Depends(require("tickets.create"))) -> dict[str, Any]:
        check_site(staff, req.site)
        if staff.role == "guard" and req.kind not in ("mail", "visit", "help_request"):
            raise HTTPException(403, "guards open mail, visit and help-request tickets only")
        fields = req.model_dump(exclude={"site"})
        try:
            ticket = system.open(req.site, staff.username, **fields)
        except TicketNotFound as err:
            raise HTTPException(422, str(err)) from None
        except SchemaError as err:
            raise HTTPException(422, str(err)) from None
        if req.contact_name or req.contact_phone:
            accounts.audit(staff, "change", "ticket", ticket["id"], req.site, {"fields": ["contact"]})
        return _out(ticket, staff)

    @router.get("/tickets/{ticket_id}", summary="One ticket with its timers, history and child tickets")
    def get(ticket_id: str, staff: Staff = Depends(require("tickets.read"))) -> dict[str, Any]:
        ticket = load(ticket_id, staff)
        audit_read(staff, "ticket", ticket_id, ticket["site"], [ticket])
        return {**_out(ticket, staff), "history": system.history(ticket_id),
                "children": [_out(c, staff) for c in system.children(ticket_id)],
                "states": list(lifecycle.states(ticket["kind"]))}

    @router.post("/tickets/{ticket_id}/transition", summary="Move to another state of the lifecycle "
                 "(tickets.change; technicians: claimed, on_site, done)")
    def transition(ticket_id: str, req: Transition, staff: Staff = Depends(require("tickets.read"))) -> dict[str, Any]:
        need = "tickets.work" if req.to_state in TECHNICIAN_STATES else "tickets.change"
        if not allowed(staff.role, need):
            raise HTTPException(403, f"the {staff.role} role may not move a ticket to {req.to_state}")
        return change(ticket_id, staff, "ticket.transitioned", to_state=req.to_state, note=req.note)

    @router.post("/tickets/{ticket_id}/assign", summary="Give the ticket to a technician (tickets.change)")
    def assign(ticket_id: str, req: Assign, staff: Staff = Depends(require("tickets.change"))) -> dict[str, Any]:
        return change(ticket_id, staff, "ticket.assigned", assignee=req.assignee, note=req.note)

    @router.patch("/tickets/{ticket_id}", summary="Correct fields (tickets.change)")
    def patch(ticket_id: str, req: Patch, staff: Staff = Depends(require("tickets.change"))) -> dict[str, Any]:
        fields = {k: (v.isoformat() if isinstance(v, datetime) else v)
                  for k, v in req.model_dump(exclude_unset=True, exclude={"note"}).items()}
        if not fields:
            raise HTTPException(422, "nothing to change")
        ticket = change(ticket_id, staff, "ticket.updated", fields=fields, note=req.note)
        if set(fields) & set(PERSONAL):
            accounts.audit(staff, "change", "ticket", ticket_id, ticket["site"], {"fields": sorted(set(fields) & set(PERSONAL))})
        return ticket

    @router.post("/tickets/{ticket_id}/pause", summary="Stop pausable timers: waiting for the resident, "
                 "or an agreed appointment (tickets.work)")
    def pause(ticket_id: str, req: Pause, staff: Staff = Depends(require("tickets.work"))) -> dict[str, Any]:
        return change(ticket_id, staff, "ticket.paused", reason=req.reason, appointment_at=req.appointment_at,
                      note=req.note)

    @router.post("/tickets/{ticket_id}/resume", summary="Timers count again (tickets.work)")
    def resume(ticket_id: str, req: Note, staff: Staff = Depends(require("tickets.work"))) -> dict[str, Any]:
        return change(ticket_id, staff, "ticket.resumed", note=req.note)

    @router.post("/tickets/{ticket_id}/reopen", summary="Reopen a done or closed ticket (tickets.change)")
    def reopen(ticket_id: str, req: Note, staff: Staff = Depends(require("tickets.change"))) -> dict[str, Any]:
        return change(ticket_id, staff, "ticket.reopened", note=req.note)

    @router.post("/tickets/{ticket_id}/callback", summary="Record the callback (回访) (tickets.change)")
    def callback(ticket_id: str, req: Callback, staff: Staff = Depends(require("tickets.change"))) -> dict[str, Any]:
        return change(ticket_id, staff, "ticket.callback_recorded", reached=req.reached, satisfied=req.satisfied,
                      note=req.note)

    def print_slip(ticket: dict[str, Any], staff: Staff, req: PrintRequest) -> dict[str, Any]:
        check_site(staff, ticket["site"])
        data = workorder_data(ticket, system.config.sla.get(ticket["kind"], []), req.language)
        # One work-order job per ticket, "wo:<ticket>": the edge's print queue ignores a job id it
        # has seen, so asking twice prints once (print.reprint prints again).
        job_id = f"wo:{ticket['id']}"[:80]
        payload = {"job_id": job_id, "kind": "workorder", "language": req.language, "data": data}
        if req.printer:
            payload["printer"] = req.printer
        existing = [c for c in system.store.list_commands(site=ticket["site"], device=req.device, limit=50)
                    if c["type"] == "print.slip" and c["payload"].get("job_id") == job_id]
        if existing:
            return existing[0]
        try:
            command = system.store.create_command(ticket["site"], req.device, "print.slip", payload)
        except SchemaError as err:
            raise HTTPException(422, str(err)) from None
        if on_command:
            on_command()
        return system.store.get_command(command.id)

    @router.post("/tickets/{ticket_id}/work-order", summary="Make the work order: issue it (repair), "
                 "optionally assign, and print the slip at an edge (tickets.change)")
    def work_order(ticket_id: str, req: WorkOrder, staff: Staff = Depends(require("tickets.change"))) -> dict[str, Any]:
        ticket = load(ticket_id, staff)
        if "work_order_issued" in lifecycle.states(ticket["kind"]) and \
                lifecycle.rank(ticket["kind"], ticket["state"]) < lifecycle.rank(ticket["kind"], "work_order_issued"):
            system.change(ticket_id, "ticket.transitioned", staff.username, to_state="work_order_issued")
        if req.assignee:
            system.change(ticket_id, "ticket.assigned", staff.username, assignee=req.assignee)
        ticket = system.get(ticket_id)
        command = print_slip(ticket, staff, req)
        return {"ticket": _out(ticket, staff), "command": command}

    @router.post("/tickets/{ticket_id}/print", summary="Print the ticket's slip on an edge's printer (commands.print)")
    def print_ticket(ticket_id: str, req: PrintRequest, staff: Staff = Depends(require("commands.print"))) -> dict[str, Any]:
        return print_slip(load(ticket_id, staff), staff, req)

    @router.get("/sites/{site}/units/{unit}/tickets", summary="A unit's recent tickets (tickets.read)")
    def unit_tickets(site: str, unit: str, limit: int = Query(10, ge=1, le=100),
                     staff: Staff = Depends(require("tickets.read"))) -> list[dict[str, Any]]:
        check_site(staff, site)
        return [_out(r, staff) for r in system.recent_for_unit(site, unit[:32], limit)]

    @router.get("/registers/{register}", summary="A register (calls, visits, mail, night) as JSON, CSV or XLSX",
                responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument."
                                                                  "spreadsheetml.sheet": {}}}})
    def register(register: Literal["calls", "visits", "mail", "night"], site: str | None = SITE_Q,
                 since: datetime | None = None, until: datetime | None = None, before: datetime | None = None,
                 night: bool | None = None, on_site: bool = False, uncollected: bool = False,
                 double_use: bool = Query(False, description="visits: only single-use passes used at two posts"),
                 unit: str | None = Query(None, max_length=32), number: str | None = Query(None, max_length=40),
                 limit: int = Query(100, ge=1, le=EXPORT_MAX_ROWS), format: Literal["json", "csv", "xlsx"] = "json",
                 staff: Staff = Depends(require("tickets.read"))) -> Any:
        perm = {"calls": "registers.calls", "visits": "registers.visits", "mail": "registers.mail",
                "night": "registers.calls"}[register]
        if not allowed(staff.role, perm):
            raise HTTPException(403, f"the {staff.role} role may not read the {register} register")
        for value in (since, until, before):
            try:
                _plausible(value)
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
        rows = [_out(r, staff) for r in rows]
        if format == "json":
            audit_read(staff, "register", register, site, rows)
            return rows
        if staff.role in PERSONAL_DATA_ROLES:
            accounts.audit(staff, "export", "register", register, site, {"rows": len(rows), "format": format})
        name = f"{register}-{site or 'all'}"
        if format == "csv":
            return Response(to_csv(columns_for(register), rows), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
        return Response(to_xlsx(register, columns_for(register), rows),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})

    month_q = Query(..., pattern=r"^(20\d\d)-(0[1-9]|1[0-2])$", description="YYYY-MM, in the site's time zone")

    @router.get("/stats/monthly", summary="Monthly rates and complaint counts per kind (stats.read)")
    def monthly(site: str = Query(..., pattern=f"^{ID_PATTERN}$"), month: str = month_q,
                staff: Staff = Depends(require("stats.read"))) -> dict[str, Any]:
        check_site(staff, site)
        return stats.monthly(system.store, site, month, system.tz_for(site))

    @router.get("/stats/monthly.png", summary="The month's rates as a bar chart (stats.read)",
                responses={200: {"content": {"image/png": {}}}}, response_class=Response)
    def monthly_png(site: str = Query(..., pattern=f"^{ID_PATTERN}$"), month: str = month_q,
                    staff: Staff = Depends(require("stats.read"))) -> Response:
        check_site(staff, site)
        return Response(stats.plot_png(stats.monthly(system.store, site, month, system.tz_for(site))),
                        media_type="image/png")

    @router.get("/sla", summary="The SLA timer definitions per kind, and the lifecycles (tickets.read)")
    def sla(staff: Staff = Depends(require("tickets.read"))) -> dict[str, Any]:
        return {"lifecycles": {k: list(lifecycle.states(k)) for k in lifecycle.KINDS},
                "timers": {k: [t.model_dump() for t in v] for k, v in system.config.sla.items()}}

    @router.get("/sites/{site}/commands", summary="Commands to the site's edges with pending / delivered state "
                "(commands.read)")
    def site_commands(site: str, state: Literal["pending", "delivered", "rejected"] | None = None,
                      device: str | None = SITE_Q, limit: int = Query(100, ge=1, le=1000),
                      staff: Staff = Depends(require("commands.read"))) -> list[dict[str, Any]]:
        check_site(staff, site)
        return system.store.list_commands(state=state, site=site, device=device, limit=limit)

    @router.post("/sites/{site}/commands", status_code=201, summary="Send a command to an edge: print.slip, "
                 "directory.replace, cards.allowlist.replace, blocklist.replace, passes.revoke ... (by type)")
    def site_command(site: str, req: EdgeCommand, staff: Staff = Depends(require("commands.read"))) -> dict[str, Any]:
        check_site(staff, site)
        perm = COMMAND_PERMISSIONS.get(req.type)
        if perm is None:
            raise HTTPException(422, f"command type {req.type!r} cannot be sent from here "
                                     f"(types: {', '.join(sorted(COMMAND_PERMISSIONS))})")
        if not allowed(staff.role, perm):
            raise HTTPException(403, f"the {staff.role} role may not send {req.type}")
        try:
            command = system.store.create_command(site, req.device, req.type, req.payload)
        except (SchemaError, ValueError) as err:
            raise HTTPException(422, str(err)) from None
        if req.type == "directory.replace":
            accounts.audit(staff, "change", "directory", req.device, site, {"entries": len(req.payload.get("entries", []))})
        if on_command:
            on_command()
        return system.store.get_command(command.id)

    @router.post("/sites/{site}/passes", status_code=201, summary="Issue a signed visitor pass for the "
                 "site (commands.passes); the token goes into the visitor's QR code")
    def issue(site: str, req: PassRequest, staff: Staff = Depends(require("commands.passes"))) -> dict[str, Any]:
        from frontdesk.passes import load_private_key

        from ..passes import issue_pass
        check_site(staff, site)
        path = system.config.pass_keys.get(site)
        if path is None:
            raise HTTPException(409, f"site {site!r} has no pass signing key ([tickets.pass_keys] in the config)")
        try:
            key = load_private_key(path)
            pass_id, token = issue_pass(key, site=site, host_unit=req.host_unit, visitor_name=req.visitor_name,
                                        hours=req.hours, single_use=req.single_use)
        except (OSError, ValueError) as err:
            raise HTTPException(409, f"cannot issue the pass: {err}") from None
        accounts.audit(staff, "change", "pass", pass_id, site, {"host_unit": req.host_unit})
        return {"pass_id": pass_id, "token": token, "site": site, "host_unit": req.host_unit}

    @router.post("/sites/{site}/passes/revoke", status_code=201, summary="Revoke passes at the named posts: "
                 "one passes.revoke command each, sent until acknowledged (commands.passes)")
    def revoke(site: str, req: PassRevoke, staff: Staff = Depends(require("commands.passes"))) -> list[dict[str, Any]]:
        check_site(staff, site)
        payload = {"pass_ids": req.pass_ids, "reason": req.reason,
                   "until": req.until.isoformat() if req.until else None}
        out = []
        for device in dict.fromkeys(req.devices):
            try:
                command = system.store.create_command(site, device, "passes.revoke", payload)
            except (SchemaError, ValueError) as err:
                raise HTTPException(422, str(err)) from None
            out.append(system.store.get_command(command.id))
        if on_command:
            on_command()
        return out

    @router.post("/privacy/erase", summary="Erase one resident's personal data everywhere (privacy.admin)")
    def erase(req: Erasure, staff: Staff = Depends(require("privacy.admin"))) -> dict[str, int]:
        try:
            counts = privacy.erase_person(system.store, sites_for(staff, req.site), phone=req.phone, name=req.name,
                                          unit=req.unit)
        except ValueError as err:
            raise HTTPException(422, str(err)) from None
        accounts.audit(staff, "erase", "person", req.unit, req.site, {"counts": counts, "by_phone": bool(req.phone)})
        return counts

    @router.post("/privacy/retention", summary="Anonymise visit records past the retention period now "
                 "(privacy.admin)")
    def retention(staff: Staff = Depends(require("privacy.admin"))) -> dict[str, int]:
        n = privacy.anonymise_visits(system.store, system.config.visit_retention_days)
        accounts.audit(staff, "anonymise", "visits", None, None, {"visits": n})
        return {"anonymised": n, "retention_days": system.config.visit_retention_days}

    return router


KIND_LABELS = {
    "zh": {"repair": "维修", "complaint": "投诉", "help_request": "求助", "inquiry": "咨询", "paid_service": "有偿服务",
           "mail": "邮件", "visit": "来访"},
    "en": {"repair": "Repair", "complaint": "Complaint", "help_request": "Help request", "inquiry": "Inquiry",
           "paid_service": "Paid service", "mail": "Mail", "visit": "Visit"},
}


def on_site_deadline(ticket: dict[str, Any], definitions: list[Any]) -> str | None:
    """When the technician must be on site. Once the order is claimed the on-site timer says; before
    that it is the latest time engineering may collect it plus the on-site allowance (guide §1:
    collect within 2 min, on site 10 min after taking the order), or 5 min before an appointment."""
    timers = {t["name"]: t for t in ticket["timers"]}
    for name in ("on_site", "on_site_appointment"):
        if timers.get(name, {}).get("due_at"):
            return iso(timers[name]["due_at"])
    on_site = next((d for d in definitions if d.name == "on_site"), None)
    claim_due = timers.get("claim", {}).get("due_at")
    if on_site is None or claim_due is None:
        return None
    return iso(utc(claim_due) + timedelta(minutes=on_site.minutes or 0, days=on_site.days or 0))


def workorder_data(ticket: dict[str, Any], definitions: list[Any], language: str = "zh") -> dict[str, Any]:
    """The work-order slip's fields (edge/printing/templates/workorder.*.slip)."""
    unit = ticket.get("unit") or ""
    building, _, room = unit.partition("-") if "-" in unit else ("", "", unit)
    labels = KIND_LABELS.get(language, KIND_LABELS["en"])
    return {"ticket_no": ticket["id"], "category": labels.get(ticket["kind"], ticket["kind"]),
            "content": ticket.get("details") or ticket["title"], "building": building, "unit": room,
            "caller_name": ticket.get("contact_name") or "", "caller_phone": ticket.get("contact_phone") or "",
            "created_at": iso(ticket["created_at"]), "appointment": iso(ticket.get("appointment_at")),
            "sla_deadline": on_site_deadline(ticket, definitions), "claim_code": f"FD1:WO:{ticket['id']}"}
