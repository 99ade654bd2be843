"""The directory's table (migration 0007_directory)."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table

from ..tables import metadata

# One line per (site, unit, phone): a unit may have several residents, a number several units.
directory = Table(
    "directory", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("site", String(64), nullable=False),
    Column("unit", String(32), nullable=False),
    Column("name", String(120)),
    # The number as given, and its key (digits, country prefix dropped) that lookups compare.
    Column("phone", String(40)),
    Column("phone_key", String(24)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_directory_site_unit", "site", "unit"),
    Index("ix_directory_site_phone", "site", "phone_key"),
)
