"""Which kind of call a message is: keyword rules plus the caller's DTMF menu choice.

The result is a suggestion the desk confirms, so it carries the words that matched. The caller's
own key press wins over the words when both are present (the caller knows why they called);
the matched words are still listed so a disagreement is visible.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal, cast

from frontdesk.schema.transcript import Category

from .config import CATEGORIES, CategoryRule

Basis = Literal["dtmf", "keywords", "dtmf+keywords", "none"]


@dataclass(frozen=True)
class Classification:
    """A message's suggested category, the words that matched, and what decided it."""

    category: Category
    matched_words: list[str]
    basis: Basis


def _has_cjk(text: str) -> bool:
    return any(unicodedata.category(c) == "Lo" for c in text)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def matches(text: str, word: str) -> bool:
    """Does `word` occur in `text`? CJK (and Hangul) phrases ignore the spaces recognisers put
    between characters; alphabetic words must match whole words."""
    t, w = _normalise(text), _normalise(word).strip()
    if not w:
        return False
    if _has_cjk(w):
        return re.sub(r"\s+", "", w) in re.sub(r"\s+", "", t)
    return re.search(r"(?<!\w)" + r"\s+".join(map(re.escape, w.split())) + r"(?!\w)", t) is not None


def classify(text: str, dtmf: str | None, rules: dict[str, CategoryRule]) -> Classification:
    """The category of a message from its words and the caller's menu choice (see the module)."""
    hits: dict[str, list[str]] = {}
    for name, rule in rules.items():
        for words in rule.words.values():
            for word in words:
                if matches(text, word) and word not in hits.setdefault(name, []):
                    hits[name].append(word)
    hits = {k: v for k, v in hits.items() if v}
    # The phone menu reports either the key pressed or, where its menu maps keys itself, the
    # category name the key stands for.
    by_dtmf = next((name for name, rule in rules.items() if dtmf and rule.dtmf == dtmf), None)
    if by_dtmf is None and dtmf in (*CATEGORIES, "other"):
        by_dtmf = dtmf
    if by_dtmf:
        words = [w for ws in hits.values() for w in ws]
        # Rule names are categories (TranscribeConfig refuses others), and so is a menu's name.
        return Classification(cast(Category, by_dtmf), words, "dtmf+keywords" if by_dtmf in hits else "dtmf")
    if hits:
        # Most distinct words wins; ties go to the order of the rules (repair first).
        order = list(rules)
        best = max(hits, key=lambda k: (len(hits[k]), -order.index(k)))
        return Classification(cast(Category, best), [w for ws in hits.values() for w in ws], "keywords")
    return Classification("other", [], "none")
