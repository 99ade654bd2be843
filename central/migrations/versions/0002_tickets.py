"""Tickets, call and visit registers, staff accounts, sessions, audit log.

Revision ID: 0002_tickets
Revises: 0001
"""
from alembic import op

revision = "0002_tickets"
down_revision = "0001"
branch_labels = None
depends_on = None

# The tables are declared once (SQLAlchemy Core, with their indexes) in the modules below; this
# revision creates them as declared at this revision. A later change to them needs a new revision.
NAMES = ["tickets", "ticket_history", "parked_events", "calls", "visits", "users", "sessions", "audit_log"]


def _tables():
    from frontdesk.central.auth.tables import AUTH_TABLES
    from frontdesk.central.tickets.tables import READ_MODELS
    return READ_MODELS + AUTH_TABLES


def upgrade() -> None:
    bind = op.get_bind()
    for table in _tables():
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(_tables()):
        table.drop(bind)
