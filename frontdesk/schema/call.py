"""Desk phone line: calls seen on the line, messages taken, and the modem's health.

One call has one `call_id` (a UUIDv7 made by the edge) shared by all of its events, so central
can fold them into one register line (来电登记): who called, which unit, who answered, the message.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from .envelope import Payload, register_command, register_event

AbsentReason = Literal["private", "unavailable"]


class _Caller(Payload):
    call_id: str = Field(min_length=1, max_length=64)
    # E.164 where the number could be normalised for the site's country, else the digits as sent.
    number: str | None = Field(default=None, max_length=40)
    number_raw: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=120)
    number_absent_reason: AbsentReason | None = None
    # From the resident directory central pushes down (directory.replace).
    unit: str | None = Field(default=None, max_length=32)
    resident_name: str | None = Field(default=None, max_length=120)
    blocked: bool = False


@register_event("call.ringing")
class CallRinging(_Caller):
    """The line rings (ring 1), or caller ID arrived for a call already ringing."""

    ring: int = Field(ge=0, le=100)
    cadence: str = Field(max_length=32)
    caller_id_received: bool


@register_event("call.answered")
class CallAnswered(_Caller):
    """The call was picked up: by the agent (the modem went off-hook) or by staff on a handset."""

    by: Literal["agent", "staff"]
    ring: int = Field(ge=0, le=100)
    # Milliseconds from the start of that ring (as the modem reported it) to off-hook.
    ms_from_ring: int | None = Field(default=None, ge=0)
    after_hours: bool = False


@register_event("call.missed")
class CallMissed(_Caller):
    """The call ended unanswered: ringing stopped, a blocked number was ignored, the modem was lost,
    or answering failed."""

    rings: int = Field(ge=0, le=100)
    reason: Literal["stopped_ringing", "blocked_ignored", "modem_lost", "answer_failed"]


@register_event("call.message_recorded")
class CallMessageRecorded(_Caller):
    """A caller's message on disk: the transcription service reads `path`."""

    path: str = Field(max_length=500)
    codec: Literal["pcm_u8", "mulaw"]
    sample_rate: int = Field(gt=0)
    duration_s: float = Field(ge=0)
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    stop_reason: Literal["silence", "hangup", "busy", "max_length", "line_lost"]
    menu_choice: str | None = Field(default=None, max_length=32)


@register_event("call.ended")
class CallEnded(_Caller):
    """The call is over; `outcome` says how it went and `reason` what ended the agent's part."""

    outcome: Literal["message", "no_message", "answered_by_staff", "missed", "blocked"]
    rings: int = Field(ge=0, le=100)
    # What ended the agent's part of the call.
    reason: str = Field(max_length=64)
    duration_s: float = Field(ge=0)
    menu_choice: str | None = Field(default=None, max_length=32)


@register_event("phone.modem_status")
class ModemStatus(Payload):
    """Modem health: found, lost (unplugged), not answering AT, recovered."""

    state: Literal["ready", "lost", "unresponsive", "recovered", "failed"]
    family: str | None = Field(default=None, max_length=32)
    detail: str | None = Field(default=None, max_length=300)
    recovery: str | None = Field(default=None, max_length=32)


class DirectoryEntry(Payload):
    """One resident directory line: a phone number, its unit, and optionally the resident's name."""

    number: str = Field(min_length=3, max_length=40)
    unit: str = Field(min_length=1, max_length=32)
    name: str | None = Field(default=None, max_length=120)


@register_command("directory.replace")
class DirectoryReplace(Payload):
    """The whole resident phone directory (number -> unit, name); replaces what the edge holds."""

    entries: list[DirectoryEntry] = Field(max_length=50000)


@register_command("blocklist.replace")
class BlocklistReplace(Payload):
    """The whole list of blocked numbers (normalised on the edge); replaces what the edge holds."""

    numbers: list[str] = Field(max_length=10000)
