"""Times as the ticket read models keep them: UTC, and ISO 8601 strings in JSON columns."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


@overload
def utc(value: None) -> None: ...
@overload
def utc(value: datetime | str) -> datetime: ...
def utc(value: datetime | str | None) -> datetime | None:
    """A datetime or ISO string as an aware UTC datetime (None stays None)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@overload
def iso(value: None) -> None: ...
@overload
def iso(value: datetime | str) -> str: ...
def iso(value: datetime | str | None) -> str | None:
    """`value` in UTC as an ISO 8601 string (None stays None)."""
    return None if value is None else utc(value).isoformat()
