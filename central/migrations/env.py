"""Alembic environment: run with the connection central.db.migrate() hands over."""
from alembic import context

from frontdesk.central.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through frontdesk.central.db.migrate()")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
