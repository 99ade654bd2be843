"""The Alembic migrations build exactly the schema the code declares, on both backends."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import frontdesk.central.auth.tables
import frontdesk.central.directory.tables
import frontdesk.central.fleet.tables
import frontdesk.central.residents.tables
import frontdesk.central.tickets.tables  # noqa: F401
from frontdesk.central.store import Store
from frontdesk.central.tables import metadata


def test_migrated_schema_matches_the_declared_tables(database_url):
    store = Store(database_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], "tables changed without a migration: " + repr(diff)[:2000]
    Store(database_url)  # upgrading an up-to-date database is a no-op


def test_the_newest_migrations_go_down_and_up_again(database_url):
    """Downgrades are kept honest: from head back to 0005_ticket_numbers (the tables of the work
    evidence, the directory and the residents go), then up to head again on the next start."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from frontdesk.central.db import MIGRATIONS

    store = Store(database_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005_ticket_numbers")
    tables = set(inspect(store.engine).get_table_names())
    assert not {"ticket_attachments", "link_keys", "directory"} & tables
    assert not [t for t in tables if t.startswith("resident")]
    store.close()
    store = Store(database_url)  # what central does on start
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    store.close()
