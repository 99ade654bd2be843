"""Read models built from events: tickets (with their history and parked events), the call
register and the visit register. They live in the central store's database, beside `events`
(created by migration 0002_tickets); every row can be rebuilt from the events table.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from ..tables import metadata

tickets = Table(
    "tickets", metadata,
    Column("id", String(64), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("state", String(32), nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("title", String(200), nullable=False),
    Column("details", Text),
    Column("unit", String(32)),
    Column("contact_name", String(120)),
    Column("contact_phone", String(40)),
    Column("complaint_class", Integer),
    Column("complaint_valid", Boolean),
    Column("major", Boolean, nullable=False, default=False),
    Column("parent_id", String(64)),
    # 首问负责制: whoever made the first event owns the ticket until it is closed.
    Column("owner", String(64), nullable=False),
    Column("assignee", String(64)),
    Column("source", String(16), nullable=False),
    Column("source_ref", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("done_at", DateTime(timezone=True)),
    Column("reopen_count", Integer, nullable=False, default=0),
    Column("appointment_at", DateTime(timezone=True)),
    Column("paused", Boolean, nullable=False, default=False),
    Column("milestones", JSON, nullable=False),   # state -> first reached (ISO)
    Column("pauses", JSON, nullable=False),       # [[from, to|null, reason], ...]
    Column("breaches", JSON, nullable=False),     # timer -> breached_at (ISO)
    Column("timers", JSON, nullable=False),       # computed: what is due, when, met or not
    Column("next_due_at", DateTime(timezone=True)),
    Column("next_due_timer", String(40)),
    Column("next_check_at", DateTime(timezone=True)),
    Column("any_breach", Boolean, nullable=False, default=False),
    Column("callback_reached", Boolean),
    Column("satisfied", Boolean),
    Column("tz", String(64), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    # BX-20261129-007: the number people read out and type (numbers.py; migration 0005)
    Column("number", String(24)),
    Index("ix_tickets_number", "site", "number", unique=True),
    Index("ix_tickets_board", "site", "is_open", "next_due_at", "created_at"),
    Index("ix_tickets_board_all", "is_open", "next_due_at", "created_at"),
    Index("ix_tickets_site_created", "site", "created_at"),
    Index("ix_tickets_unit", "site", "unit", "created_at"),
    Index("ix_tickets_kind_created", "site", "kind", "created_at"),
    Index("ix_tickets_parent", "parent_id"),
    Index("ix_tickets_source_ref", "source_ref"),
    Index("ix_tickets_check", "next_check_at"),
    Index("ix_tickets_phone", "contact_phone"),
)

# Every event applied to a ticket, with who made it and what came of it (applied, or stale:
# a state the ticket had already passed, whose time was only filled in).
ticket_history = Table(
    "ticket_history", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("ticket_id", String(64), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("type", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("by", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_ticket_history_ticket", "ticket_id", "id"),
)

# Ticket events that arrived before their ticket was opened: kept here (the event itself is in
# `events`) and replayed, in occurred_at/seq order, when the ticket.opened arrives.
parked_events = Table(
    "parked_events", metadata,
    Column("event_id", String(36), primary_key=True),
    Column("ticket_id", String(64), nullable=False),
    Column("parked_at", DateTime(timezone=True), nullable=False),
    Index("ix_parked_ticket", "ticket_id"),
)

# 来电登记: one line per call, folded from the call's events (any order).
calls = Table(
    "calls", metadata,
    Column("call_id", String(64), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("number", String(40)),
    Column("number_raw", String(64)),
    Column("caller_name", String(120)),
    Column("unit", String(32)),
    Column("resident_name", String(120)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("answered_at", DateTime(timezone=True)),
    Column("answered_by", String(16)),
    Column("ended_at", DateTime(timezone=True)),
    Column("outcome", String(32)),
    Column("rings", Integer),
    Column("duration_s", Float),
    Column("menu_choice", String(32)),
    Column("category", String(16)),
    Column("transcript", Text),
    # Why there is no transcript (yet): the edge's transcript.failed reason and detail.
    Column("transcript_error", String(600)),
    # Notes dictated at the desk during the call (note.transcribed with this call_id), one a line.
    Column("notes", Text),
    Column("night", Boolean, nullable=False, default=False),
    Column("blocked", Boolean, nullable=False, default=False),
    Column("ticket_id", String(64)),
    Column("tz", String(64), nullable=False),
    Index("ix_calls_site_started", "site", "started_at"),
    Index("ix_calls_number", "number"),
)

# 来访登记: one line per visit (check-in and check-out may come from different posts).
visits = Table(
    "visits", metadata,
    Column("visit_id", String(64), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("visitor_name", String(64)),
    Column("phone", String(32)),
    Column("phone_masked", String(32)),
    Column("host_unit", String(32)),
    Column("purpose", String(200)),
    Column("method", String(16)),
    Column("pass_id", String(64)),
    Column("single_use", Boolean),
    # A single-use pass that let someone in at another post too (the posts decide offline and
    # cannot see each other's uses; central sees both when they sync).
    Column("double_use", Boolean, nullable=False, default=False),
    Column("checked_in_at", DateTime(timezone=True)),
    Column("checked_out_at", DateTime(timezone=True)),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("night", Boolean, nullable=False, default=False),
    Column("anonymised_at", DateTime(timezone=True)),
    Column("ticket_id", String(64)),
    Column("tz", String(64), nullable=False),
    Index("ix_visits_site_in", "site", "first_seen_at"),
    Index("ix_visits_on_site", "site", "checked_out_at"),
    Index("ix_visits_phone", "phone"),
    Index("ix_visits_pass", "pass_id"),
)

READ_MODELS = [tickets, ticket_history, parked_events, calls, visits]


# The last ticket number given per site, kind prefix and day (numbers.py).
ticket_counters = Table(
    "ticket_counters", metadata,
    Column("site", String(64), primary_key=True),
    Column("prefix", String(4), primary_key=True),
    Column("day", String(8), primary_key=True),
    Column("last", Integer, nullable=False),
)


# Keys central signs with (the work-order slip's claim address, links.py): made at random on
# first use and kept here, so every central replica signs and checks alike (migration 0006).
link_keys = Table(
    "link_keys", metadata,
    Column("name", String(32), primary_key=True),
    Column("key", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Evidence a technician adds on site: photos of the work, the resident's signature (attachments.py).
# Stored re-encoded (no EXIF, bounded size); each is also a ticket.attachment_added event in the
# ticket's history, which carries its sha256 but not its bytes.
ticket_attachments = Table(
    "ticket_attachments", metadata,
    Column("id", String(36), primary_key=True),
    Column("ticket_id", String(64), nullable=False),
    Column("site", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # photo | signature
    Column("mime", String(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("by", String(64), nullable=False),
    Column("note", String(2000)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The ticket.attachment_added event that recorded it: a resend with the same id finds it here.
    Column("event_id", String(36), nullable=False, unique=True),
    Index("ix_ticket_attachments_ticket", "ticket_id", "created_at"),
)
