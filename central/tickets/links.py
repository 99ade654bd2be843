"""The work-order slip's claim address: `<base>/w/<token>`, a link a phone's own camera app opens.

The token is base64url (no padding) of 36 bytes: the ticket id (the 16 bytes of its UUID), the
expiry (unix seconds, 4 bytes, big-endian) and an HMAC-SHA256 of those 20 bytes, cut to 16
bytes. The key is 32 random bytes made on first use and kept in the database (`link_keys`), so
every central replica signs and checks alike and a restart does not void the slips in the field.

A token is input like any other: `check` says why one is refused ("forged": it does not decode,
has the wrong length or a bad MAC; "expired"), and the caller looks the ticket up ("no such
ticket"). The MAC is checked before anything else the token says is believed.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import struct
import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from .tables import link_keys

KEY_NAME = "claim"
MAC_BYTES = 16
TOKEN_BYTES = 16 + 4 + MAC_BYTES
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{48}$")  # base64 of 36 bytes, which needs no padding
# What the claim address's path looks like, for the router and for anyone reading a slip.
PATH = "/w/"

FORGED, EXPIRED = "forged", "expired"


class LinkError(ValueError):
    """A claim token refused; `reason` is "forged" or "expired"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def ticket_bytes(ticket_id: str) -> bytes:
    """The 16 bytes of a ticket id that is a UUID in canonical form; ValueError for any other id
    (a token must turn back into exactly the id it was made for)."""
    parsed = uuid.UUID(ticket_id)
    if str(parsed) != ticket_id:
        raise ValueError(f"ticket id {ticket_id!r} is not a canonical UUID")
    return parsed.bytes


def address(base: str, token: str) -> str:
    """The claim address for `token` under `base` (e.g. https://desk.example.com)."""
    return base.rstrip("/") + PATH + token


class ClaimLinks:
    """Makes and checks claim tokens with the key kept in central's database."""

    def __init__(self, engine: Engine, days: int = 30) -> None:
        self.engine = engine
        self.lifetime = timedelta(days=days)
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def key(self) -> bytes:
        """The signing key: read from `link_keys`, made there on first use. Two replicas making it
        at once both insert-if-absent and then read back the one that won."""
        with self._lock:
            if self._key is None:
                with self.engine.begin() as conn:
                    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(link_keys)
                    conn.execute(insert.values(name=KEY_NAME, key=secrets.token_bytes(32), created_at=datetime.now(UTC))
                                 .on_conflict_do_nothing(index_elements=["name"]))
                    self._key = bytes(conn.execute(select(link_keys.c.key)
                                                   .where(link_keys.c.name == KEY_NAME)).scalar_one())
            return self._key

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self.key(), body, hashlib.sha256).digest()[:MAC_BYTES]

    def make(self, ticket_id: str, expires_at: datetime | None = None) -> str:
        """A token for the ticket, valid until `expires_at` (default: claim_link_days from now).
        ValueError if the ticket id is not a canonical UUID."""
        expires = expires_at or datetime.now(UTC) + self.lifetime
        body = ticket_bytes(ticket_id) + struct.pack(">I", max(0, min(int(expires.timestamp()), 2**32 - 1)))
        return base64.urlsafe_b64encode(body + self._mac(body)).decode().rstrip("=")

    def check(self, token: str, now: datetime | None = None) -> tuple[str, datetime]:
        """(ticket id, expiry) of a good token; LinkError("forged" | "expired") otherwise."""
        if not isinstance(token, str) or not TOKEN_RE.match(token):
            raise LinkError(FORGED)
        try:
            raw = base64.urlsafe_b64decode(token)
        except ValueError:
            raise LinkError(FORGED) from None
        if len(raw) != TOKEN_BYTES:
            raise LinkError(FORGED)
        body, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(body)):
            raise LinkError(FORGED)
        (expiry,) = struct.unpack(">I", body[16:20])
        expires_at = datetime.fromtimestamp(expiry, UTC)
        if (now or datetime.now(UTC)) >= expires_at:
            raise LinkError(EXPIRED)
        return str(uuid.UUID(bytes=body[:16])), expires_at
