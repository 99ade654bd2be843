"""Staff accounts, sessions and the personal-data audit log (migration 0002_tickets); the login
throttle and sessions' last use (0009_logins)."""
from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Index, Integer, String, Table, false

from ..tables import metadata

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(120), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False),
    Column("sites", JSON, nullable=False),  # ["garden-court", ...] or ["*"]
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Only a hash of each session token is stored: a copy of the database does not log anyone in.
sessions = Table(
    "sessions", metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("kind", String(8), nullable=False),  # cookie | token
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # When a request last used it (written at most once a minute; None: not since login) and
    # whether it is a remembered login (a phone's), which has its own idle limit.
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("remember", Boolean, nullable=False, server_default=false()),
    Index("ix_sessions_user", "user_id"),
)

# Failed logins counted per account, per client address and per (account, address) pair
# (central/auth/throttle.py). `key` is a hash of scope and subject: a password typed into the
# user-name field is not kept readable. A row means nothing after `forget_at` and is deleted.
login_throttle = Table(
    "login_throttle", metadata,
    Column("key", String(64), primary_key=True),
    Column("scope", String(8), nullable=False),  # pair | account | address
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime(timezone=True), nullable=True),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    # pair rows: the last good login of this account from this address (a familiar address)
    Column("last_success_at", DateTime(timezone=True), nullable=True),
    Column("forget_at", DateTime(timezone=True), nullable=False),
    Index("ix_login_throttle_forget", "forget_at"),
)

# Who read or changed residents' personal data, when, and which record.
audit_log = Table(
    "audit_log", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("username", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(16), nullable=False),  # read | change | export | erase | anonymise
    Column("entity", String(32), nullable=False),
    Column("entity_id", String(128)),
    Column("site", String(64)),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_at", "at"),
)

AUTH_TABLES = [users, sessions, audit_log, login_throttle]
