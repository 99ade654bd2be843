"""Transcripts of recorded call messages and of dictated desk notes (offline, on the edge).

A transcript is a suggestion for the desk to confirm: it carries the recogniser's confidence,
the model and language used, and for calls the category the keyword rules and the caller's
DTMF choice point to, with the words that matched. When no transcript can be made the record
says so plainly (`transcript.failed`) instead of staying silent.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from .envelope import Payload, register_event

Category = Literal["repair", "complaint", "help_request", "inquiry", "other"]


class _Transcript(Payload):
    job_id: str = Field(max_length=64)
    text: str = Field(max_length=8000)
    # "no_speech": the audio was read and recognised, but nobody said anything recognisable.
    outcome: Literal["text", "no_speech"]
    confidence: float = Field(ge=0.0, le=1.0)
    model: str = Field(max_length=120)
    language: str = Field(max_length=16)
    audio_s: float = Field(ge=0)
    # Things the desk should know about the audio (clipped, truncated, unexpected rate ...).
    warnings: list[str] = Field(default_factory=list, max_length=10)
    recording: str | None = Field(default=None, max_length=500)


@register_event("call.transcribed")
class CallTranscribed(_Transcript):
    """A caller's message as text, with the category it was filed under and what decided it."""

    call_id: str | None = Field(default=None, max_length=64)
    category: Category
    matched_words: list[str] = Field(default_factory=list, max_length=50)
    dtmf_choice: str | None = Field(default=None, max_length=8)
    # What decided the category: the caller's key press, the words, both agreeing, or nothing.
    category_basis: Literal["dtmf", "keywords", "dtmf+keywords", "none"]
    attempts: int = Field(default=1, ge=1)


@register_event("note.transcribed")
class NoteTranscribed(_Transcript):
    """A note dictated at the desk (push-to-talk), attached to a call and/or a ticket."""

    call_id: str | None = Field(default=None, max_length=64)
    ticket_id: str | None = Field(default=None, max_length=64)
    author: str | None = Field(default=None, max_length=64)


@register_event("transcript.failed")
class TranscriptFailed(Payload):
    """No transcript (yet) for a recording; the recording itself is kept.

    reason: bad_recording (cannot be read: empty, not WAV, truncated header ...), model_unavailable
    (missing or broken model), worker_crashed (the recogniser process died; retried),
    gave_up (retried max_attempts times).
    """

    job_id: str = Field(max_length=64)
    kind: Literal["call", "note"]
    call_id: str | None = Field(default=None, max_length=64)
    ticket_id: str | None = Field(default=None, max_length=64)
    recording: str | None = Field(default=None, max_length=500)
    reason: Literal["bad_recording", "model_unavailable", "worker_crashed", "gave_up"]
    detail: str = Field(max_length=500)
    attempt: int = Field(ge=0)
    will_retry: bool
