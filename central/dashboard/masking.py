"""Personal data in the live stream, masked for roles that may not see it in full, by central's
one masking rule set (central/auth/masking.py: by field name, at any depth of the payload), as the
API masks it."""
from __future__ import annotations

from typing import Any

from ..auth.masking import mask


def mask_live_item(item: dict[str, Any]) -> dict[str, Any]:
    """One live item as a viewer without the personal-data permission sees it."""
    return {**item, "payload": mask(item.get("payload") or {})}
