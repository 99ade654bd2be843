"""The technician's side: the key that signs work-order claim addresses, and the photos and
signatures added to tickets.

Revision ID: 0006_work_evidence
Revises: 0005_ticket_numbers
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_work_evidence"
down_revision = "0005_ticket_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("link_keys",
    sa.Column("name", sa.String(length=32), nullable=False),
    sa.Column("key", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("name")
    )
    op.create_table("ticket_attachments",
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("ticket_id", sa.String(length=64), nullable=False),
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("mime", sa.String(length=32), nullable=False),
    sa.Column("data", sa.LargeBinary(), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("width", sa.Integer(), nullable=False),
    sa.Column("height", sa.Integer(), nullable=False),
    sa.Column("by", sa.String(length=64), nullable=False),
    sa.Column("note", sa.String(length=2000), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_id", sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("event_id")
    )
    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_attachments_ticket", ["ticket_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_attachments_ticket")
    op.drop_table("ticket_attachments")
    op.drop_table("link_keys")
