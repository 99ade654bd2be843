"""Joins the two migrations made side by side on 0005_ticket_numbers: 0006_work_evidence (claim
link keys, ticket attachments) and 0007_directory (the resident directory). Nothing to change:
a database at either one gets the other, then this.

Revision ID: 0008_work_evidence_and_directory
Revises: 0006_work_evidence, 0007_directory
"""
revision = "0008_work_evidence_and_directory"
down_revision = ("0006_work_evidence", "0007_directory")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
