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


@register_event("command.rejected")
class CommandRejected(Payload):
    """An edge refused a command message before applying it: unreadable, invalid, unsigned, signed by
    a key it does not trust, forged, addressed to another site/device, expired, or a replay.

    `command_id` and `command_type` are what the message claimed (untrusted unless `authentic`), so
    central never folds this event into a command's delivery state; an authentic command that is
    refused is also acknowledged by `command.applied` (status rejected). `suppressed` counts the
    refusals not journaled since the previous one (an edge journals a bounded number per minute, so
    a flood of forgeries cannot fill its disk).
    """

    reason: Literal["unreadable", "invalid", "unsigned", "unknown_key", "bad_signature", "misaddressed",
                    "expired", "replayed"]
    detail: str = Field(max_length=500)
    command_id: str | None = Field(default=None, max_length=64)
    command_type: str | None = Field(default=None, max_length=64)
    key_id: str | None = Field(default=None, max_length=64)
    authentic: bool = False
    suppressed: int = Field(default=0, ge=0)


@register_command("command_keys.update")
class CommandKeysUpdate(Payload):
    """Which command-signing keys an edge trusts besides those in its configuration file.

    `keys` (public keys as "ed25519:<base64>") replaces the set delivered by earlier updates;
    `retired` names key ids the edge must stop trusting even if its configuration lists them. Only
    a command signed by a key the edge already trusts can deliver this (README "Signed commands").
    """

    keys: list[str] = Field(default_factory=list, max_length=8)
    retired: list[str] = Field(default_factory=list, max_length=32)
