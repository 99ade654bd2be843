"""The ticket system as central uses it: the projection installed in the store, central's own
event writer, and the reads the API needs (board, ticket, history, unit's recent tickets).

Hand-made changes go through `change()`: it checks the change against the ticket as it is now
(so the caller hears "no such state" at once), then writes it as a central event; the
projection applies it in the same transaction that stores the event.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, and_, or_, select

from frontdesk.schema import Event
from frontdesk.schema.tickets import TicketOpened, TicketTransitioned

from ..store import Store
from ..tables import events
from . import lifecycle
from .attachments import Attachments
from .changes import CLAIMED, TicketChange
from .links import ClaimLinks, address
from .numbers import normalise
from .projection import TicketProjection
from .settings import TicketsConfig
from .tables import calls, ticket_history, tickets
from .times import utc
from .writer import CentralEventWriter

# The board carries no personal data (names, phone numbers): it is on screens all day; the
# ticket itself (GET /tickets/{id}) shows them, to the roles that may see them, and is audited.
BOARD_COLUMNS = [tickets.c.id, tickets.c.number, tickets.c.site, tickets.c.kind, tickets.c.state, tickets.c.title,
                 tickets.c.unit, tickets.c.owner, tickets.c.assignee,
                 tickets.c.complaint_class, tickets.c.major, tickets.c.parent_id, tickets.c.created_at,
                 tickets.c.updated_at, tickets.c.next_due_at, tickets.c.next_due_timer, tickets.c.paused,
                 tickets.c.any_breach, tickets.c.source, tickets.c.source_ref, tickets.c.version]



# The kinds a technician claims (签收): those whose lifecycle has a `claimed` state.
CLAIM_KINDS = tuple(k for k in lifecycle.KINDS if CLAIMED in lifecycle.states(k))
ISSUED = "work_order_issued"


class TicketNotFound(LookupError):
    """No such ticket (or parent ticket) where one was named."""


class TicketSystem:
    """Tickets as central uses them; install() once so that ingest runs the projection."""
    def __init__(self, store: Store, config: TicketsConfig | None = None,
                 site_tz: dict[str, str] | None = None) -> None:
        self.store = store
        self.config = config or TicketsConfig()
        self.site_tz = site_tz or {}
        self.writer = CentralEventWriter(store, self.config.central_device)
        self.projection = TicketProjection(self.config, self.writer)
        self.links = ClaimLinks(store.engine, self.config.claim_link_days)
        self.attachments = Attachments(store.engine)

    def install(self) -> TicketSystem:
        """Add the projection to the store's ingest transaction (once)."""
        if not any(isinstance(p, TicketProjection) for p in self.store.projections):
            self.store.projections.append(self.projection)
        return self

    def tz_for(self, site: str) -> str:
        """The site's time zone ([sites.<id>] timezone; Asia/Shanghai when not configured)."""
        return self.site_tz.get(site, "Asia/Shanghai")

    def claim_address(self, ticket_id: str, request_base: str) -> str | None:
        """The claim address for a ticket's slip: [tickets] public_url (else `request_base`, the
        address the request that issued the work order came to) + /w/<token>; None for a ticket
        whose id is not a UUID (a token carries the id's 16 bytes)."""
        try:
            token = self.links.make(ticket_id)
        except ValueError:
            return None
        return address(self.public_base(request_base), token)

    def public_base(self, request_base: str) -> str:
        """Where people's phones reach central: [tickets] public_url, else the address the request
        at hand came to."""
        return self.config.public_url or request_base

    # -- changes ---------------------------------------------------------------------------------

    def open(self, site: str, opened: TicketOpened) -> dict[str, Any]:
        """Write the ticket.opened event and return the new ticket (TicketNotFound: bad parent)."""
        if opened.parent_id:
            parent = self.get(opened.parent_id)
            if parent is None or parent["site"] != site:
                raise TicketNotFound(f"no parent ticket {opened.parent_id!r} on site {site}")
        self.writer.write(site, opened, self.tz_for(site))
        return self.get(opened.ticket_id)  # type: ignore[return-value]

    def change(self, change: TicketChange, event_id: str | None = None) -> tuple[dict[str, Any], Event]:
        """Write one change to an existing ticket (under `event_id` if given: see write_once);
        TicketNotFound, or TransitionError for a state the ticket's kind does not have (said at
        once, not only in the history)."""
        ticket = self.get(change.ticket_id)
        if ticket is None:
            raise TicketNotFound(change.ticket_id)
        if isinstance(change, TicketTransitioned):
            lifecycle.rank(ticket["kind"], change.to_state)
        event, _ = self.writer.write_once(ticket["site"], change, ticket["tz"], event_id)
        return self.get(change.ticket_id), event  # type: ignore[return-value]

    def stored_event(self, event_id: str) -> dict[str, Any] | None:
        """The stored event with this id (id, site, device, type, payload), or None."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(events.c.id, events.c.site, events.c.device, events.c.type, events.c.payload)
                               .where(events.c.id == event_id)).mappings().first()
        return dict(row) if row else None

    def outcome(self, ticket_id: str, event_id: str) -> dict[str, Any] | None:
        """What the projection made of an event for this ticket: its history line, or None."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(ticket_history).where(ticket_history.c.ticket_id == ticket_id,
                                                            ticket_history.c.event_id == event_id)
                               .order_by(ticket_history.c.id.desc()).limit(1)).mappings().first()
        return dict(row) if row else None

    # -- reads -------------------------------------------------------------------------------------

    def get(self, ticket_id: str) -> dict[str, Any] | None:
        """The ticket's row, or None."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).mappings().first()
        return dict(row) if row else None

    def history(self, ticket_id: str) -> list[dict[str, Any]]:
        """The ticket's history lines, oldest first (`at` as ISO UTC)."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(ticket_history).where(ticket_history.c.ticket_id == ticket_id)
                                .order_by(ticket_history.c.id)).mappings().all()
        return [{**dict(r), "at": utc(r["at"]).isoformat()} for r in rows]

    def contacts(self, ticket_ids: Sequence[str]) -> list[str]:
        """The contact names and numbers of these tickets (what board rows leave out, though a title
        may quote them): masking recognises them in the rows' free text."""
        found: list[str] = []
        ids = list(dict.fromkeys(ticket_ids))
        with self.store.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                rows = conn.execute(select(tickets.c.contact_name, tickets.c.contact_phone)
                                    .where(tickets.c.id.in_(ids[start:start + 500]))).all()
                found += [v for row in rows for v in row if v]
        return found

    def children(self, ticket_id: str) -> list[dict[str, Any]]:
        """The ticket's child tickets (board columns), oldest first, at most 100."""
        with self.store.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(*BOARD_COLUMNS).where(tickets.c.parent_id == ticket_id)
                                                  .order_by(tickets.c.created_at).limit(100)).mappings()]

    def board(self, sites: tuple[str, ...] | None, *, kind: str | None = None, state: str | None = None,
              unit: str | None = None, assignee: str | None = None, open_only: bool = True,
              limit: int = 100, kinds: tuple[str, ...] | None = None, unassigned: bool = False,
              ids: Sequence[str] | None = None, due_before: datetime | None = None) -> list[dict[str, Any]]:
        """Open tickets, soonest due first, then those without a running timer (newest first);
        `kinds` keeps those kinds, `unassigned` those nobody is assigned to, `ids` only those
        tickets, `due_before` only those whose next timer is due before then.

        Two queries, each walking the (site, is_open, next_due_at, created_at) index, so the
        board stays fast however many closed tickets the site has.
        """
        def base(q):
            if sites is not None:
                q = q.where(tickets.c.site.in_(sites))
            if open_only:
                q = q.where(tickets.c.is_open.is_(True))
            if kinds is not None:
                q = q.where(tickets.c.kind.in_(kinds))
            if unassigned:
                q = q.where(tickets.c.assignee.is_(None))
            if ids is not None:
                q = q.where(tickets.c.id.in_(list(ids)))
            for col, value in ((tickets.c.kind, kind), (tickets.c.state, state), (tickets.c.unit, unit),
                               (tickets.c.assignee, assignee)):
                if value is not None:
                    q = q.where(col == value)
            return q
        with self.store.engine.connect() as conn:
            running = base(select(*BOARD_COLUMNS)).where(tickets.c.next_due_at.is_not(None))
            if due_before is not None:
                running = running.where(tickets.c.next_due_at < due_before)
            due = conn.execute(running.order_by(tickets.c.next_due_at).limit(limit)).mappings().all()
            rest: Sequence[RowMapping] = []
            if len(due) < limit and due_before is None:
                rest = conn.execute(base(select(*BOARD_COLUMNS)).where(tickets.c.next_due_at.is_(None))
                                    .order_by(tickets.c.created_at.desc()).limit(limit - len(due))).mappings().all()
        return [dict(r) for r in list(due) + list(rest)]

    def work_orders(self, username: str, sites: tuple[str, ...] | None) -> dict[str, list[dict[str, Any]]]:
        """A technician's list (board columns, soonest due first): "mine", the open tickets assigned
        to `username`; "unclaimed", open work orders issued on `sites` that nobody is assigned to."""
        return {"mine": self.board(sites, assignee=username, limit=200),
                "unclaimed": self.board(sites, kinds=CLAIM_KINDS, state=ISSUED, unassigned=True, limit=100)}

    def recent_for_unit(self, site: str, unit: str, limit: int = 10) -> list[dict[str, Any]]:
        """A unit's tickets on one site (board columns), newest first, at most `limit`."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(*BOARD_COLUMNS).where(and_(tickets.c.site == site, tickets.c.unit == unit))
                                .order_by(tickets.c.created_at.desc()).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    def search(self, sites: tuple[str, ...] | None, typed: str, limit: int = 50) -> list[dict[str, Any]]:
        """Tickets (board columns) matching what someone typed, newest first: a ticket number (any
        case, dashes optional: "bx 20261129 7"), else a unit, 4+ digits of the contact phone, or
        part of the contact's name or the title."""
        typed = typed.strip()[:64]
        if not typed:
            return []
        number = normalise(typed)
        if number is not None:
            match = tickets.c.number == number
        else:
            like = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            options = [tickets.c.unit == typed, tickets.c.contact_name.ilike(like, escape="\\"),
                       tickets.c.title.ilike(like, escape="\\")]
            digits = re.sub(r"[\s-]", "", typed)
            if digits.isdigit() and len(digits) >= 4:
                options.append(tickets.c.contact_phone.like(f"%{digits}%"))
            match = or_(*options)
        query = select(*BOARD_COLUMNS).where(match)
        if sites is not None:
            query = query.where(tickets.c.site.in_(sites))
        with self.store.engine.connect() as conn:
            rows = conn.execute(query.order_by(tickets.c.created_at.desc()).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    def call_line(self, call_id: str) -> dict[str, Any] | None:
        """A call's register line (site, unit, caller, ticket_id ...), or None."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(calls).where(calls.c.call_id == call_id)).mappings().first()
        return dict(row) if row else None

    def ticket_of_call(self, line: dict[str, Any]) -> dict[str, Any] | None:
        """The ticket a call's line names, else one opened for the call before its line knew it."""
        if line["ticket_id"]:
            return self.get(line["ticket_id"])
        with self.store.engine.connect() as conn:
            row = conn.execute(select(tickets).where(tickets.c.site == line["site"],
                                                     tickets.c.source_ref == line["call_id"])
                               .order_by(tickets.c.created_at).limit(1)).mappings().first()
        return dict(row) if row else None

    def due_for_check(self, now: datetime | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Open tickets whose next check time has come (id, site, tz, timers), earliest first."""
        now = now or datetime.now(UTC)
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(tickets.c.id, tickets.c.site, tickets.c.tz, tickets.c.timers)
                                .where(tickets.c.next_check_at <= now, tickets.c.is_open.is_(True))
                                .order_by(tickets.c.next_check_at).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

