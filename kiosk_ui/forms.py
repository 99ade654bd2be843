"""The registration form as the screens send it, checked for shape before it goes further.

Only the form's own rules live here (every field present, text, within the size the screen
allows, a purpose from the buttons). Whether a name, phone number or unit is acceptable is the
access service's decision (register_walk_in); its refusals come back as the same field codes,
which both message catalogues translate.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from .config import LANGUAGES

PURPOSES = ("visit", "delivery", "maintenance", "business", "other")
# What the inputs let through (maxlength); anything longer did not come from the page.
LIMITS = {"name": 64, "phone": 32, "unit": 32}
_CODES = {"name": "name_required", "phone": "phone_invalid", "unit": "unit_invalid"}


@dataclass(frozen=True)
class FieldError(Exception):
    """The form's field to correct and a catalogue code (error.<code>) saying why."""

    field: str
    code: str

    def __str__(self) -> str:
        return f"{self.field}: {self.code}"


@dataclass(frozen=True)
class WalkIn:
    """A registration form that has the right shape (the access service judges its content)."""

    name: str
    phone: str
    unit: str
    purpose: str
    language: str


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(key, "bad_request")
    return unicodedata.normalize("NFC", value).strip()


def parse_walk_in(raw: Any, default_language: str = "zh-Hans") -> WalkIn:
    """The decoded JSON body as a WalkIn; FieldError names the first field to correct."""
    if not isinstance(raw, dict):
        raise FieldError("form", "bad_request")
    values = {}
    for key, limit in LIMITS.items():
        value = _text(raw, key)
        if not value:
            raise FieldError(key, _CODES[key])
        if len(value) > limit:
            raise FieldError(key, "too_large")
        values[key] = value
    purpose = _text(raw, "purpose")
    if not purpose:
        raise FieldError("purpose", "purpose_required")
    if purpose not in PURPOSES:
        raise FieldError("purpose", "purpose_invalid")
    language = _text(raw, "language") or default_language
    if language not in LANGUAGES:
        raise FieldError("language", "bad_request")
    return WalkIn(purpose=purpose, language=language, **values)


__all__ = ["FieldError", "LIMITS", "PURPOSES", "WalkIn", "parse_walk_in"]
