"""The Alembic migrations build exactly the schema the code declares, on both backends."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import frontdesk.central.auth.tables
import frontdesk.central.directory.tables
import frontdesk.central.fleet.tables
import frontdesk.central.tickets.tables  # noqa: F401
from frontdesk.central.store import Store
from frontdesk.central.tables import metadata


def test_migrated_schema_matches_the_declared_tables(database_url):
    store = Store(database_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], "tables changed without a migration: " + repr(diff)[:2000]
    Store(database_url)  # upgrading an up-to-date database is a no-op
