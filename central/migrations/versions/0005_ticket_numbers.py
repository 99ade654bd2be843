"""Readable ticket numbers (BX-20261129-007) and their counters; numbers for existing tickets.

Revision ID: 0005_ticket_numbers
Revises: 0004_fleet

Existing tickets are numbered in the order they were opened, by the same rule new ones follow
(central/tickets/numbers.py, restated here: a migration keeps the rule as it was at its revision).
"""
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0005_ticket_numbers"
down_revision = "0004_fleet"
branch_labels = None
depends_on = None

PREFIXES = {"repair": "BX", "complaint": "TS", "help_request": "QZ", "inquiry": "ZX", "paid_service": "YC",
            "mail": "YJ", "visit": "FK"}


def upgrade() -> None:
    op.create_table("ticket_counters",
    sa.Column("site", sa.String(length=64), nullable=False),
    sa.Column("prefix", sa.String(length=4), nullable=False),
    sa.Column("day", sa.String(length=8), nullable=False),
    sa.Column("last", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("site", "prefix", "day")
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.String(length=24), nullable=True))
    _number_existing()
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_number", ["site", "number"], unique=True)


def _number_existing() -> None:
    conn = op.get_bind()
    tickets = sa.table("tickets", sa.column("id"), sa.column("site"), sa.column("kind"),
                       sa.column("created_at", sa.DateTime(timezone=True)),
                       sa.column("tz"), sa.column("number"))
    counters = sa.table("ticket_counters", sa.column("site"), sa.column("prefix"), sa.column("day"),
                        sa.column("last"))
    last: dict[tuple[str, str, str], int] = {}
    rows = conn.execute(sa.select(tickets.c.id, tickets.c.site, tickets.c.kind, tickets.c.created_at, tickets.c.tz)
                        .order_by(tickets.c.created_at, tickets.c.id)).all()
    for row in rows:
        at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=ZoneInfo("UTC"))
        key = (row.site, PREFIXES.get(row.kind, "GD"), at.astimezone(ZoneInfo(row.tz)).strftime("%Y%m%d"))
        last[key] = last.get(key, 0) + 1
        conn.execute(sa.update(tickets).where(tickets.c.id == row.id)
                     .values(number=f"{key[1]}-{key[2]}-{last[key]:03d}"))
    if last:
        conn.execute(sa.insert(counters), [{"site": s, "prefix": p, "day": d, "last": n}
                                           for (s, p, d), n in last.items()])


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_number")
        batch_op.drop_column("number")
    op.drop_table("ticket_counters")
