"""What the screens' web app needs from its host (the edge service or `frontdesk kiosk serve`)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .config import KioskConfig
from .feed import LiveFeed
from .forms import WalkIn
from .ratelimit import ScreenLimits


class RegistrationUnavailable(Exception):
    """Registration cannot be taken now (the access service is not running); the message says why."""


class Registrar(Protocol):
    """The access service as the screens use it: registration, who is in, check-out by hand."""

    def register_walk_in(self, form: WalkIn, *, via: str, language: str) -> dict[str, Any]:
        """Record the visitor's check-in; return it as a screen item. FieldError for a bad field."""

    def present(self) -> list[dict[str, Any]]:
        """Visitors checked in at this post and not out yet (phones masked)."""

    def check_out(self, visit_id: str) -> dict[str, Any] | None:
        """Check a present visitor out by hand; the check-out as a screen item, None if not present."""


@dataclass
class Screens:
    """Everything the app needs from its host."""

    config: KioskConfig
    feed: LiveFeed
    registrar: Callable[[], Registrar | None]
    site_name: str = ""
    device: str = ""
    tz: str = "UTC"
    # How fast this screen takes walk-ins and prints badges; None: no limit (tools, some tests).
    limits: ScreenLimits | None = None


__all__ = ["Registrar", "RegistrationUnavailable", "Screens"]
