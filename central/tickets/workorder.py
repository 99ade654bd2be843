"""The work-order slip: what central sends an edge's printer for a ticket (the fields of
edge/printing/templates/workorder.*.slip)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from .times import iso, utc

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


def workorder_data(ticket: dict[str, Any], definitions: list[Any], language: str = "zh",
                   claim_code: str | None = None) -> dict[str, Any]:
    """The work-order slip's fields (edge/printing/templates/workorder.*.slip). `claim_code` is what
    the slip's QR holds: the claim address (links.py); without one, the ticket's id as FD1:WO:<id>."""
    unit = ticket.get("unit") or ""
    building, _, room = unit.partition("-") if "-" in unit else ("", "", unit)
    labels = KIND_LABELS.get(language, KIND_LABELS["en"])
    return {"ticket_no": ticket.get("number") or ticket["id"], "category": labels.get(ticket["kind"], ticket["kind"]),
            "content": ticket.get("details") or ticket["title"], "building": building, "unit": room,
            "caller_name": ticket.get("contact_name") or "", "caller_phone": ticket.get("contact_phone") or "",
            "created_at": iso(ticket["created_at"]), "appointment": iso(ticket.get("appointment_at")),
            "sla_deadline": on_site_deadline(ticket, definitions), "claim_code": claim_code or f"FD1:WO:{ticket['id']}"}
