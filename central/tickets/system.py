"""The ticket system as central uses it: the projection installed in the store, central's own
event writer, and the reads the API needs (board, ticket, history, unit's recent tickets).

Hand-made changes go through `change()`: it checks the change against the ticket as it is now
(so the caller hears "no such state" at once), then writes it as a central event; the
projection applies it in the same transaction that stores the event.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, select

from frontdesk.ids import new_id
from frontdesk.schema import Event

from ..store import Store
from . import lifecycle
from .projection import TicketProjection, utc
from .settings import TicketsConfig
from .tables import ticket_history, tickets
from .writer import CentralEventWriter

# The board carries no personal data (names, phone numbers): it is on screens all day; the
# ticket itself (GET /tickets/{id}) shows them, to the roles that may see them, and is audited.
BOARD_COLUMNS = [tickets.c.id, tickets.c.site, tickets.c.kind, tickets.c.state, tickets.c.title, tickets.c.unit,
                 tickets.c.owner, tickets.c.assignee,
                 tickets.c.complaint_class, tickets.c.major, tickets.c.parent_id, tickets.c.created_at,
                 tickets.c.updated_at, tickets.c.next_due_at, tickets.c.next_due_timer, tickets.c.paused,
                 tickets.c.any_breach, tickets.c.source, tickets.c.source_ref, tickets.c.version]


class TicketNotFound(LookupError):
    pass


class TicketSystem:
    def __init__(self, store: Store, config: TicketsConfig | None = None, site_tz: dict[str, str] | None = None) -> None:
        self.store = store
        self.config = config or TicketsConfig()
        self.site_tz = site_tz or {}
        self.projection = TicketProjection(self.config)
        self.writer = CentralEventWriter(store, self.config.central_device)

    def install(self) -> TicketSystem:
        """Add the projection to the store's ingest transaction (once)."""
        if not any(isinstance(p, TicketProjection) for p in self.store.projections):
            self.store.projections.append(self.projection)
        return self

    def tz_for(self, site: str) -> str:
        return self.site_tz.get(site, "Asia/Shanghai")

    # -- changes ---------------------------------------------------------------------------------

    def open(self, site: str, by: str, **fields: Any) -> dict[str, Any]:
        ticket_id = fields.pop("ticket_id", None) or new_id()
        payload = {"ticket_id": ticket_id, "by": by, **{k: v for k, v in fields.items() if v is not None}}
        if payload.get("parent_id"):
            parent = self.get(payload["parent_id"])
            if parent is None or parent["site"] != site:
                raise TicketNotFound(f"no parent ticket {payload['parent_id']!r} on site {site}")
        self.writer.write(site, "ticket.opened", _jsonable(payload), self.tz_for(site))
        return self.get(ticket_id)

    def change(self, ticket_id: str, type_: str, by: str, **fields: Any) -> tuple[dict[str, Any], Event]:
        ticket = self.get(ticket_id)
        if ticket is None:
            raise TicketNotFound(ticket_id)
        if type_ == "ticket.transitioned":
            lifecycle.rank(ticket["kind"], fields["to_state"])  # TransitionError for a state the kind lacks
        payload = {"ticket_id": ticket_id, "by": by, **{k: v for k, v in fields.items() if v is not None}}
        event = self.writer.write(ticket["site"], type_, _jsonable(payload), ticket["tz"])
        return self.get(ticket_id), event

    # -- reads -------------------------------------------------------------------------------------

    def get(self, ticket_id: str) -> dict[str, Any] | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).mappings().first()
        return dict(row) if row else None

    def history(self, ticket_id: str) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(ticket_history).where(ticket_history.c.ticket_id == ticket_id)
                                .order_by(ticket_history.c.id)).mappings().all()
        return [{**dict(r), "at": utc(r["at"]).isoformat()} for r in rows]

    def children(self, ticket_id: str) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(*BOARD_COLUMNS).where(tickets.c.parent_id == ticket_id)
                                                  .order_by(tickets.c.created_at).limit(100)).mappings()]

    def board(self, sites: tuple[str, ...] | None, *, kind: str | None = None, state: str | None = None,
              unit: str | None = None, assignee: str | None = None, open_only: bool = True,
              limit: int = 100) -> list[dict[str, Any]]:
        """Open tickets, soonest due first, then those without a running timer (newest first).

        Two queries, each walking the (site, is_open, next_due_at, created_at) index, so the
        board stays fast however many closed tickets the site has.
        """
        def base(q):
            if sites is not None:
                q = q.where(tickets.c.site.in_(sites))
            if open_only:
                q = q.where(tickets.c.is_open.is_(True))
            for col, value in ((tickets.c.kind, kind), (tickets.c.state, state), (tickets.c.unit, unit),
                               (tickets.c.assignee, assignee)):
                if value is not None:
                    q = q.where(col == value)
            return q
        with self.store.engine.connect() as conn:
            due = conn.execute(base(select(*BOARD_COLUMNS)).where(tickets.c.next_due_at.is_not(None))
                               .order_by(tickets.c.next_due_at).limit(limit)).mappings().all()
            rest = []
            if len(due) < limit:
                rest = conn.execute(base(select(*BOARD_COLUMNS)).where(tickets.c.next_due_at.is_(None))
                                    .order_by(tickets.c.created_at.desc()).limit(limit - len(due))).mappings().all()
        return [dict(r) for r in list(due) + list(rest)]

    def recent_for_unit(self, site: str, unit: str, limit: int = 10) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(*BOARD_COLUMNS).where(and_(tickets.c.site == site, tickets.c.unit == unit))
                                .order_by(tickets.c.created_at.desc()).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    def due_for_check(self, now: datetime | None = None, limit: int = 500) -> list[dict[str, Any]]:
        now = now or datetime.now(UTC)
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(tickets.c.id, tickets.c.site, tickets.c.tz, tickets.c.timers)
                                .where(tickets.c.next_check_at <= now, tickets.c.is_open.is_(True))
                                .order_by(tickets.c.next_check_at).limit(limit)).mappings().all()
        return [dict(r) for r in rows]


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in payload.items()}
