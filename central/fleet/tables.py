"""The fleet registry's tables (migration 0004_fleet)."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, String, Table

from ..tables import metadata

# Sites central serves (the [sites.<id>] of central's file describe them for the dashboard; this
# is who may connect).
fleet_sites = Table(
    "fleet_sites", metadata,
    Column("site", String(64), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("country", String(2), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

fleet_devices = Table(
    "fleet_devices", metadata,
    Column("site", String(64), primary_key=True),
    Column("device", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("state", String(16), nullable=False),  # active | disabled
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("disabled_reason", String(200), nullable=True),
)

# Every certificate issued to a device; its private key is not kept. Revoked ones go in the CRL.
fleet_credentials = Table(
    "fleet_credentials", metadata,
    Column("serial", String(64), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("not_after", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Index("ix_fleet_credentials_device", "site", "device"),
)
