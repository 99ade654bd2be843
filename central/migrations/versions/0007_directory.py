"""The resident directory central keeps per site (units, residents, phone numbers).

Revision ID: 0007_directory
Revises: 0006_work_evidence
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_directory"
down_revision = "0006_work_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("directory",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("unit", sa.String(length=32), nullable=False),
    sa.Column("name", sa.String(length=120), nullable=True),
    sa.Column("phone", sa.String(length=40), nullable=True),
    sa.Column("phone_key", sa.String(length=24), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("directory", schema=None) as batch_op:
        batch_op.create_index("ix_directory_site_unit", ["site", "unit"], unique=False)
        batch_op.create_index("ix_directory_site_phone", ["site", "phone_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("directory", schema=None) as batch_op:
        batch_op.drop_index("ix_directory_site_phone")
        batch_op.drop_index("ix_directory_site_unit")
    op.drop_table("directory")
