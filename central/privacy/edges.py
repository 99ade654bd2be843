"""The edges' part of privacy: a privacy.erase command for every device of the site, its subject
scrubbed once the edge has answered, and each edge's retention periods (retention.set).

Commands go through the store's command mechanism (Store.create_command: stored, signed, sent by
the dispatcher until the edge's command.applied arrives), like the directory push.
"""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, select, update

from frontdesk.schema import Event
from frontdesk.schema.privacy import PrivacyErase, RetentionSet, Subject
from frontdesk.schema.system import CommandApplied

from ..fleet.tables import fleet_devices
from ..store import Store
from ..tables import commands
from .matching import ERASED
from .settings import PrivacyConfig

log = logging.getLogger(__name__)

ERASE = "privacy.erase"
RETENTION = "retention.set"


def site_devices(conn: Connection, sites: tuple[str, ...] | None) -> list[tuple[str, str]]:
    """(site, device) of every active registered device of `sites` (None = every site)."""
    q = select(fleet_devices.c.site, fleet_devices.c.device).where(fleet_devices.c.state == "active")
    if sites is not None:
        q = q.where(fleet_devices.c.site.in_(sites))
    return [(r.site, r.device) for r in conn.execute(q.order_by(fleet_devices.c.site, fleet_devices.c.device))]


def send_erasure(store: Store, subject: Subject, sites: tuple[str, ...] | None, request_id: str) -> list[str]:
    """Store one privacy.erase command per active device of the sites; their ids."""
    with store.engine.connect() as conn:
        devices = site_devices(conn, sites)
    payload = PrivacyErase(request_id=request_id, subject=subject)
    return [store.create_command(site, device, payload).id for site, device in devices]


def scrubbed_body(body: dict[str, Any]) -> dict[str, Any]:
    """An answered privacy.erase body without the subject's identifiers (request id kept)."""
    payload = dict(body.get("payload") or {})
    subject = payload.get("subject") or {}
    payload["subject"] = {k: ERASED for k, v in subject.items() if v is not None}
    return {**body, "payload": payload}


def scrub_answered(conn: Connection, new_events: list[Event]) -> None:
    """A projection (runs in the ingest transaction, after the command state is set): once an edge has
    answered a privacy.erase (applied or rejected), central erases the subject once more on that
    edge's site, then the stored body loses the identifiers; the result (counts) and the request id
    stay.

    Erasing again closes a window: an event the edge had already handed to its uplink when central
    erased may reach central after that, still carrying the person. The edge journals its answer
    after everything it sent before, and central stores each device's events in order, so by the
    time the answer is ingested those late events are in this transaction's view."""
    from .erase import Erasure  # erase.py builds on this module's helpers

    ids = [e.payload_as(CommandApplied).command_id for e in new_events if e.type == CommandApplied.TYPE]
    if not ids:
        return
    for row in conn.execute(select(commands.c.id, commands.c.site, commands.c.body).where(
            commands.c.id.in_(ids), commands.c.type == ERASE, commands.c.state != "pending")).all():
        payload = (row.body or {}).get("payload") or {}
        subject = {k: v for k, v in (payload.get("subject") or {}).items() if v is not None and v != ERASED}
        if subject:
            try:
                Erasure(conn, Subject.model_validate(subject), (row.site,), str(payload.get("request_id"))).run()
            except ValueError:
                log.warning("privacy: the answered erasure %s names no subject central can match again", row.id)
        conn.execute(update(commands).where(commands.c.id == row.id).values(body=scrubbed_body(row.body)))




def _latest_retention(conn: Connection) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (site, device): the newest retention.set delivered ("delivered") and the newest of any
    state ("latest"), as {days, state}."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    rows = conn.execute(select(commands.c.site, commands.c.device, commands.c.state, commands.c.body)
                        .where(commands.c.type == RETENTION).order_by(commands.c.created_at, commands.c.id))
    for r in rows:
        seen = out.setdefault((r.site, r.device), {})
        days = (r.body.get("payload") or {}).get("days")
        seen["latest"] = {"days": days, "state": r.state}
        if r.state == "delivered":
            seen["delivered"] = days
    return out


def sync_retention(store: Store, config: PrivacyConfig) -> list[str]:
    """Send retention.set to every active device whose last delivered retention.set differs from its
    site's periods now, unless one with these periods is already on its way (pending) or was refused
    by that edge (rejected: sending it again would be refused again; a changed period is sent). Run
    on central's start and with every retention round; idempotent. The ids of the commands made."""
    with store.engine.connect() as conn:
        devices = site_devices(conn, None)
        seen = _latest_retention(conn)
    made = []
    for site, device in devices:
        days = config.days_for(site)
        state = seen.get((site, device), {})
        if state.get("delivered") == days:
            continue
        latest = state.get("latest")
        if latest and latest["days"] == days and latest["state"] in ("pending", "rejected"):
            continue
        made.append(store.create_command(site, device, RetentionSet(days=days)).id)
    if made:
        log.info("privacy: retention.set sent to %d device(s)", len(made))
    return made
