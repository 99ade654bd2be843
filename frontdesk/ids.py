"""Time-sortable unique ids made at the edge (UUIDv7, RFC 9562).

UUIDv7 sorts by creation time to the millisecond and carries 74 random bits, so two offline
edges never collide and the central store can order by id without a clock of its own.
"""
from __future__ import annotations

import uuid

import uuid6


def new_id() -> str:
    """A new UUIDv7 as its canonical 36-character string."""
    return str(uuid6.uuid7())


def is_uuid7(value: str) -> bool:
    """True if `value` is a UUIDv7 in canonical form (lower-case, hyphenated); never raises."""
    try:
        parsed = uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return parsed.version == 7 and str(parsed) == value
