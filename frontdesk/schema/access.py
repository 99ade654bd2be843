"""Lobby and gate access: visitor check-in/out, card scans, rejected passes, and the commands
central sends to the posts (pass revocations, the resident/staff card allow-list).

Reasons (shown on the screens, carried in events):
    ok             allowed
    forged         signature wrong or signing key unknown
    expired        pass past its valid-until
    not_yet_valid  pass before its valid-from
    already_used   single-use pass already used at this post
    revoked        central revoked the pass
    wrong_site     pass issued for another site
    unknown_card   card (or printed card code) not on the allow-list
    malformed      unreadable: not a pass, not a card number, binary or oversized payload
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from .envelope import Payload, register_command, register_event

Reason = Literal["ok", "forged", "expired", "not_yet_valid", "already_used", "revoked", "wrong_site",
                 "unknown_card", "malformed"]
Direction = Literal["in", "out"]
PostRole = Literal["kiosk", "gate"]
CardRole = Literal["resident", "staff", "contractor", "other"]


@register_event("visitor.checked_in")
class VisitorCheckedIn(Payload):
    """A visitor admitted: by a signed pass (a resident pre-registered them) or as a walk-in.

    This event is also the host's notification: central tells the host unit the visitor is here.
    The full phone number is for the visitor register (来访登记) at central; screens and slips
    show only `phone_masked`.
    """

    visit_id: str = Field(min_length=1, max_length=64)
    method: Literal["pass", "walk_in"]
    visitor_name: str = Field(min_length=1, max_length=64)
    host_unit: str = Field(min_length=1, max_length=32)
    post_role: PostRole
    direction: Direction = "in"
    pass_id: str | None = Field(default=None, max_length=64)
    single_use: bool | None = None
    valid_until: datetime | None = None
    phone: str | None = Field(default=None, max_length=32)
    phone_masked: str | None = Field(default=None, max_length=32)
    purpose: str | None = Field(default=None, max_length=200)
    checkout_code: str = Field(max_length=128, description="what the badge QR holds, scanned at check-out")
    registered_by: Literal["visitor", "guard"] | None = None


@register_event("visitor.checked_out")
class VisitorCheckedOut(Payload):
    """A visitor left: by their badge, their pass, or checked out by hand at a post."""

    visit_id: str = Field(min_length=1, max_length=64)
    method: Literal["badge", "pass", "manual"]
    post_role: PostRole
    visitor_name: str | None = Field(default=None, max_length=64)
    host_unit: str | None = Field(default=None, max_length=32)
    pass_id: str | None = Field(default=None, max_length=64)
    # False when this post never saw the check-in (the visitor came in through another post).
    known_visit: bool = True
    stay_s: int | None = Field(default=None, ge=0)


@register_event("card.scanned")
class CardScanned(Payload):
    """A resident/staff card (or printed card code) presented at a post, with the decision."""

    card_id: str | None = Field(default=None, max_length=80, description="canonical id when parsed")
    raw: str = Field(max_length=300, description="what the reader sent, escaped and cut to 300 chars")
    reader: str = Field(max_length=200)
    decision: Literal["allow", "deny"]
    reason: Reason
    detail: str | None = Field(default=None, max_length=300)
    direction: Direction
    post_role: PostRole
    holder: str | None = Field(default=None, max_length=64)
    unit: str | None = Field(default=None, max_length=32)
    role: CardRole | None = None


@register_event("pass.rejected")
class PassRejected(Payload):
    """A scanned code that did not admit anyone; the payload is kept (hex) so nothing is lost."""

    reason: Reason
    detail: str = Field(max_length=300)
    pass_id: str | None = Field(default=None, max_length=64)
    site: str | None = Field(default=None, max_length=64)
    source: str = Field(max_length=200, description="camera source, reader, or 'api'")
    format: str | None = Field(default=None, max_length=32)
    payload_hex: str = Field(max_length=8192)
    payload_bytes: int = Field(ge=0)
    direction: Direction
    post_role: PostRole


class CardEntry(Payload):
    """One card on the allow-list: canonical card id, holder, unit, role and optional expiry."""

    card_id: str = Field(min_length=3, max_length=80)
    holder: str = Field(min_length=1, max_length=64)
    unit: str | None = Field(default=None, max_length=32)
    role: CardRole = "resident"
    valid_until: datetime | None = None


@register_command("cards.allowlist.replace")
class CardsAllowlistReplace(Payload):
    """The whole resident/staff card list for this post; replaces what the post had."""

    version: int = Field(ge=0)
    entries: list[CardEntry] = Field(max_length=100_000)


@register_command("passes.revoke")
class PassesRevoke(Payload):
    """Stop accepting these passes. `until` lets the post forget the revocation (pass expiry)."""

    pass_ids: list[str] = Field(min_length=1, max_length=10_000)
    until: datetime | None = None
    reason: str | None = Field(default=None, max_length=200)


@register_event("access.device_state")
class AccessDeviceState(Payload):
    """A post's camera or card reader changed state (e.g. unplugged: "reconnecting", back: "streaming").

    Journaled on each change of state, so the office sees when and why a post could not scan.
    """

    device: str = Field(max_length=200, description="'camera' or the card reader's URL")
    state: Literal["streaming", "ready", "missing", "reconnecting"]
    detail: str = Field(default="", max_length=300)
    post_role: PostRole
