"""Personal data in the live stream, masked for roles that may not see it in full, by central's
masking rules (central/auth/masking.py), as the API masks it."""
from __future__ import annotations

from typing import Any

from ..auth.masking import PERSON_FIELDS, mask_name, mask_row

# Call events carry the caller-ID name as `name` (the API's registers call it caller_name).
_CALL_NAME = "name"


def mask_live_item(item: dict[str, Any]) -> dict[str, Any]:
    """One live item as a viewer without the personal-data permission sees it."""
    payload = item.get("payload") or {}
    if not any(k in PERSON_FIELDS or k == _CALL_NAME for k in payload):
        return item
    masked = mask_row(payload)
    if item["type"].startswith("call.") and isinstance(masked.get(_CALL_NAME), str):
        masked[_CALL_NAME] = mask_name(masked[_CALL_NAME])
    return {**item, "payload": masked}
