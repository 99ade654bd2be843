"""Residents invite visitors: sign-in codes, tries and locks, resident sessions, invitations.

Revision ID: 0008_residents
Revises: 0007_directory
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_residents"
down_revision = "0007_directory"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table("resident_codes",
    sa.Column("id", ID, autoincrement=True, nullable=False),
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("phone_key", sa.String(length=24), nullable=False),
    sa.Column("code_hash", sa.String(length=64), nullable=False),
    sa.Column("salt", sa.String(length=32), nullable=False),
    sa.Column("created_at", TIME, nullable=False),
    sa.Column("expires_at", TIME, nullable=False),
    sa.Column("spent_at", TIME, nullable=True),
    sa.Column("made_by", sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_resident_codes_phone", "resident_codes", ["site", "phone_key"])

    op.create_table("resident_code_requests",
    sa.Column("id", ID, autoincrement=True, nullable=False),
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("phone", sa.String(length=40), nullable=False),
    sa.Column("phone_key", sa.String(length=24), nullable=False),
    sa.Column("units", sa.JSON(), nullable=False),
    sa.Column("requested_at", TIME, nullable=False),
    sa.Column("answered_at", TIME, nullable=True),
    sa.Column("answered_by", sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_resident_code_requests_site", "resident_code_requests", ["site", "answered_at"])

    op.create_table("resident_attempts",
    sa.Column("id", ID, autoincrement=True, nullable=False),
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("kind", sa.String(length=8), nullable=False),
    sa.Column("phone_hash", sa.String(length=64), nullable=False),
    sa.Column("client", sa.String(length=64), nullable=False),
    sa.Column("at", TIME, nullable=False),
    sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_resident_attempts_phone", "resident_attempts", ["site", "phone_hash", "at"])
    op.create_index("ix_resident_attempts_client", "resident_attempts", ["client", "at"])

    op.create_table("resident_locks",
    sa.Column("id", ID, autoincrement=True, nullable=False),
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("scope", sa.String(length=8), nullable=False),
    sa.Column("subject", sa.String(length=64), nullable=False),
    sa.Column("until", TIME, nullable=False),
    sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_resident_locks_subject", "resident_locks", ["scope", "subject", "until"])

    op.create_table("resident_sessions",
    sa.Column("id", sa.String(length=64), nullable=False),
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("phone_key", sa.String(length=24), nullable=False),
    sa.Column("units", sa.JSON(), nullable=False),
    sa.Column("csrf", sa.String(length=64), nullable=False),
    sa.Column("created_at", TIME, nullable=False),
    sa.Column("expires_at", TIME, nullable=False),
    sa.PrimaryKeyConstraint("id"))

    op.create_table("resident_invitations",
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("unit", sa.String(length=32), nullable=False),
    sa.Column("pass_id", sa.String(length=36), nullable=False),
    sa.Column("link_hash", sa.String(length=64), nullable=False),
    sa.Column("visitor_name", sa.String(length=32), nullable=False),
    sa.Column("visitor_phone", sa.String(length=32), nullable=True),
    sa.Column("valid_from", TIME, nullable=False),
    sa.Column("valid_until", TIME, nullable=False),
    sa.Column("created_at", TIME, nullable=False),
    sa.Column("made_by_kind", sa.String(length=8), nullable=False),
    sa.Column("made_by", sa.String(length=64), nullable=False),
    sa.Column("cancelled_at", TIME, nullable=True),
    sa.Column("cancelled_by", sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("pass_id"),
    sa.UniqueConstraint("link_hash"))
    op.create_index("ix_resident_invitations_unit", "resident_invitations", ["site", "unit", "valid_until"])


def downgrade() -> None:
    op.drop_index("ix_resident_invitations_unit", table_name="resident_invitations")
    op.drop_table("resident_invitations")
    op.drop_table("resident_sessions")
    op.drop_index("ix_resident_locks_subject", table_name="resident_locks")
    op.drop_table("resident_locks")
    op.drop_index("ix_resident_attempts_client", table_name="resident_attempts")
    op.drop_index("ix_resident_attempts_phone", table_name="resident_attempts")
    op.drop_table("resident_attempts")
    op.drop_index("ix_resident_code_requests_site", table_name="resident_code_requests")
    op.drop_table("resident_code_requests")
    op.drop_index("ix_resident_codes_phone", table_name="resident_codes")
    op.drop_table("resident_codes")
