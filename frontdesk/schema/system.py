"""System event and command types: the edge's own life, desk notes, and command results."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .envelope import Payload, register_command, register_event


@register_event("edge.started")
class EdgeStarted(Payload):
    """The edge agent started: its version, whether the broker answered, and how many events wait to be sent."""

    version: str
    broker_reachable: bool
    outbox_backlog: int = Field(ge=0)


@register_event("edge.stopped")
class EdgeStopped(Payload):
    """The edge agent is shutting down, and why."""

    reason: str = Field(max_length=200)


@register_event("desk.note")
class DeskNote(Payload):
    """A line in the desk register written by hand (来电来访登记 entry not tied to a device)."""

    text: str = Field(min_length=1, max_length=4000)
    author: str | None = Field(default=None, max_length=64)
    unit: str | None = Field(default=None, max_length=32)


@register_event("command.applied")
class CommandApplied(Payload):
    """The edge's acknowledgement of a command: journaled, so it reaches central like any fact."""

    command_id: str
    command_type: str
    status: Literal["applied", "rejected"]
    detail: str | None = Field(default=None, max_length=500)
    result: dict[str, Any] | None = None


@register_event("uplink.thread_restarted")
class UplinkThreadRestarted(Payload):
    """The uplink's watchdog found one of its threads dead and started it again."""

    thread: str = Field(max_length=32)
    error: str = Field(max_length=500)
    restarts: int = Field(ge=1)


@register_event("quarantine.flooded")
class QuarantineFlooded(Payload):
    """Central's alarm: a device sent more quarantined items than its quota in one window.

    Central keeps counting that device's rejects but stores only every `sample_every`-th body
    until the window ends; the items are still acknowledged (quarantined), never retried.
    """

    site: str = Field(max_length=64)
    device: str = Field(max_length=64)
    quota: int = Field(ge=0)
    window_s: float = Field(gt=0)
    sample_every: int = Field(ge=1)


@register_command("edge.ping")
class Ping(Payload):
    """Round-trip check of the commands channel."""

    note: str | None = Field(default=None, max_length=200)


@register_command("settings.update")
class SettingsUpdate(Payload):
    """Store named values on the edge (e.g. greeting hours); later commands add typed data."""

    values: dict[str, Any] = Field(min_length=1)
