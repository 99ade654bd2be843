"""The central store's tables (SQLAlchemy Core). Migrations in central/migrations create them."""
from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

# Every event any edge sent, once (the id is the edge-made UUIDv7). Read models (tickets,
# registers) are built from these rows in the same transaction that inserts them.
events = Table(
    "events", metadata,
    Column("id", String(36), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("type", String(64), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("tz", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSON, nullable=False),
    Index("ix_events_device_seq", "site", "device", "seq"),
    Index("ix_events_type_time", "type", "occurred_at"),
)

# What could not be accepted, with the reason, kept for inspection and replay; never dropped.
quarantine = Table(
    "quarantine", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("topic", String(300), nullable=False),
    Column("event_id", String(64), nullable=True, unique=True),
    Column("reason", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("raw", LargeBinary, nullable=False),
)

# Commands to edges: stored before they are sent, sent until the edge's command.applied arrives.
commands = Table(
    "commands", metadata,
    Column("id", String(36), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("type", String(64), nullable=False),
    Column("body", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # pending | delivered | rejected
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_sent_at", DateTime(timezone=True), nullable=True),
    Column("acked_at", DateTime(timezone=True), nullable=True),
    Column("detail", Text, nullable=True),
    Column("result", JSON, nullable=True),
    Index("ix_commands_state", "state", "last_sent_at"),
)

# Quarantine bookkeeping per sending device (site and device as its topic names them) for the
# current window: past the quota its rejects are still counted but only sampled into `quarantine`,
# and one quarantine.flooded alarm event is written per window.
quarantine_quota = Table(
    "quarantine_quota", metadata,
    Column("site", String(64), primary_key=True),
    Column("device", String(64), primary_key=True),
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("count", Integer, nullable=False),  # rejects in this window
    Column("kept", Integer, nullable=False),  # of which stored in `quarantine`
    Column("total", BigInteger, nullable=False),  # rejects ever
    Column("alarms", Integer, nullable=False),  # quarantine.flooded events ever
)
