"""Quarantine quota bookkeeping per device.

Revision ID: 0003_quarantine_quota
Revises: 0002_tickets
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_quarantine_quota"
down_revision = "0002_tickets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("quarantine_quota",
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("device", sa.String(length=64), nullable=False),
    sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("count", sa.Integer(), nullable=False),
    sa.Column("kept", sa.Integer(), nullable=False),
    sa.Column("total", sa.BigInteger(), nullable=False),
    sa.Column("alarms", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("site", "device")
    )


def downgrade() -> None:
    op.drop_table("quarantine_quota")
