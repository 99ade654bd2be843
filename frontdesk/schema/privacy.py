"""Residents' personal data across the spine: erasing one person on every edge of a site, and the
retention periods central gives the edges.

Central keeps the same rules for its own store (central/privacy/); these commands carry them to
the edges, which answer through `command.applied` with what they did (counts only, never the
data itself).
"""
from __future__ import annotations

import sys
from typing import Any

from pydantic import Field, ValidationError, model_validator

from .envelope import Payload, register_command, register_event

# The kinds of personal data a retention period applies to, on central and on the edges:
#   visits       visitor check-ins/outs and their passes' personal fields
#   calls        the call register: numbers, caller-ID names, notes
#   recordings   voice messages (WAV files on the edge)
#   transcripts  the text of those recordings
#   commands     commands to edges once answered (directory pushes, work-order slips, badges)
#   quarantine   what ingest could not accept, kept raw for inspection
#   print_jobs   slips as sent to a printer (work orders, badges, mail notices)
RETENTION_KINDS = ("visits", "calls", "recordings", "transcripts", "commands", "quarantine", "print_jobs")


class Subject(Payload):
    """Whom a request is about: a phone number, a name together with a unit, a card id, or a visit id.
    At least one of them; a name alone names nobody (the same name lives in other units)."""

    phone: str | None = Field(default=None, min_length=3, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    unit: str | None = Field(default=None, min_length=1, max_length=32)
    card_id: str | None = Field(default=None, min_length=1, max_length=64)
    visit_id: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _names_someone(self) -> Subject:
        if not (self.phone or self.card_id or self.visit_id or (self.name and self.unit)):
            raise ValueError("give a phone number, a card id, a visit id, or a name together with its unit")
        return self


def add_subject_arguments(parser: Any) -> None:
    """The --phone / --name --unit / --card / --visit options of a `privacy erase` command (central's
    and the edge's take the same person the same way)."""
    who = parser.add_argument_group("whom (one of: --phone, --name with --unit, --card, --visit)")
    who.add_argument("--phone")
    who.add_argument("--name", help="with --unit: a name alone names nobody")
    who.add_argument("--unit")
    who.add_argument("--card", dest="card_id")
    who.add_argument("--visit", dest="visit_id")


def subject_from_arguments(args: Any, prog: str) -> Subject | None:
    """The Subject the parsed options name, or None after printing why they name nobody to stderr."""
    try:
        return Subject(phone=args.phone, name=args.name, unit=args.unit, card_id=args.card_id,
                       visit_id=args.visit_id)
    except ValidationError as err:
        print(f"{prog}: {'; '.join(e['msg'] for e in err.errors())}", file=sys.stderr)
        return None


@register_command("privacy.erase")
class PrivacyErase(Payload):
    """Erase one person's data on this edge: journal rows, directory entries, print jobs, card-list
    entries, visits, recordings and transcripts. `request_id` ties the edges' answers to central's
    request. The edge answers (`command.applied` result) with counts per place, e.g.
    {"journal_events": 3, "recordings": 1, ...}."""

    request_id: str = Field(min_length=1, max_length=64)
    subject: Subject


@register_command("retention.set")
class RetentionSet(Payload):
    """The site's retention periods in days per kind (RETENTION_KINDS; 0 = keep for ever). Replaces
    what an earlier retention.set said; kinds not named keep the edge's default."""

    days: dict[str, int] = Field(min_length=1, max_length=len(RETENTION_KINDS))

    @model_validator(mode="after")
    def _known_kinds(self) -> RetentionSet:
        unknown = sorted(set(self.days) - set(RETENTION_KINDS))
        if unknown:
            raise ValueError(f"unknown retention kind(s) {unknown} (kinds: {', '.join(RETENTION_KINDS)})")
        if any(not 0 <= d <= 3650 for d in self.days.values()):
            raise ValueError("retention days must be between 0 (keep) and 3650")
        return self


@register_event("privacy.retention_applied")
class RetentionApplied(Payload):
    """An edge applied its retention periods and removed something: `days` per kind as in force,
    `counts` per kind and place (e.g. {"calls": {"journal_events": 12}, "recordings": {"recordings": 3}}).
    Journaled only when something was removed; counts only, never the data."""

    days: dict[str, int] = Field(max_length=len(RETENTION_KINDS))
    counts: dict[str, dict[str, int]] = Field(max_length=len(RETENTION_KINDS))


__all__ = ["RETENTION_KINDS", "PrivacyErase", "RetentionApplied", "RetentionSet", "Subject"]
