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


def test_a_database_at_either_side_branch_upgrades_to_head(database_url):
    """0006_work_evidence and 0007_directory were made side by side on 0005; a database that has
    one of them gets the other (and the merge point) on the next start."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from frontdesk.central.db import MIGRATIONS, engine_for

    for first in ("0007_directory", "0006_work_evidence"):
        engine = engine_for(database_url)
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            if inspect(conn).has_table("alembic_version"):  # the first round left it at head
                command.downgrade(cfg, "base")
            command.upgrade(cfg, first)
        tables = set(inspect(engine).get_table_names())
        assert ("ticket_attachments" in tables) == (first == "0006_work_evidence")
        engine.dispose()
        store = Store(database_url)  # what central does on start
        tables = set(inspect(store.engine).get_table_names())
        assert {"ticket_attachments", "link_keys", "directory"} <= tables
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        store.close()
