"""Printing: slips requested, queued, confirmed or failed, and printers holding the queue.

A job id is chosen by whoever asks for the slip (central for print.slip, the journal event id for
print.requested), so asking twice never prints twice; print.reprint is the only way to print the
same slip again.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from .envelope import Payload, register_command, register_event

SlipKind = Literal["workorder", "mail", "badge", "handover"]
Language = Literal["zh", "en"]
JOB_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$"
PRINTER = r"^[a-z0-9][a-z0-9_-]{0,31}$"


def _small(data: dict[str, Any]) -> dict[str, Any]:
    import json
    if len(json.dumps(data, ensure_ascii=False)) > 16000:
        raise ValueError("slip data is larger than 16000 characters")
    return data


class _SlipRequest(Payload):
    """What to print: a slip kind, its language, the fields its template fills, and where."""

    kind: SlipKind
    language: Language = "zh"
    data: dict[str, Any] = Field(default_factory=dict)
    printer: str | None = Field(default=None, pattern=PRINTER)

    @field_validator("data")
    @classmethod
    def _data_size(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _small(value)


@register_event("print.requested")
class PrintRequested(_SlipRequest):
    """A local request for a slip (the kiosk's visitor badge, a desk button); the job id is the
    event's own id."""


@register_command("print.slip")
class PrintSlip(_SlipRequest):
    """A slip central asks for; the job id makes a repeat of the same request print once."""

    job_id: str = Field(pattern=JOB_ID)


@register_command("print.reprint")
class PrintReprint(Payload):
    """Print an earlier job's slip again (marked as a reprint), optionally on another printer."""

    job_id: str = Field(pattern=JOB_ID)
    printer: str | None = Field(default=None, pattern=PRINTER)


@register_event("print.job.queued")
class PrintJobQueued(Payload):
    """A slip job entered a printer's queue; `source` says what asked for it."""

    job_id: str
    kind: SlipKind
    language: Language
    printer: str
    source: Literal["command", "event", "reprint", "local"]
    reprint_of: str | None = None


@register_event("print.job.confirmed")
class PrintJobConfirmed(Payload):
    """The printer confirmed a job (GS r) after `attempts` tries."""

    job_id: str
    printer: str
    bytes: int = Field(ge=0)
    attempts: int = Field(ge=1)
    # Milliseconds from queueing to the printer's GS r confirmation.
    elapsed_ms: int = Field(ge=0)


@register_event("print.job.failed")
class PrintJobFailed(Payload):
    """A job that will not print by itself; `maybe_printed` says whether part of it may be on paper."""

    job_id: str
    printer: str | None
    reason: str = Field(max_length=500)
    # True when bytes reached the printer before the failure: the slip may be partly printed, so
    # it is not sent again by itself (a print.reprint does that).
    maybe_printed: bool = False


@register_event("print.printer.held")
class PrinterHeld(Payload):
    """A printer stopped taking jobs (paper out, cover open, no answer...); its queue waits."""

    printer: str
    state: str = Field(max_length=40)
    detail: str = Field(max_length=300)
    waiting_jobs: int = Field(ge=0)


@register_event("print.printer.resumed")
class PrinterResumed(Payload):
    """A held printer is taking jobs again."""

    printer: str
    state: str = Field(max_length=40)
