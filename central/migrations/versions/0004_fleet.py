"""The fleet registry: sites, devices and the certificates issued to them.

Revision ID: 0004_fleet
Revises: 0003_quarantine_quota
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_fleet"
down_revision = "0003_quarantine_quota"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("fleet_sites",
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("name", sa.String(length=120), nullable=False),
    sa.Column("timezone", sa.String(length=64), nullable=False),
    sa.Column("country", sa.String(length=2), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("site")
    )
    op.create_table("fleet_devices",
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("device", sa.String(length=64), nullable=False),
    sa.Column("role", sa.String(length=16), nullable=False),
    sa.Column("state", sa.String(length=16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("disabled_reason", sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint("site", "device")
    )
    op.create_table("fleet_credentials",
    sa.Column("serial", sa.String(length=64), nullable=False),
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("device", sa.String(length=64), nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("serial")
    )
    with op.batch_alter_table("fleet_credentials", schema=None) as batch_op:
        batch_op.create_index("ix_fleet_credentials_device", ["site", "device"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fleet_credentials", schema=None) as batch_op:
        batch_op.drop_index("ix_fleet_credentials_device")
    op.drop_table("fleet_credentials")
    op.drop_table("fleet_devices")
    op.drop_table("fleet_sites")
