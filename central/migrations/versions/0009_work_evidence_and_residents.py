"""Joins 0008_work_evidence_and_directory (0006_work_evidence with 0007_directory) and
0008_residents, made side by side. Nothing to change: a database on either branch gets the
other's migrations, then this.

Revision ID: 0009_work_evidence_and_residents
Revises: 0008_work_evidence_and_directory, 0008_residents
"""
revision = "0009_work_evidence_and_residents"
down_revision = ("0008_work_evidence_and_directory", "0008_residents")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
