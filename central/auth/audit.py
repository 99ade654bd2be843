"""The audit rule for reads: a read is written to the audit log when it shows residents' personal
data in full, that is when the account's role is in PERSONAL_DATA_ROLES and masking what it was
shown would have hidden something (masking.is_personal). A read that shows only masked data, or
none (a board of titles and units), is no personal read and writes nothing.

The API's routers call it through `Api.audit_read` (central/api/deps.py); the dashboard's live
stream calls it once per subscription, when the stream opens.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .accounts import Accounts, Staff
from .masking import is_personal
from .roles import PERSONAL_DATA_ROLES


def audit_read(accounts: Accounts, staff: Staff, entity: str, entity_id: str | None, site: str | None,
               shown: Any, *, record: str | None = None, known: Iterable[str] = (), always: bool = False,
               **detail: Any) -> bool:
    """Write `staff`'s read of `shown` (a row, a list of rows, or any JSON value) to the audit log if
    it is a personal read; True if it was written. The entry's detail holds `rows` (how many rows
    were shown, when `shown` is a list) and `detail`. `record`: the kind of record shown (masking's
    RECORD_FIELDS); `known`: names and numbers its free text may quote. `always`: the read carries
    personal data by what it is, not by what it held at this moment (a live stream, shown in full,
    carries whatever comes next)."""
    if staff.role not in PERSONAL_DATA_ROLES or not (always or is_personal(shown, record, known)):
        return False
    rows = {"rows": len(shown)} if isinstance(shown, list) else {}
    accounts.audit(staff, "read", entity, entity_id, site, {**rows, **detail})
    return True
