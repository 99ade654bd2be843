"""Tickets, call and visit registers, staff accounts, sessions, audit log.

Revision ID: 0002_tickets
Revises: 0001

The tables as they were at this revision (central/tickets/tables.py and central/auth/tables.py
declare them for the code); a later change to them is a new revision.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_tickets"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("audit_log",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("username", sa.String(length=64), nullable=False),
    sa.Column("role", sa.String(length=16), nullable=False),
    sa.Column("action", sa.String(length=16), nullable=False),
    sa.Column("entity", sa.String(length=32), nullable=False),
    sa.Column("entity_id", sa.String(length=128), nullable=True),
    sa.Column("site", sa.String(length=64), nullable=True),
    sa.Column("detail", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_audit_at", "audit_log", ["at"], unique=False)
    op.create_table("calls",
    sa.Column("call_id", sa.String(length=64), nullable=False),
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("device", sa.String(length=64), nullable=False),
    sa.Column("number", sa.String(length=40), nullable=True),
    sa.Column("number_raw", sa.String(length=64), nullable=True),
    sa.Column("caller_name", sa.String(length=120), nullable=True),
    sa.Column("unit", sa.String(length=32), nullable=True),
    sa.Column("resident_name", sa.String(length=120), nullable=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("answered_by", sa.String(length=16), nullable=True),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("outcome", sa.String(length=32), nullable=True),
    sa.Column("rings", sa.Integer(), nullable=True),
    sa.Column("duration_s", sa.Float(), nullable=True),
    sa.Column("menu_choice", sa.String(length=32), nullable=True),
    sa.Column("category", sa.String(length=16), nullable=True),
    sa.Column("transcript", sa.Text(), nullable=True),
    sa.Column("transcript_error", sa.String(length=600), nullable=True),
    sa.Column("notes", sa.Text(), nullable=True),
    sa.Column("night", sa.Boolean(), nullable=False),
    sa.Column("blocked", sa.Boolean(), nullable=False),
    sa.Column("ticket_id", sa.String(length=64), nullable=True),
    sa.Column("tz", sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint("call_id")
    )
    op.create_index("ix_calls_number", "calls", ["number"], unique=False)
    op.create_index("ix_calls_site_started", "calls", ["site", "started_at"], unique=False)
    op.create_table("parked_events",
    sa.Column("event_id", sa.String(length=36), nullable=False),
    sa.Column("ticket_id", sa.String(length=64), nullable=False),
    sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("event_id")
    )
    op.create_index("ix_parked_ticket", "parked_events", ["ticket_id"], unique=False)
    op.create_table("sessions",
    sa.Column("id", sa.String(length=64), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(length=8), nullable=False),
    sa.Column("csrf", sa.String(length=64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_sessions_user", "sessions", ["user_id"], unique=False)
    op.create_table("ticket_history",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
    sa.Column("ticket_id", sa.String(length=64), nullable=False),
    sa.Column("event_id", sa.String(length=36), nullable=False),
    sa.Column("type", sa.String(length=64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("by", sa.String(length=64), nullable=False),
    sa.Column("outcome", sa.String(length=16), nullable=False),
    sa.Column("detail", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_ticket_history_ticket", "ticket_history", ["ticket_id", "id"], unique=False)
    op.create_table("tickets",
    sa.Column("id", sa.String(length=64), nullable=False),
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("state", sa.String(length=32), nullable=False),
    sa.Column("is_open", sa.Boolean(), nullable=False),
    sa.Column("title", sa.String(length=200), nullable=False),
    sa.Column("details", sa.Text(), nullable=True),
    sa.Column("unit", sa.String(length=32), nullable=True),
    sa.Column("contact_name", sa.String(length=120), nullable=True),
    sa.Column("contact_phone", sa.String(length=40), nullable=True),
    sa.Column("complaint_class", sa.Integer(), nullable=True),
    sa.Column("complaint_valid", sa.Boolean(), nullable=True),
    sa.Column("major", sa.Boolean(), nullable=False),
    sa.Column("parent_id", sa.String(length=64), nullable=True),
    sa.Column("owner", sa.String(length=64), nullable=False),
    sa.Column("assignee", sa.String(length=64), nullable=True),
    sa.Column("source", sa.String(length=16), nullable=False),
    sa.Column("source_ref", sa.String(length=64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("reopen_count", sa.Integer(), nullable=False),
    sa.Column("appointment_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("paused", sa.Boolean(), nullable=False),
    sa.Column("milestones", sa.JSON(), nullable=False),
    sa.Column("pauses", sa.JSON(), nullable=False),
    sa.Column("breaches", sa.JSON(), nullable=False),
    sa.Column("timers", sa.JSON(), nullable=False),
    sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("next_due_timer", sa.String(length=40), nullable=True),
    sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("any_breach", sa.Boolean(), nullable=False),
    sa.Column("callback_reached", sa.Boolean(), nullable=True),
    sa.Column("satisfied", sa.Boolean(), nullable=True),
    sa.Column("tz", sa.String(length=64), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_tickets_board", "tickets", ["site", "is_open", "next_due_at", "created_at"], unique=False)
    op.create_index("ix_tickets_board_all", "tickets", ["is_open", "next_due_at", "created_at"], unique=False)
    op.create_index("ix_tickets_check", "tickets", ["next_check_at"], unique=False)
    op.create_index("ix_tickets_kind_created", "tickets", ["site", "kind", "created_at"], unique=False)
    op.create_index("ix_tickets_parent", "tickets", ["parent_id"], unique=False)
    op.create_index("ix_tickets_phone", "tickets", ["contact_phone"], unique=False)
    op.create_index("ix_tickets_site_created", "tickets", ["site", "created_at"], unique=False)
    op.create_index("ix_tickets_source_ref", "tickets", ["source_ref"], unique=False)
    op.create_index("ix_tickets_unit", "tickets", ["site", "unit", "created_at"], unique=False)
    op.create_table("users",
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("username", sa.String(length=64), nullable=False),
    sa.Column("display_name", sa.String(length=120), nullable=False),
    sa.Column("password_hash", sa.String(length=256), nullable=False),
    sa.Column("role", sa.String(length=16), nullable=False),
    sa.Column("sites", sa.JSON(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("username")
    )
    op.create_table("visits",
    sa.Column("visit_id", sa.String(length=64), nullable=False),
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("device", sa.String(length=64), nullable=False),
    sa.Column("visitor_name", sa.String(length=64), nullable=True),
    sa.Column("phone", sa.String(length=32), nullable=True),
    sa.Column("phone_masked", sa.String(length=32), nullable=True),
    sa.Column("host_unit", sa.String(length=32), nullable=True),
    sa.Column("purpose", sa.String(length=200), nullable=True),
    sa.Column("method", sa.String(length=16), nullable=True),
    sa.Column("pass_id", sa.String(length=64), nullable=True),
    sa.Column("single_use", sa.Boolean(), nullable=True),
    sa.Column("double_use", sa.Boolean(), nullable=False),
    sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("night", sa.Boolean(), nullable=False),
    sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("ticket_id", sa.String(length=64), nullable=True),
    sa.Column("tz", sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint("visit_id")
    )
    op.create_index("ix_visits_on_site", "visits", ["site", "checked_out_at"], unique=False)
    op.create_index("ix_visits_pass", "visits", ["pass_id"], unique=False)
    op.create_index("ix_visits_phone", "visits", ["phone"], unique=False)
    op.create_index("ix_visits_site_in", "visits", ["site", "first_seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_visits_site_in", table_name="visits")
    op.drop_index("ix_visits_phone", table_name="visits")
    op.drop_index("ix_visits_pass", table_name="visits")
    op.drop_index("ix_visits_on_site", table_name="visits")
    op.drop_table("visits")
    op.drop_table("users")
    op.drop_index("ix_tickets_unit", table_name="tickets")
    op.drop_index("ix_tickets_source_ref", table_name="tickets")
    op.drop_index("ix_tickets_site_created", table_name="tickets")
    op.drop_index("ix_tickets_phone", table_name="tickets")
    op.drop_index("ix_tickets_parent", table_name="tickets")
    op.drop_index("ix_tickets_kind_created", table_name="tickets")
    op.drop_index("ix_tickets_check", table_name="tickets")
    op.drop_index("ix_tickets_board_all", table_name="tickets")
    op.drop_index("ix_tickets_board", table_name="tickets")
    op.drop_table("tickets")
    op.drop_index("ix_ticket_history_ticket", table_name="ticket_history")
    op.drop_table("ticket_history")
    op.drop_index("ix_sessions_user", table_name="sessions")
    op.drop_table("sessions")
    op.drop_index("ix_parked_ticket", table_name="parked_events")
    op.drop_table("parked_events")
    op.drop_index("ix_calls_site_started", table_name="calls")
    op.drop_index("ix_calls_number", table_name="calls")
    op.drop_table("calls")
    op.drop_index("ix_audit_at", table_name="audit_log")
    op.drop_table("audit_log")
