"""Whom an erasure is about, and how that person's values are found and replaced inside stored JSON.

A `Match` is built from a `Subject` (frontdesk/schema/privacy.py) and grows while the places are
asked about it: the journal adds the ids of the person's calls and visits (`call_ids`,
`visit_ids`), so their recordings, transcripts and check-outs are found even where the number or
the name is not written.

Rules (the same in every place):
  - a phone matches however it was typed: only digits compare, the whole number against the whole
    number (the site's E.164 form or the digits as given), never a number that merely contains
    the digits ("110" does not match 13811000000); inside free text every run of digits (with
    spaces, dashes, dots or brackets between groups) is compared the same way; the masked form
    (138****8000) matches too;
  - a name matches only inside an object whose unit (`unit`, `host_unit`, ...) is the subject's,
    at any depth below it; case and width do not matter, and it is compared as text (quotes, % and
    _ are ordinary characters: nothing here is SQL);
  - a card id matches as written or in its canonical form; a visit id matches `visit_id` fields.
An object that holds a match "belongs" to the person: its personal fields (PERSONAL_KEYS) are
replaced as a whole. Everywhere else only the matching text is replaced. Ids, times and units stay.
"""
from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from frontdesk.drivers.cards import normalize_card_id
from frontdesk.drivers.modem.callerid import normalise
from frontdesk.masking import mask_phone
from frontdesk.schema.privacy import Subject

ERASED = "[erased]"
EXPIRED = "[expired]"

# Fields that hold a person's data: replaced whole in an object that belongs to the subject.
PERSONAL_KEYS = frozenset({
    "number", "number_raw", "name", "resident_name", "caller_name", "phone", "phone_masked", "mobile", "tel",
    "contact", "contact_phone", "visitor_name", "display_name", "holder", "raw", "purpose", "text",
    "matched_words", "card_id", "payload_hex", "content", "note", "message",
})
# Ids: never scrubbed as text (a hex id's digits are not a number someone dialled), only compared.
ID_KEYS = frozenset({"id", "call_id", "visit_id", "job_id", "pass_id", "ticket_id", "command_id", "event_id",
                     "request_id", "sha256", "checkout_code", "reprint_of"})
# A part of a longer run of digit groups counts as a number only from this many digits on, so that
# "110" never matches inside 138 110 00000.
PART_MIN_DIGITS = 7
MASKED_MIN_DIGITS = 8
# may_touch() looks for a number by this many of its last digits (a local number has 7 or 8).
CORE_DIGITS = 7
_NON_DIGITS = re.compile(r"\D+")  # \d: every script's decimal digits
# Fields whose value links other records to the person once one record of theirs is found.
LINK_KEYS = ("call_id", "visit_id")
# What may stand between digit groups of one phone number written in text.
_SEPARATORS = frozenset(" -.()/\u00a0\u3000\u2010\u2011\u2012\u2013\u2014\uff0d\uff08\uff09")
# A value that is a phone number and nothing else (digits of any script, separators, +, mask stars).
_PHONE_SHAPE = re.compile(r"^\s*\+?[\d\s\-.()/*\u3000\u2010-\u2014\uff0d\uff08\uff09]+$")
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")


def text_key(value: str) -> str:
    """How names and units compare: width-folded (NFKC), trimmed, case-folded."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def digits(value: str) -> str:
    """The decimal digits of a string (any script's digits, as ASCII)."""
    found = _NON_DIGITS.sub("", value)
    return found if found.isascii() else "".join(str(unicodedata.decimal(ch, 0)) for ch in found)


def is_unit_key(key: str) -> bool:
    return key == "unit" or key.endswith("_unit")


def safe_id(value: str) -> bool:
    """True for an id that may be part of a file name (no separators, no glob characters)."""
    return bool(_SAFE_ID.match(value))


@dataclass
class Match:
    """The subject of one erasure, ready to compare with stored values (see the module docstring)."""

    phones: set[str] = field(default_factory=set)       # digit strings a whole number must equal
    masks: set[str] = field(default_factory=set)        # the masked forms of those numbers
    name: str | None = None                             # text_key of the name
    unit: str | None = None                             # text_key of the unit
    raw_name: str | None = None
    cards: set[str] = field(default_factory=set)        # text_key of the card id forms
    visit_ids: set[str] = field(default_factory=set)
    call_ids: set[str] = field(default_factory=set)
    # Ids of call.message_recorded events of the person's calls (their transcription jobs' ids).
    message_ids: set[str] = field(default_factory=set)
    # Recording files the journal names for the person's calls (checked against the data dir).
    recording_paths: set[str] = field(default_factory=set)
    country: str = "cn"
    area_code: str | None = None

    @classmethod
    def of(cls, subject: Subject, country: str = "cn", area_code: str | None = None) -> Match:
        m = cls(country=country, area_code=area_code)
        if subject.phone:
            m.add_phone(subject.phone)
        if subject.name and subject.unit:
            m.name, m.unit, m.raw_name = text_key(subject.name), text_key(subject.unit), subject.name.strip()
        if subject.card_id:
            m.add_card(subject.card_id)
            try:
                m.add_card(normalize_card_id(subject.card_id))
            except ValueError:
                pass  # not a card form this edge knows: compared as written
        if subject.visit_id:
            m.visit_ids.add(subject.visit_id.strip())
        return m

    def add_phone(self, number: str) -> bool:
        """Another number of the person's (from the directory); True when it was new."""
        d = digits(number)
        if len(d) < 3:
            return False
        forms = {d}
        e164 = normalise(number, self.country, self.area_code)
        if e164:
            forms.add(digits(e164))
        if forms <= self.phones:
            return False
        self.phones |= forms
        if len(d) >= MASKED_MIN_DIGITS:
            self.masks |= {_compact_mask(mask_phone(f)) for f in (number, e164) if f}
        return True

    def add_card(self, card_id: str) -> bool:
        """Another card of the person's (from the allow-list); True when it was new."""
        key = text_key(card_id)
        if not key or key in self.cards:
            return False
        self.cards.add(key)
        return True

    # -- single values ---------------------------------------------------------------------------

    def is_phone(self, value: str) -> bool:
        """True when the whole value is the subject's number (however typed) or its masked form."""
        if not self.phones or not _PHONE_SHAPE.match(value):
            return False
        if "*" in value:
            return _compact_mask(value) in self.masks
        d = digits(value)
        if len(d) < 3:
            return False
        if d in self.phones:
            return True
        e164 = normalise(value, self.country, self.area_code)
        return e164 is not None and digits(e164) in self.phones

    def is_card(self, value: str) -> bool:
        return bool(self.cards) and text_key(value) in self.cards

    def is_name(self, value: str) -> bool:
        return self.name is not None and text_key(value) == self.name

    def names(self, value: str | None) -> bool:
        """True when a name field (a card's holder, a visitor's name) is the subject's name or holds
        it as a word: "张堃 Zhang" on a card list names 张堃 (Latin names as whole words only)."""
        if not value or self.name is None or not self.raw_name:
            return False
        if self.is_name(value):
            return True
        forms = {self.raw_name, unicodedata.normalize("NFKC", self.raw_name)}
        return len(self.raw_name) >= 2 and any(_name_pattern(form).search(value) for form in forms)

    def is_unit(self, value: Any) -> bool:
        return self.unit is not None and isinstance(value, str) and text_key(value) == self.unit

    def in_unit(self, obj: dict[str, Any]) -> bool:
        """True when this object names the subject's unit (so a name below it is the subject's)."""
        return self.unit is not None and any(is_unit_key(k) and self.is_unit(v) for k, v in obj.items())

    def owns(self, obj: dict[str, Any], in_unit: bool) -> bool:
        """True when this object is a record of the subject (one of its own values matches)."""
        for key, value in obj.items():
            if not isinstance(value, str):
                continue
            if (key == "visit_id" and value in self.visit_ids) or (key == "call_id" and value in self.call_ids):
                return True
            if self.is_phone(value) or self.is_card(value):
                return True
            if in_unit and not is_unit_key(key) and self.is_name(value):
                return True
        return False

    def may_touch(self, raw: str) -> bool:
        """A quick look at a stored value as text (a JSON body, say) before it is decoded and walked:
        False only when nothing in it can match (the walk is what decides). Never misses: a number
        is looked for by its last seven digits among the text's digits, names and cards folded."""
        if self.phones and (_cores(frozenset(p[-CORE_DIGITS:] for p in self.phones)).search(raw)
                            or ("*" in raw and self.masks)):
            return True
        if any(i in raw for i in self.call_ids | self.visit_ids):
            return True
        if self.cards or self.name:
            folded = unicodedata.normalize("NFKC", raw).casefold()
            if any(c in folded or _json_text(c) in folded for c in self.cards):
                return True
            if self.name and self.unit and self.unit in folded and (
                    self.name in folded or _json_text(self.name) in folded):
                return True
        return False

    # -- text ------------------------------------------------------------------------------------

    def scrub(self, text: str, in_unit: bool, marker: str = ERASED) -> str:
        """The text with every occurrence of the subject's number, card id, and (inside the unit)
        name replaced by `marker`."""
        if self.phones:
            text = self._scrub_phones(text, marker)
        for card in self.cards:
            if len(card) >= 3:
                text = re.sub(re.escape(card), marker, text, flags=re.IGNORECASE)
        if in_unit and self.raw_name:
            if self.is_name(text):
                return marker
            if len(self.raw_name) >= 2:
                for form in {self.raw_name, unicodedata.normalize("NFKC", self.raw_name)}:
                    text = _name_pattern(form).sub(marker, text)
        return text

    def _scrub_phones(self, text: str, marker: str) -> str:
        spans = [span for run in _digit_runs(text) for span in self._phone_spans(text, run)]
        for start, end in sorted(spans, reverse=True):
            text = text[:start] + marker + text[end:]
        return text

    def _phone_spans(self, text: str, groups: list[tuple[int, int]]) -> Iterable[tuple[int, int]]:
        """Spans of consecutive digit groups of one run that spell the subject's number (longest
        first, never overlapping). A run touching an ASCII letter or digit is part of a word or an
        id (hex, a card code), never a number."""
        if _in_word(text, groups[0][0] - 1) or _in_word(text, groups[-1][1]):
            return
        i = 0
        while i < len(groups):
            for j in range(len(groups), i, -1):
                start, end = groups[i][0], groups[j - 1][1]
                if start > 0 and text[start - 1] == "+":
                    start -= 1
                whole = i == 0 and j == len(groups)
                if (whole or len(digits(text[start:end])) >= PART_MIN_DIGITS) and self.is_phone(text[start:end]):
                    yield start, end
                    i = j - 1
                    break
            i += 1

    # -- JSON ------------------------------------------------------------------------------------

    def redact(self, value: Any, marker: str = ERASED, *, in_unit: bool = False, owned: bool = False) -> Any:
        """A copy of a JSON value with the subject's data replaced (see the module docstring)."""
        if isinstance(value, dict):
            in_unit = in_unit or self.in_unit(value)
            owned = owned or self.owns(value, in_unit)
            return {k: (blank(v, marker) if owned and k in PERSONAL_KEYS
                        else v if k in ID_KEYS
                        else self.redact(v, marker, in_unit=in_unit, owned=owned)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact(v, marker, in_unit=in_unit, owned=owned) for v in value]
        if isinstance(value, str):
            return self.scrub(value, in_unit, marker)
        return value

    def touches(self, value: Any) -> bool:
        """True when redact() would change this value (the record holds the subject's data)."""
        return self.redact(value) != value

    def collect_links(self, value: Any, *, in_unit: bool = False) -> set[tuple[str, str]]:
        """(key, id) of every call_id/visit_id in objects of this value that belong to the subject."""
        found: set[tuple[str, str]] = set()
        if isinstance(value, dict):
            in_unit = in_unit or self.in_unit(value)
            if self.owns(value, in_unit):
                found |= {(k, v) for k in LINK_KEYS if isinstance(v := value.get(k), str) and v}
            for v in value.values():
                found |= self.collect_links(v, in_unit=in_unit)
        elif isinstance(value, list):
            for v in value:
                found |= self.collect_links(v, in_unit=in_unit)
        return found

    def add_links(self, links: Iterable[tuple[str, str]]) -> bool:
        """Remember linked ids; True when one was new."""
        before = len(self.call_ids) + len(self.visit_ids)
        for key, value in links:
            (self.call_ids if key == "call_id" else self.visit_ids).add(value)
        return len(self.call_ids) + len(self.visit_ids) > before

    def needles(self) -> list[bytes]:
        """Byte strings a raw read of a file would find if the subject's data were still there."""
        found = {p.encode() for p in self.phones if len(p) >= 5}
        found |= {c.encode() for c in self.cards if len(c) >= 4}
        if self.raw_name and len(self.raw_name) >= 2:
            found.add(self.raw_name.encode())
        return sorted(found)


def blank(value: Any, marker: str) -> Any:
    """The value with every string in it (at any depth) replaced by `marker`; keys, numbers,
    booleans and nulls stay, so the record keeps its shape."""
    if isinstance(value, str):
        return marker if value and value not in (ERASED, EXPIRED) else value
    if isinstance(value, list):
        return [blank(v, marker) for v in value]
    if isinstance(value, dict):
        return {k: blank(v, marker) for k, v in value.items()}
    return value


def blank_keys(value: Any, keys: frozenset[str], marker: str) -> Any:
    """The value with the fields named `keys` (at any depth) blanked (see blank())."""
    if isinstance(value, dict):
        return {k: (blank(v, marker) if k in keys else blank_keys(v, keys, marker)) for k, v in value.items()}
    if isinstance(value, list):
        return [blank_keys(v, keys, marker) for v in value]
    return value


def _digit_runs(text: str) -> list[list[tuple[int, int]]]:
    """Runs of digit groups, each group (start, end); groups of one run are separated by at most two
    separator characters (how numbers are written: 138 0013 8000, (010) 6552-1234)."""
    runs: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        if unicodedata.decimal(text[i], None) is None:
            i += 1
            continue
        start = i
        while i < n and unicodedata.decimal(text[i], None) is not None:
            i += 1
        if current and _joined(text, current[-1][1], start):
            current.append((start, i))
        else:
            if current:
                runs.append(current)
            current = [(start, i)]
    if current:
        runs.append(current)
    return runs


@functools.lru_cache(maxsize=64)
def _cores(cores: frozenset[str]) -> re.Pattern[str]:
    """One pattern finding any of these digit strings with anything but digits between their digits
    (138 0013 8000, 138-0013-8000) and full-width digits for ASCII ones."""
    def spelled(core: str) -> str:
        return r"\D*".join(f"[{d}{chr(0xFF10 + int(d))}]" if d.isascii() else re.escape(d) for d in core)
    return re.compile("|".join(spelled(c) for c in sorted(cores)))


def _json_text(value: str) -> str:
    """How a string stands inside JSON text (quotes and backslashes escaped)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _compact_mask(value: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isdigit() or ch == "*")


def _in_word(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isascii() and (text[i].isalnum() or text[i] == "_")


def _name_pattern(name: str) -> re.Pattern[str]:
    """The name as literal text; a name that starts or ends with a Latin letter or digit only as a
    whole word there ("Li" is not erased out of "Lift")."""
    head = r"(?<![A-Za-z0-9_])" if _in_word(name, 0) else ""
    tail = r"(?![A-Za-z0-9_])" if _in_word(name, len(name) - 1) else ""
    return re.compile(head + re.escape(name) + tail, re.IGNORECASE)


def _joined(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return len(gap) <= 2 and all(ch in _SEPARATORS for ch in gap)


__all__ = ["ERASED", "EXPIRED", "LINK_KEYS", "PERSONAL_KEYS", "Match", "blank", "blank_keys", "digits",
           "safe_id", "text_key"]
