"""The residents' tables (migration 0008_residents): sign-in codes and the tries that count
towards rate limits and lockouts, resident sessions, and invitations."""
from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Integer, String, Table

from ..tables import metadata

_ID = BigInteger().with_variant(Integer, "sqlite")

# One-time sign-in codes: only a salted hash is kept; a newer code for a number replaces the older.
resident_codes = Table(
    "resident_codes", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("site", String(64), nullable=False),
    Column("phone_key", String(24), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("salt", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # set when the code signed someone in, or a newer one replaced it
    Column("spent_at", DateTime(timezone=True)),
    # the desk user who made it, or the sender that delivered it
    Column("made_by", String(64), nullable=False),
    Index("ix_resident_codes_phone", "site", "phone_key"),
)

# Requests for a code that wait for the desk to read one out (listed numbers only).
resident_code_requests = Table(
    "resident_code_requests", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("site", String(64), nullable=False),
    Column("phone", String(40), nullable=False),
    Column("phone_key", String(24), nullable=False),
    Column("units", JSON, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("answered_at", DateTime(timezone=True)),
    Column("answered_by", String(64)),
    Index("ix_resident_code_requests_site", "site", "answered_at"),
)

# Every code request and every sign-in try, for the rate limits and lockouts. The number is kept
# only as a hash (numbers outside the directory land here too); rows older than a day are pruned.
resident_attempts = Table(
    "resident_attempts", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("site", String(64), nullable=False),
    Column("kind", String(8), nullable=False),  # request | wrong | right
    Column("phone_hash", String(64), nullable=False),
    Column("client", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_resident_attempts_phone", "site", "phone_hash", "at"),
    Index("ix_resident_attempts_client", "client", "at"),
)

# Sign-in locks: for a number (phone_hash) or a client address, until a time.
resident_locks = Table(
    "resident_locks", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("site", String(64), nullable=False),
    Column("scope", String(8), nullable=False),  # phone | client
    Column("subject", String(64), nullable=False),
    Column("until", DateTime(timezone=True), nullable=False),
    Index("ix_resident_locks_subject", "scope", "subject", "until"),
)

# A signed-in resident: the id is the SHA-256 of the cookie's token; scoped to the site, the
# number and the units it was listed for at sign-in.
resident_sessions = Table(
    "resident_sessions", metadata,
    Column("id", String(64), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("phone_key", String(24), nullable=False),
    Column("units", JSON, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# An invitation: the pass central signed for a visitor and the link's token (hashed). The pass
# itself is not kept: the visitor's page signs it again from these fields (Ed25519 is
# deterministic, so it is the same token).
resident_invitations = Table(
    "resident_invitations", metadata,
    Column("id", String(36), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("unit", String(32), nullable=False),
    Column("pass_id", String(36), nullable=False, unique=True),
    Column("link_hash", String(64), nullable=False, unique=True),
    Column("visitor_name", String(32), nullable=False),
    Column("visitor_phone", String(32)),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_until", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("made_by_kind", String(8), nullable=False),  # resident | desk
    Column("made_by", String(64), nullable=False),  # the resident's phone key, or the desk user
    Column("cancelled_at", DateTime(timezone=True)),
    Column("cancelled_by", String(64)),
    Index("ix_resident_invitations_unit", "site", "unit", "valid_until"),
)
