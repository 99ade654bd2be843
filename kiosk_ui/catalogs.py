"""The message catalogues (one JSON file per language under static/i18n/).

Every string on the screens comes from these files; the page loads them and never shows a key
that one language has and the other lacks. `check()` is what the tests and the service's start-up
use to refuse a catalogue with missing keys, unbalanced {placeholders} or broken JSON.
"""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from .config import LANGUAGES

I18N_DIR = Path(__file__).parent / "static" / "i18n"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class CatalogError(ValueError):
    """A catalogue file that the screens cannot use; the message names the file and key."""


@cache
def load(language: str) -> dict[str, str]:
    """The catalogue of `language` (read once); CatalogError if it is missing or not key -> message."""
    if language not in LANGUAGES:
        raise CatalogError(f"no catalogue for language {language!r} (have: {', '.join(LANGUAGES)})")
    path = I18N_DIR / f"{language}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CatalogError(f"{path}: {err}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise CatalogError(f"{path}: must be one JSON object of string keys to string messages")
    return data


def placeholders(message: str) -> set[str]:
    """The {names} a message fills in."""
    return set(_PLACEHOLDER.findall(message))


def check() -> None:
    """All languages have the same keys with the same placeholders, and no empty message."""
    catalogs = {lang: load(lang) for lang in LANGUAGES}
    reference_lang, reference = next(iter(catalogs.items()))
    problems = []
    for lang, catalog in catalogs.items():
        for key in sorted(set(reference) - set(catalog)):
            problems.append(f"{lang}.json: missing key {key!r} (present in {reference_lang}.json)")
        for key in sorted(set(catalog) - set(reference)):
            problems.append(f"{lang}.json: extra key {key!r} (absent from {reference_lang}.json)")
        for key, message in catalog.items():
            if not message.strip():
                problems.append(f"{lang}.json: {key!r} is empty")
            if key in reference and placeholders(message) != placeholders(reference[key]):
                problems.append(f"{lang}.json: {key!r} uses {sorted(placeholders(message))}, "
                                f"{reference_lang}.json uses {sorted(placeholders(reference[key]))}")
    if problems:
        raise CatalogError("\n".join(problems))


__all__ = ["CatalogError", "I18N_DIR", "check", "load", "placeholders"]
