"""Logins: the login throttle (per account, address and pair) and sessions' last use for the idle
timeout.

Revision ID: 0009_logins
Revises: 0008_residents
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_logins"
down_revision = "0008_residents"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table("login_throttle",
    sa.Column("key", sa.String(length=64), nullable=False),
    sa.Column("scope", sa.String(length=8), nullable=False),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("last_failure_at", TIME, nullable=True),
    sa.Column("locked_until", TIME, nullable=True),
    sa.Column("last_success_at", TIME, nullable=True),
    sa.Column("forget_at", TIME, nullable=False),
    sa.PrimaryKeyConstraint("key"))
    op.create_index("ix_login_throttle_forget", "login_throttle", ["forget_at"])
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("last_used_at", TIME, nullable=True))
        batch.add_column(sa.Column("remember", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("remember")
        batch.drop_column("last_used_at")
    op.drop_index("ix_login_throttle_forget", table_name="login_throttle")
    op.drop_table("login_throttle")
