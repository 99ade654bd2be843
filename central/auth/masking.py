"""Masking residents' personal data for roles that do not need it in full."""
from __future__ import annotations

from collections.abc import Callable

from frontdesk.masking import mask_phone


def mask_name(value: str | None) -> str | None:
    """张三丰 -> 张**; John Smith -> J*********."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)


PERSON_FIELDS: dict[str, Callable[[str], str | None]] = {
    "contact_phone": mask_phone, "contact_name": mask_name, "number": mask_phone, "number_raw": mask_phone,
    "caller_name": mask_name, "resident_name": mask_name, "visitor_name": mask_name, "phone": mask_phone}


def mask_row(row: dict) -> dict:
    """A copy of the row with residents' names and phone numbers (PERSON_FIELDS) masked."""
    return {k: (PERSON_FIELDS[k](v) if k in PERSON_FIELDS and isinstance(v, str) else v) for k, v in row.items()}
