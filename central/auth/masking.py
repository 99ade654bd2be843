"""Masking residents' personal data for roles that do not need it in full: the one rule set for
every answer of central (tickets, registers, the directory, commands, raw events, the live stream).

A value is masked by the NAME of the field that holds it, at any depth: dicts and lists are walked
all the way down, so an event payload, a command's payload and result (a directory.replace's
entries, a card allow-list's holders, a print.slip's `data`) and a ticket with its history are all
masked by the same table. A field's name is its identity except where one kind of record uses a
name for something else: `RECORD_FIELDS` says so per record (a ticket's `number` is the ticket's
own number, BX-20261129-007, not a phone number), so no caller guesses from a row's shape.

Free text a person may be quoted in is handled per field (see TEXT_OMITTED, TEXT_SCRUBBED).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from frontdesk.masking import mask_phone


def mask_name(value: str | None) -> str | None:
    """张三丰 -> 张**; John Smith -> J*********."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)


Masker = Callable[[str], str | None]

# Phone numbers, wherever they stand:
#   contact_phone   a ticket's contact (tickets, ticket.opened, ticket.updated fields, mail register)
#   phone           visits, the directory, residents' sign-in requests, privacy.erase subjects
#   number          the caller's number in call.* events and the call register; a directory
#                   entry's number (directory.replace) -- but a ticket's own number (RECORD_FIELDS)
#   number_raw      the caller ID as the modem sent it
#   numbers         blocklist.replace: a list of numbers, each masked
#   caller_phone    the work-order slip's contact (print.slip data)
#   caller          the handover slip's after-hours calls (print.slip data)
#   visitor_phone   residents' invitations
PHONE_FIELDS = frozenset({"contact_phone", "phone", "number", "number_raw", "numbers", "caller_phone", "caller",
                          "visitor_phone"})
# Names of residents and visitors:
#   contact_name, caller_name, resident_name, visitor_name   tickets, registers, call events, visits
#   name            the caller-ID name in call.* events; a directory entry's resident; erase subjects
#   holder          a card's holder (cards.allowlist.replace entries, card.scanned)
#   addressee       the mail slip's and the handover slip's addressee (print.slip data)
#   display_name    the visitor badge's name (print.slip / print.requested data)
NAME_FIELDS = frozenset({"contact_name", "caller_name", "resident_name", "visitor_name", "name", "holder",
                         "addressee", "display_name"})

# Free text that is a person's own words, or raw bytes of what a person presented, with nothing
# in it a role outside PERSONAL_DATA_ROLES needs: replaced by None (the key stays, so a screen's
# shape does not change).
#   transcript, text   a caller's recorded message as text (call register, call.transcribed,
#                      note.transcribed, desk.note): the caller says who they are and their number;
#                      guards and technicians do not read the call register at all
#   notes              the call register's desk notes about the call, the same
#   payload_hex        a rejected pass's raw bytes (pass.rejected): it may be a real pass holding a
#                      visitor's name; the post's screen needs the reason, not the bytes
TEXT_OMITTED = frozenset({"transcript", "text", "notes", "payload_hex"})
# Free text that is the job itself and that the role needs to work (a technician reads what is
# broken, a guard the visit's purpose), kept but scrubbed: every run of 7 or more digits is
# masked as a phone number, and every name or number the same answer holds in a field above
# (the ticket's contact, the visit's visitor, the slip's caller) is masked wherever the text
# repeats it. A name that only the text knows (no name field beside it) cannot be recognised.
#   title, details     a ticket (details is often the caller's transcript, copied by the desk)
#   content, summary   the work-order and handover slips' problem text (print.slip data)
#   note               a ticket change's note (history lines, ticket.* payloads), slip notes,
#                      attachment notes, the pause reason typed by staff
#   purpose            a visit's purpose ("visiting my mother ...")
#   reason, detail     a pause reason, a command's result or failure text, a quarantine reason
#                      (a refused payload's validation error quotes the value it refused)
TEXT_SCRUBBED = frozenset({"title", "details", "content", "summary", "note", "purpose", "reason", "detail"})

# Field names that mean something else in one kind of record (field identity = record + name).
RECORD_FIELDS: dict[str, frozenset[str]] = {
    # A ticket's number (BX-20261129-007) is said on the phone and printed on every slip; the
    # holder of a work order is the technician who claimed it (a staff username); a `name` in a
    # ticket is one of its SLA timers' (timers: [{"name": "claim", ...}]).
    "ticket": frozenset({"number", "holder", "name"}),
}

# A run of 7+ digits (spaces, dashes, dots or brackets between them allowed, an optional leading +):
# a phone number typed into free text in any of the ways people write one. Not one glued to a
# Latin letter or a letter and a dash (a ticket number BX-20261129-007, a serial), and not a date.
_DIGIT_RUN = re.compile(r"(?<![A-Za-z0-9])(?<![A-Za-z]-)\+?\d(?:[\s\-.()]{0,3}\d){6,}")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")
_SHORTEST_NAME = 2  # a one-character "name" would scrub that character from every text


@dataclass
class _Walk:
    """One masking pass over one answer: which fields count in this record, the names and numbers
    the answer holds (to scrub from its free text), and whether anything personal was met."""
    skip: frozenset[str]
    names: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    found: bool = False

    def collect(self, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                kind = self.kind(k)
                if kind == "name":
                    self.names.extend(s for s in _strings(v) if len(s) >= _SHORTEST_NAME)
                elif kind == "phone":
                    self.phones.extend(s for s in _strings(v) if sum(c.isdecimal() for c in s) >= 3)
                else:
                    self.collect(v)
        elif isinstance(value, list):
            for v in value:
                self.collect(v)

    def kind(self, key: Any) -> str | None:
        if not isinstance(key, str) or key in self.skip:
            return None
        if key in PHONE_FIELDS:
            return "phone"
        if key in NAME_FIELDS:
            return "name"
        if key in TEXT_OMITTED:
            return "omit"
        if key in TEXT_SCRUBBED:
            return "scrub"
        return None

    def mask(self, value: Any, kind: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self.mask(v, self.kind(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.mask(v, kind) for v in value]
        if not isinstance(value, str) or not value or kind is None:
            return value
        if kind == "omit":
            self.found = True
            return None
        if kind == "scrub":
            scrubbed = self.scrub(value)
            self.found = self.found or scrubbed != value
            return scrubbed
        self.found = True
        return mask_phone(value) if kind == "phone" else mask_name(value)

    def scrub(self, text: str) -> str:
        # Longest first, so a full name is masked before a shorter one inside it.
        for known, masker in sorted(((n, mask_name) for n in self.names), key=lambda x: -len(x[0])):
            text = text.replace(known, masker(known) or "")
        for phone in sorted(self.phones, key=len, reverse=True):
            text = text.replace(phone, mask_phone(phone))
        return _DIGIT_RUN.sub(_phone_in_text, text)


def _phone_in_text(found: re.Match[str]) -> str:
    run = found.group(0)
    return run if _DATE.match(run) else mask_phone(run)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _walk(value: Any, record: str | None, known: Iterable[str]) -> tuple[Any, bool]:
    walk = _Walk(RECORD_FIELDS.get(record or "", frozenset()))
    walk.collect(value)
    for text in known:
        if sum(c.isdecimal() for c in text) >= 3:
            walk.phones.append(text)
        elif len(text) >= _SHORTEST_NAME:
            walk.names.append(text)
    masked = walk.mask(value)
    return masked, walk.found


def mask(value: Any, record: str | None = None, known: Iterable[str] = ()) -> Any:
    """A copy of `value` (a row, a list of rows, an event or command payload, at any depth) as a
    role outside PERSONAL_DATA_ROLES sees it. `record` names the kind of record where a field name
    means something else there (RECORD_FIELDS: "ticket"); `known`: names and numbers the value's
    free text may quote although no field of it holds them (a board row's title quoting the
    ticket's contact)."""
    return _walk(value, record, known)[0]


def is_personal(value: Any, record: str | None = None, known: Iterable[str] = ()) -> bool:
    """Whether `value` shows personal data in full: whether masking it would hide anything. The
    audit log's test of a read (a board of titles and units is no personal read; a ticket with its
    contact is)."""
    return _walk(value, record, known)[1]


__all__ = ["NAME_FIELDS", "PHONE_FIELDS", "RECORD_FIELDS", "TEXT_OMITTED", "TEXT_SCRUBBED", "is_personal", "mask",
           "mask_name"]
