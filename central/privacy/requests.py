"""A privacy request end to end, as the API and the command line run it: erase at central, tell
every edge of the site(s), make the removed text leave the database files, and keep the request in
the audit log without the person's identifiers (what was asked by which kinds of identifier, the
counts, the edge commands). `GET /api/v1/privacy/requests/{id}` reads it back with each edge's state.

No table of its own: the request is its audit line (entity "privacy_request", entity_id = the
request id) plus the privacy.erase commands it lists.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from frontdesk.ids import new_id
from frontdesk.schema import Event
from frontdesk.schema.privacy import Subject
from frontdesk.schema.system import CommandApplied

from ..auth.accounts import Accounts, Staff
from ..auth.tables import audit_log
from ..store import Store
from ..tables import commands
from ..tickets.times import iso
from .edges import ERASE, scrub_answered, send_erasure
from .erase import erase_person, with_directory
from .storage import compact

log = logging.getLogger(__name__)

ENTITY = "privacy_request"
# What an erasure may change, for PostgreSQL's VACUUM afterwards.
ERASE_TABLES = ("events", "tickets", "ticket_history", "calls", "visits", "commands", "quarantine", "directory",
                "resident_codes", "resident_code_requests", "resident_sessions", "resident_attempts", "resident_locks",
                "resident_invitations", "ticket_attachments", "audit_log")


def subject_kinds(subject: Subject) -> list[str]:
    """Which identifiers a subject gave (phone, name+unit, card_id, visit_id): what the audit keeps."""
    kinds = [k for k in ("phone", "card_id", "visit_id") if getattr(subject, k)]
    if subject.name and subject.unit:
        kinds.append("name+unit")
    return kinds


class PrivacyRequests:
    """Erasure requests over one store; `on_command` wakes the command dispatcher."""

    def __init__(self, store: Store, accounts: Accounts, on_command: Callable[[], None] | None = None) -> None:
        self.store, self.accounts, self.on_command = store, accounts, on_command
        install(store)

    def erase(self, staff: Staff, subject: Subject, site: str | None, sites: tuple[str, ...] | None) -> dict[str, Any]:
        """Erase `subject` on `sites` (None = every site) at central and on their edges; the request as
        `get` shows it. ValueError if the subject cannot be matched."""
        request_id = new_id()
        subject = with_directory(self.store, subject, sites)
        counts = erase_person(self.store, subject, sites, request_id)
        command_ids = send_erasure(self.store, subject, sites, request_id)
        storage = compact(self.store, ERASE_TABLES)
        self.accounts.audit(staff, "erase", ENTITY, request_id, site,
                            {"subject": subject_kinds(subject), "sites": list(sites) if sites is not None else "*",
                             "central": counts, "commands": command_ids, "storage": storage})
        if command_ids and self.on_command:
            self.on_command()
        return self.get(request_id, staff)  # type: ignore[return-value]

    def get(self, request_id: str, staff: Staff) -> dict[str, Any] | None:
        """The request (central's counts, each edge's state and answer), or None if there is none the
        account may see."""
        with self.store.engine.connect() as conn:
            line = conn.execute(select(audit_log).where(audit_log.c.entity == ENTITY, audit_log.c.action == "erase",
                                                        audit_log.c.entity_id == request_id)).mappings().first()
            if line is None:
                return None
            detail = line["detail"] or {}
            scope = detail.get("sites")
            if scope == "*" and staff.site_filter() is not None:
                return None
            if isinstance(scope, list) and not all(staff.can_see_site(s) for s in scope):
                return None
            rows = conn.execute(select(commands).where(commands.c.id.in_(detail.get("commands") or []))
                                .order_by(commands.c.site, commands.c.device)).mappings().all()
        edges = [{"command_id": r["id"], "site": r["site"], "device": r["device"], "state": r["state"],
                  "attempts": r["attempts"], "acked_at": iso(r["acked_at"]), "detail": r["detail"],
                  "result": r["result"]} for r in rows]
        return {"request_id": request_id, "at": iso(line["at"]), "by": line["username"], "site": line["site"],
                "sites": scope, "subject": detail.get("subject"), "central": detail.get("central") or {},
                "storage": detail.get("storage"), "edges": edges,
                "edges_pending": sum(1 for e in edges if e["state"] == "pending")}


def _compact_after_answer(store: Store) -> Callable[[list[Event]], None]:
    """A listener: after an ingest that scrubbed an answered privacy.erase (and erased once more), the
    old text leaves the files too (checkpoint / VACUUM)."""
    def listener(new_events: list[Event]) -> None:
        ids = [e.payload_as(CommandApplied).command_id for e in new_events if e.type == CommandApplied.TYPE]
        if not ids:
            return
        with store.engine.connect() as conn:
            hit = conn.execute(select(commands.c.id).where(commands.c.id.in_(ids), commands.c.type == ERASE)).first()
        if hit is not None:
            # the answer's second erasure (edges.scrub_answered) may have touched any of the tables
            compact(store, ERASE_TABLES)
    listener.privacy_compaction = True  # type: ignore[attr-defined]
    return listener


def install(store: Store) -> None:
    """Scrub answered privacy.erase commands in ingest, and compact after (once per store)."""
    if scrub_answered not in store.projections:
        store.projections.append(scrub_answered)
    if not any(getattr(x, "privacy_compaction", False) for x in store.listeners):
        store.listeners.append(_compact_after_answer(store))
