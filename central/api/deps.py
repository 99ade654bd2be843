"""What every resource router of central's API shares: the ticket system and accounts, the
permission check, site scoping, masking and the audit of personal data, and the helpers that
turn domain errors into HTTP answers.

Every endpoint needs a logged-in staff account (auth/deps.py) with the permission named in its
summary, and only shows the sites of that account. Residents' names and phone numbers come back
masked for roles outside PERSONAL_DATA_ROLES; every response that shows them in full, and every
change to them, is written to the audit log.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import HTTPException, Query
from pydantic import AfterValidator, BaseModel, Field, ValidationError

from frontdesk.ids import is_uuid7
from frontdesk.schema import SchemaError
from frontdesk.schema.envelope import Payload
from frontdesk.topics import ID_PATTERN

from ..auth.accounts import Accounts, Staff
from ..auth.audit import audit_read
from ..auth.deps import check_site, sites_for
from ..auth.masking import mask
from ..auth.roles import PERSONAL_DATA_ROLES
from ..auth.settings import AuthConfig
from ..privacy.service import Privacy
from ..store import Store
from ..tickets import lifecycle
from ..tickets.actions import refusal
from ..tickets.changes import TicketChange
from ..tickets.system import TicketNotFound, TicketSystem
from ..tickets.times import iso

SITE = Field(pattern=f"^{ID_PATTERN}$")
SITE_Q = Query(None, pattern=f"^{ID_PATTERN}$")
# The ticket fields a correction of which is audited as a change of personal data.
PERSONAL = ("contact_name", "contact_phone")
# The kind of record a ticket is, for masking (a ticket's `number` is its own number).
TICKET = "ticket"

M = TypeVar("M", bound=BaseModel)
Require = Callable[[str], Callable[..., Staff]]

__all__ = ["SITE", "SITE_Q", "PERSONAL", "TICKET", "Api", "check_site", "sites_for", "out", "shown", "as_json",
           "plausible", "build", "EventId", "EVENT_ID_FIELD"]


def _uuid7(value: str | None) -> str | None:
    if value is not None and not is_uuid7(value):
        raise ValueError("must be a UUIDv7 in canonical form (as frontdesk.ids.new_id makes)")
    return value


# The id of the event an action becomes, made by the client (the phone's offline queue) so that
# sending the action again is the same event: see Api.write.
EventId = Annotated[str | None, AfterValidator(_uuid7)]
EVENT_ID_FIELD = Field(default=None, description="a UUIDv7 made by the client: resending the same action with "
                                                 "the same id changes nothing")


def plausible(value: datetime | None) -> datetime | None:
    """Dates far outside this century are typing errors (and would overflow the timers)."""
    if value is not None and not (2000 <= value.year <= 2100):
        raise ValueError("must be between the years 2000 and 2100")
    return value


def out(row: dict[str, Any], staff: Staff, record: str | None = None) -> dict[str, Any]:
    """A row as JSON for `staff`: times as ISO strings, personal data masked (auth/masking.py, at
    any depth) unless their role may see it. `record`: the kind of record (TICKET for tickets)."""
    return shown(as_json(row), staff, record)


def as_json(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its times as ISO strings."""
    return {k: (iso(v) if isinstance(v, datetime) else v) for k, v in row.items()}


def shown(value: Any, staff: Staff, record: str | None = None, known: Iterable[str] = ()) -> Any:
    """`value` (rows, payloads, any JSON) as `staff` may see it: as is for PERSONAL_DATA_ROLES,
    masked for everyone else (`record`, `known`: see masking.mask)."""
    return value if staff.role in PERSONAL_DATA_ROLES else mask(value, record, known)


def build(model: type[M], **fields: Any) -> M:
    """`model(**fields)`, or a 422 naming what the request got wrong."""
    try:
        return model(**fields)
    except ValidationError as err:
        raise HTTPException(422, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                           for e in err.errors())[:1000]) from None


@dataclass
class Api:
    """The services the routers share (one per app)."""

    system: TicketSystem
    accounts: Accounts
    require: Require
    current_session: Callable[..., Any]
    auth_config: AuthConfig
    on_command: Callable[[], None] | None = None
    # Where `frontdesk central site add` keeps the pass keys it makes ([fleet] dir), if set.
    fleet_dir: Path | None = None
    # Erasure requests and retention (central/privacy/service.py); made by create_app.
    privacy: Privacy = None  # type: ignore[assignment]

    @property
    def store(self) -> Store:
        """The central store (events, commands) the ticket system reads and writes."""
        return self.system.store

    def ticket(self, ticket_id: str, staff: Staff) -> dict[str, Any]:
        """The ticket, or 404 if there is none on the account's sites."""
        ticket = self.system.get(ticket_id)
        if ticket is None or not staff.can_see_site(ticket["site"]):
            raise HTTPException(404, "no such ticket")
        return ticket

    def change(self, staff: Staff, model: type[TicketChange], ticket_id: str, event_id: str | None = None,
               *, must_apply: bool = False, **fields: Any) -> dict[str, Any]:
        """Write one change (`model` made of `fields`, by `staff`) to a ticket the account may see;
        404 if it may not, 422 if the change is refused, 409 if a claim holds it (see `write`).
        The changed ticket as JSON.

        `must_apply`: 409 with the projection's reason when the ticket's state made the change
        change nothing (a move back, a pause of a paused ticket); the projection is the one judge
        of that, also for a change sent again (answered as it was the first time)."""
        ticket, line = self.write(staff, model, ticket_id, event_id, **fields)
        if must_apply and line is not None and line["outcome"] != "applied":
            raise HTTPException(409, str(line["detail"].get("reason") or line["outcome"]))
        return out(ticket, staff, TICKET)

    def write(self, staff: Staff, model: type[TicketChange], ticket_id: str, event_id: str | None = None,
              **fields: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Write one change; (the ticket's row after it, the change's history line).

        `event_id` (a UUIDv7 the client made) makes the change idempotent: an id already stored
        for this ticket, author and action changes nothing and answers with the ticket as it is
        now (the store keeps one event per id); an id stored for anything else is a 409. A
        change the projection rejected because someone else holds the work order is a 409
        naming the holder (the decision is the projection's, made with the ticket row locked).
        """
        self.ticket(ticket_id, staff)
        change = build(model, ticket_id=ticket_id, by=staff.username, **fields)
        if event_id is not None and self.already_written(staff, change, event_id):
            ticket = self.system.get(ticket_id)
            used = event_id
        else:
            try:
                ticket, event = self.system.change(change, event_id)
            except (lifecycle.TransitionError, SchemaError, TicketNotFound) as err:
                raise HTTPException(422, str(err)) from None
            if event_id is not None:
                self.already_written(staff, change, event_id)  # another request may have used the id first
            used = event.id
        line = self.system.outcome(ticket_id, used)
        if line is not None and line["outcome"] == "rejected" and line["detail"].get("holder"):
            raise HTTPException(409, {"message": line["detail"].get("reason") or "someone else holds this work order",
                                      "holder": line["detail"]["holder"]})
        return ticket, line  # type: ignore[return-value]

    def already_written(self, staff: Staff, change: Payload, event_id: str) -> bool:
        """True if central stored `event_id` already for this same action (type, ticket, author and
        what it says, the note aside); HTTP 409 if the id was used for anything else; False if new."""
        stored = self.system.stored_event(event_id)
        if stored is None:
            return False
        def what(payload: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in payload.items() if k != "note"}  # a note may be retyped

        if (stored["device"] != self.system.writer.device or stored["type"] != type(change).TYPE
                or what(stored["payload"] or {}) != what(change.model_dump(mode="json"))
                or stored["payload"].get("by") != staff.username):
            raise HTTPException(409, {"message": "this event_id was used for another change (another ticket, "
                                                 "author or action)", "event_id": event_id})
        return True

    def refuse_unless(self, ticket: dict[str, Any], action: str) -> None:
        """HTTP 409 if the ticket's state does not allow the desk's `action` (tickets/actions.py)."""
        if (reason := refusal(ticket, action)) is not None:
            raise HTTPException(409, reason)

    def audit_read(self, staff: Staff, entity: str, entity_id: str | None, site: str | None,
                   rows: Any, *, record: str | None = None, known: Iterable[str] = (), **detail: Any) -> bool:
        """Write a read of personal data shown in full to the audit log (auth/audit.py: only when
        the role sees it in full and `rows` -- what was shown, at any depth -- holds any); True if
        written. `known`: names and numbers the rows' free text may quote (masking.mask)."""
        return audit_read(self.accounts, staff, entity, entity_id, site, rows, record=record, known=known, **detail)

    def board_rows(self, staff: Staff, rows: list[dict[str, Any]], site: str | None, **detail: Any
                   ) -> list[dict[str, Any]]:
        """Ticket board rows (no contact columns) as `staff` may see them, the read audited if it
        shows personal data in full: a title may quote the ticket's contact (the rules open a ticket
        from a call with the caller's words as its title), so the rows' contacts are looked up to
        recognise them."""
        known = self.system.contacts([r["id"] for r in rows]) if rows else []
        self.audit_read(staff, "tickets", None, site, rows, record=TICKET, known=known, **detail)
        return shown([as_json(r) for r in rows], staff, TICKET, known)

    def send(self, site: str, device: str, payload: Payload) -> dict[str, Any]:
        """Store a command for an edge (422 if the schema refuses it) and wake the dispatcher."""
        try:
            command = self.store.create_command(site, device, payload)
        except (SchemaError, ValueError) as err:
            raise HTTPException(422, str(err)) from None
        if self.on_command:
            self.on_command()
        return self.store.get_command(command.id)  # type: ignore[return-value]
