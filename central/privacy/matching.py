"""Who a privacy request is about, and how central recognises that person's data.

A subject (frontdesk.schema.privacy.Subject) names one person by a phone number, a name together
with a unit, a card id or a visit id. Matching is by whole value, never by substring of another
value: a phone number matches a stored one when both have the same `phone_key` (digits, country
prefix dropped: "+86 138 1234 5678" and "13812345678" are one number, "138" is not), and inside
free text only a whole run of phone characters counts. A name is that person's only within their
unit: the unit must sit in the same record (the dict holding the name, any dict enclosing it, or
the record a list element forms), under any key that names a unit (unit, host_unit, *_unit, or
building + unit as a slip splits it), at any depth.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from frontdesk.schema.privacy import Subject

from ..directory.residents import phone_key

ERASED = "(erased)"
# Keys whose value is a person's name, number or card: erased whole in a record that is the person's.
PERSON_KEYS = frozenset({
    "number", "number_raw", "name", "resident_name", "caller_name", "phone", "phone_masked", "contact_phone",
    "contact_name", "visitor_name", "visitor_phone", "caller_phone", "holder", "card_id", "raw",
})
# Keys whose value is a phone number: there even a short number (an extension, "138") is matched.
PHONE_KEYS = frozenset({"number", "number_raw", "phone", "phone_masked", "contact_phone", "caller_phone",
                        "visitor_phone", "numbers", "phones"})
# A number this long is recognised anywhere (free text, any key); a shorter one is a room, a count,
# a year as often as a phone number, so it only counts under PHONE_KEYS.
MIN_PHONE_ANYWHERE = 7
# Runs of characters a phone number is typed with: +86 (138) 1234-5678, 0086.138.1234.5678 ...
PHONE_RUN = re.compile(r"\+?\d[\d\s().\-]*\d|\d")
PIECE = re.compile(r"\S+")
_RUN_CHARS = frozenset("0123456789 \t\n().-+")
# A free-text name shorter than this is matched only as a whole value ("李" is in too many words).
MIN_NAME_IN_TEXT = 2


def _unit_norm(value: str) -> str:
    return value.strip().casefold()


def _is_unit_key(key: str) -> bool:
    return key == "unit" or key.endswith("_unit")


def escaped(text: str) -> str:
    """`text` as JSON writes it with ASCII escapes (张三 -> \\u5f20\\u4e09), without the quotes."""
    return json.dumps(text)[1:-1]


@dataclass(frozen=True)
class Matcher:
    """One subject, ready to compare stored values against. `links` are ids of records already known
    to be the person's (call ids, visit ids, ticket ids): any record naming one is the person's."""

    key: str | None = None          # the phone key
    name: str | None = None
    unit: str | None = None
    card_id: str | None = None
    visit_id: str | None = None
    links: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, subject: Subject) -> Matcher:
        """The matcher of a subject; ValueError if its phone number has fewer than 3 digits."""
        key = None
        if subject.phone:
            key = phone_key(subject.phone)
            if key is None:
                raise ValueError("the phone number has fewer than 3 digits")
        name = subject.name.strip() if subject.name and subject.unit else None
        return cls(key=key, name=name or None, unit=_unit_norm(subject.unit) if subject.unit and name else None,
                   card_id=subject.card_id.strip() if subject.card_id else None,
                   visit_id=subject.visit_id.strip() if subject.visit_id else None)

    def with_links(self, *ids: str | None) -> Matcher:
        """The same matcher that also treats records naming these ids as the person's."""
        new = {i for i in ids if i}
        if new <= self.links:
            return self
        return Matcher(self.key, self.name, self.unit, self.card_id, self.visit_id, self.links | new)

    def with_person(self, phone: str | None = None, name: str | None = None, unit: str | None = None) -> Matcher:
        """Fill in a phone key or a name + unit this matcher lacks (from the person's visit or card)."""
        key = self.key or phone_key(phone)
        if self.name is None and name and unit:
            return Matcher(key, name.strip(), _unit_norm(unit), self.card_id, self.visit_id, self.links)
        return Matcher(key, self.name, self.unit, self.card_id, self.visit_id, self.links)

    # -- single values ----------------------------------------------------------------------------

    def is_phone(self, value: Any) -> bool:
        """True if `value` is, as a whole, the subject's number however it is written."""
        if self.key is None or not isinstance(value, str) or len(value) > 64:
            return False
        stripped = value.strip()
        return bool(stripped) and PHONE_RUN.fullmatch(stripped) is not None and phone_key(stripped) == self.key

    def is_phone_at(self, key: str | None, value: Any) -> bool:
        """is_phone, where the value stands under `key`: a short number only under PHONE_KEYS."""
        if self.key is None or not (key in PHONE_KEYS or len(self.key) >= MIN_PHONE_ANYWHERE):
            return False
        return self.is_phone(value)

    def is_identifier(self, value: Any, key: str | None = None) -> bool:
        """True if `value` (under `key`) is the subject's number, card id or visit id as a whole."""
        if not isinstance(value, str):
            return False
        v = value.strip()
        return self.is_phone_at(key, v) or (self.card_id is not None and v == self.card_id) or \
            (self.visit_id is not None and v == self.visit_id) or v in self.links

    def is_personal(self, value: Any, key: str | None = None) -> bool:
        """True if `value` (under `key`) is, as a whole, the subject's number or card id: erased
        wherever it stands (ids of records, such as the visit id, stay: they are keys, not the person)."""
        if not isinstance(value, str):
            return False
        return self.is_phone_at(key, value) or (self.card_id is not None and value.strip() == self.card_id)

    def phones_in(self, text: str) -> list[tuple[int, int]]:
        """Where the subject's number stands in free text, as (start, end).

        A run of phone characters is cut into numbers at spaces: from each piece, the longest
        stretch of pieces that is the subject's number, or else that looks like one whole phone
        number (7-12 digits once the country prefix is dropped), is one number; a piece joined by
        dashes, dots or brackets is never cut. So "138 1234 5678 2026" holds 13812345678, and
        neither "138-1234-5678" nor "138 1234 5678" holds a number 138."""
        if self.key is None or len(self.key) < MIN_PHONE_ANYWHERE or not any(ch.isdigit() for ch in text):
            return []
        found: list[tuple[int, int]] = []
        for run in PHONE_RUN.finditer(text):
            pieces = [(run.start() + p.start(), run.start() + p.end()) for p in PIECE.finditer(run.group())]
            i = 0
            while i < len(pieces):
                i = self._number_at(text, pieces, i, found)
        return found

    def _number_at(self, text: str, pieces: list[tuple[int, int]], i: int, found: list[tuple[int, int]]) -> int:
        """Take the number that starts at piece i (see phones_in); the index of the next piece."""
        for j in range(len(pieces) - 1, i - 1, -1):
            start, end = pieces[i][0], pieces[j][1]
            key = phone_key(text[start:end])
            if key == self.key:
                found.append((start, end))
                return j + 1
            if j > i and key is not None and 7 <= len(key) <= 12:
                return j + 1  # one whole number that is not the subject's
        return i + 1

    def scrub_text(self, text: str, *, name_here: bool) -> str:
        """`text` with the subject's number (and card id; the name too when `name_here`: the text
        belongs to a record of the person's unit) replaced by ERASED."""
        out = text
        for start, end in reversed(self.phones_in(out)):
            out = out[:start] + ERASED + out[end:]
        if self.card_id and len(self.card_id) >= 3 and self.card_id in out:
            out = out.replace(self.card_id, ERASED)
        if name_here and self.name and len(self.name) >= MIN_NAME_IN_TEXT and self.name in out:
            out = out.replace(self.name, ERASED)
        return out

    @cached_property
    def _number(self) -> re.Pattern[str] | None:
        # the key's digits in order, ASCII or full-width, with at most three of the characters a
        # number is typed with between them (PHONE_RUN's, and "+"): every way phones_in can read it
        if not self.key:
            return None
        digit = [f"[{d}{chr(0xFF10 + int(d))}]" for d in self.key]
        return re.compile(r"[\s().\-+]{0,3}".join(digit))

    def numbers_in(self, text: str) -> list[tuple[int, int]]:
        """phones_in, looking only around the places where the quick pattern sees the key's digits
        in order (a database file's bytes are mostly digits of ids and times: walking every run of
        them is what took the time)."""
        if self._number is None:
            return []
        found: set[tuple[int, int]] = set()
        for hit in self._number.finditer(text):
            start, end = hit.start(), hit.end()
            while start > 0 and text[start - 1] in _RUN_CHARS:
                start -= 1
            while end < len(text) and text[end] in _RUN_CHARS:
                end += 1
            found.update((start + a, start + b) for a, b in self.phones_in(text[start:end]))
        return sorted(found)

    @cached_property
    def _marks(self) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
        # what may_hold looks for: ids (as stored and JSON-escaped), the name's forms, the unit's mark
        ids = [*self.links, *(x for x in (self.card_id, self.visit_id) if x)]
        ids += [escaped(x) for x in ids if escaped(x) != x]
        names = tuple(x for x in {self.name, escaped(self.name)} if x) if self.name else ()
        # "3-1202" may be written as building "3" and unit "1202": look for the last part
        return tuple(ids), names, self.unit.rsplit("-", 1)[-1] if self.unit else None

    def may_hold(self, value: Any, *, in_unit: bool = False) -> bool:
        """A quick look: False only when no string anywhere in `value` (lists included) can hold the
        subject: its number as phones_in reads it, its card or visit id, a linked record's id, or its
        name where the tree also names the unit (a common name alone is in thousands of rows, and
        counts only inside its unit; `in_unit`: the caller knows the tree is in it)."""
        marks, names, unit_mark = self._marks
        has_name = has_unit = in_unit
        stack = [value]
        while stack:
            v = stack.pop()
            if isinstance(v, str):
                if (self._number is not None and self._number.search(v)) or any(x in v for x in marks):
                    return True
                has_name = has_name or any(x in v for x in names)
                has_unit = has_unit or (unit_mark is not None and unit_mark in v.casefold())
                if has_name and has_unit:
                    return True
            elif isinstance(v, dict):
                stack.extend(v.values())
            elif isinstance(v, list):
                stack.extend(v)
        return False

    def needles(self) -> list[str]:
        """Substrings (as stored, JSON-escaped or not) whose absence from a text proves it holds
        nothing of the subject's name, card or visit; the number has its own (like_pattern)."""
        out: list[str] = []
        for value in (self.name, self.card_id, self.visit_id):
            if value:
                out.append(value)
                if escaped(value) != value:
                    out.append(escaped(value))
        return out

    def like_pattern(self) -> str | None:
        """A LIKE pattern every way of writing the number matches ('%1%3%8%...%'): the digits of the
        key in order with anything between. A superset, confirmed by is_phone/phones_in."""
        return "%" + "%".join(self.key) + "%" if self.key else None

    def tail(self) -> str | None:
        """The number's last three digits, which every usual way of typing it keeps together
        (138 1234 5678, 0755-8888 8888, (010) 6552-1234): the erasure's SQL looks for them first, so
        the slower ordered-digits pattern runs on a few rows in ten rather than on every row whose ids
        and times happen to hold the digits in order. `privacy find` does not use it: the checker
        stays exhaustive, so a number typed with its last digits apart is still found."""
        return self.key[-3:] if self.key and len(self.key) >= MIN_PHONE_ANYWHERE else None


# -- records (JSON trees) -------------------------------------------------------------------------

def units_in(record: dict[str, Any]) -> set[str]:
    """The unit values a record holds outside its lists (unit, host_unit, *_unit, building+unit)."""
    found: set[str] = set()
    stack: list[dict[str, Any]] = [record]
    while stack:
        d = stack.pop()
        for k, v in d.items():
            if isinstance(v, str) and _is_unit_key(k):
                found.add(_unit_norm(v))
            elif isinstance(v, dict):
                stack.append(v)
        b, u = d.get("building"), d.get("unit")
        if isinstance(b, str) and isinstance(u, str) and b and u:
            found.add(_unit_norm(f"{b}-{u}"))
    return found


def _strings(value: Any) -> Iterator[tuple[str | None, str]]:
    """(key, string) of every string in a record outside its lists."""
    stack: list[tuple[str | None, Any]] = [(None, value)]
    while stack:
        key, v = stack.pop()
        if isinstance(v, str):
            yield key, v
        elif isinstance(v, dict):
            stack.extend(v.items())


def record_is_persons(m: Matcher, record: dict[str, Any], inherited_units: set[str]) -> bool:
    """True if this record (a payload, or a dict in a list of one) is about the subject."""
    units = inherited_units | units_in(record)
    name = m.name if m.unit in units else None
    for key, s in _strings(record):
        if m.is_identifier(s, key):
            return True
        if name is not None and (s.strip() == name or (key in PERSON_KEYS and name in s)):
            return True
    return False


@dataclass
class Redaction:
    """What redact() did to one tree: `hit` if a record in it was the person's, `changed` if anything
    was replaced."""
    hit: bool = False
    changed: bool = False


def redact(m: Matcher, value: Any, *, full_keys: frozenset[str] = PERSON_KEYS, whole: bool = False,
           units: set[str] | None = None, out: Redaction | None = None) -> Any:
    """`_redact`, after a quick look (Matcher.may_hold) that returns a tree holding nothing of the
    subject's as it is. The SQL prefilter lets through every row whose text has the number's digits
    in order anywhere, ids and times included (a third of all events); the look spares those rows
    the walk."""
    if not whole and not m.may_hold(value, in_unit=units is not None and m.unit in units):
        return value
    return _redact(m, value, full_keys=full_keys, whole=whole, units=units, out=out)


def _redact(m: Matcher, value: Any, *, full_keys: frozenset[str] = PERSON_KEYS, whole: bool = False,
            units: set[str] | None = None, out: Redaction | None = None) -> Any:
    """A copy of a JSON tree with the subject's data gone. In a record that is the person's (or all of
    it when `whole`), every value under `full_keys` is replaced by ERASED and free text loses the
    number, card id and name; a list element that is the person's record (or their number as a whole)
    is dropped; elsewhere only the number (and the name where the unit matches) leaves free text."""
    out = out if out is not None else Redaction()
    units = set(units or ())
    if isinstance(value, dict):
        mine = whole or record_is_persons(m, value, units)
        out.hit |= mine
        here = units | units_in(value)
        return _redact_record(m, value, mine, here, full_keys, out)
    if isinstance(value, list):
        return _redact_list(m, value, whole, units, full_keys, out, None)
    if isinstance(value, str):
        new = m.scrub_text(value, name_here=whole or (m.unit is not None and m.unit in units))
        out.changed |= new != value
        return new
    return value


def _redact_record(m: Matcher, record: dict[str, Any], mine: bool, units: set[str], full_keys: frozenset[str],
                   out: Redaction) -> dict[str, Any]:
    result: dict[str, Any] = {}
    name_here = mine or (m.unit is not None and m.unit in units)
    for k, v in record.items():
        if isinstance(v, list):
            result[k] = _redact_list(m, v, mine, units, full_keys, out, k)
        elif isinstance(v, dict):
            result[k] = _redact_record(m, v, mine, units | units_in(v), full_keys, out)
        elif isinstance(v, str):
            if mine and k in full_keys and v not in ("", ERASED) and (k != "number" or PHONE_RUN.fullmatch(v.strip())):
                new = ERASED  # (a ticket's "number" is BX-20261129-007, not a phone number: it stays)
            elif m.is_personal(v, k):
                new = ERASED
            else:
                new = m.scrub_text(v, name_here=name_here)
            out.changed |= new != v
            result[k] = new
        else:
            result[k] = v
    return result


def _redact_list(m: Matcher, items: list[Any], whole: bool, units: set[str], full_keys: frozenset[str],
                 out: Redaction, key: str | None) -> list[Any]:
    kept: list[Any] = []
    for item in items:
        if isinstance(item, dict) and not whole and record_is_persons(m, item, units):
            out.hit = out.changed = True  # the person's line in a list (a directory entry, a card): gone
            continue
        if isinstance(item, str) and m.is_personal(item, key):
            out.hit = out.changed = True
            continue
        kept.append(_redact(m, item, full_keys=full_keys, whole=whole, units=units, out=out))
    return kept
