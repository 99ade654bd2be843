"""The screens' link to the access service (edge/access, `ctx.access`).

The access service decides and journals; this only relays: its decisions into the live feed,
its device state (camera, readers) to the status line, and walk-in registrations from the form
into `register_walk_in`. With no access service on this edge the screens still load, say that
scanning is unavailable, and refuse registration with a clear reason.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from frontdesk.schema.access import CardScanned, PassRejected, VisitorCheckedIn, VisitorCheckedOut

from .app import RegistrationUnavailable
from .feed import LiveFeed
from .forms import FieldError, WalkIn
from .ratelimit import ScreenLimits
from .views import from_event, to_item

if TYPE_CHECKING:
    from frontdesk.edge.access import AccessService
    from frontdesk.edge.journal import Journal

log = logging.getLogger("frontdesk.edge.kiosk")

# Their field names -> the form's, and what the screen says about each.
_FIELDS = {"visitor_name": ("name", "name_invalid"), "phone": ("phone", "phone_invalid"),
           "host_unit": ("unit", "unit_invalid"), "purpose": ("purpose", "purpose_invalid")}
# Badge language: the access service speaks "zh"/"en", the screens "zh-Hans"/"en".
_BADGE_LANGUAGE = {"zh-Hans": "zh", "en": "en"}
# How far back in the journal to look for the last scans when the access service has none yet.
HISTORY_EVENTS = 1000
DECISIONS = (VisitorCheckedIn, VisitorCheckedOut, CardScanned, PassRejected)


def screen_status(status: dict[str, Any] | None) -> dict[str, Any]:
    """What the pages need of the access service's status: is scanning possible, and if not why."""
    if status is None:
        return {"access": "missing", "camera": "none", "camera_detail": "", "readers": {}}
    camera = status.get("camera") or {}
    return {"access": "running", "camera": camera.get("state", "none"), "camera_detail": camera.get("detail", ""),
            "readers": {url: r.get("state") for url, r in (status.get("readers") or {}).items()},
            "direction": status.get("direction"), "role": status.get("role"), "last_error": status.get("last_error")}


class AccessLink:
    """Relays one access service's decisions and state to the screens' live feed."""

    def __init__(self, lookup: Callable[[], AccessService | None], feed: LiveFeed,
                 journal: Journal | None = None, limits: ScreenLimits | None = None) -> None:
        self.lookup = lookup
        self.limits = limits
        self.feed = feed
        self.journal = journal
        self.service: AccessService | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def attach(self) -> bool:
        """Start relaying; False when this edge runs no access service."""
        svc = self.lookup()
        if svc is None:
            self.feed.publish_status(screen_status(None))
            return False
        self.service = svc
        # Oldest first, so the feed's order (seq) matches the order the decisions were made.
        decisions = list(reversed(svc.recent(limit=self.feed.keep))) or self._history()
        for decision in decisions:
            self.feed.publish(to_item(decision))
        self.feed.publish_status(screen_status(svc.status()))
        self._unsubscribe = svc.subscribe(self._update)
        if self.limits is not None:
            # Every badge this post prints (pass or walk-in) takes from the screen's print limit.
            svc.badge_allowance = self._may_print
        return True

    def _may_print(self) -> bool:
        return self.limits is None or self.limits.take("print") is None

    def _history(self) -> list[dict[str, Any]]:
        """The last decisions from the journal (the access service only remembers since it started)."""
        if self.journal is None:
            return []
        try:
            events = self.journal.latest(DECISIONS, within=HISTORY_EVENTS)
        except Exception:  # an unreadable journal must not keep the screen from starting
            log.exception("kiosk: cannot read the last scans from the journal")
            return []
        decisions = [from_event(e.to_wire()) for e in events]
        return [d for d in decisions if d is not None][-self.feed.keep:]

    def detach(self) -> None:
        """Stop relaying."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.service is not None and self.service.badge_allowance == self._may_print:
            self.service.badge_allowance = None

    def _update(self, update: dict[str, Any]) -> None:
        # Called on the access service's deciding thread: publishing only queues, never blocks.
        if update.get("type") == "decision":
            self.feed.publish(to_item(update))
        elif update.get("type") == "status":
            self.feed.publish_status(screen_status(update))

    def current(self) -> AccessLink | None:
        """This link while an access service is attached (the screens' registrar), else None."""
        return self if self.service is not None else None

    def register_walk_in(self, form: WalkIn, *, via: str, language: str) -> dict[str, Any]:
        """Check a walk-in visitor in through the access service; FieldError for a bad field."""
        from frontdesk.edge.access import WalkInError

        if self.service is None:
            raise RegistrationUnavailable("the access service is not running on this edge")
        try:
            decision = self.service.register_walk_in(
                form.name, form.phone, form.unit, form.purpose,
                registered_by="guard" if via == "gate" else "visitor",
                language=_BADGE_LANGUAGE.get(language))
        except WalkInError as err:
            field, code = _FIELDS.get(err.field, ("form", "bad_request"))
            log.info("kiosk: walk-in refused: %s (%s)", err, err.field)
            raise FieldError(field, code) from None
        return self._item(decision)

    def _item(self, decision: Any) -> dict[str, Any]:
        # The observer has already pushed this decision to the feed; return the same item.
        for item in reversed(self.feed.recent(20)):
            if item.get("event_id") == decision.event_id:
                return item
        return to_item(decision.to_json())

    def present(self) -> list[dict[str, Any]]:
        """Visitors checked in here and not yet out, as the gate screen lists them."""
        if self.service is None:
            raise RegistrationUnavailable("the access service is not running on this edge")
        return [{"visit_id": v["visit_id"], "name": v["visitor_name"], "unit": v["host_unit"],
                 "phone_masked": v.get("phone_masked"), "since": v["checked_in_at"],
                 "valid_until": v.get("valid_until"), "via": "pass" if v.get("pass_id") else "walk_in"}
                for v in self.service.present()]

    def check_out(self, visit_id: str) -> dict[str, Any] | None:
        """The guard checks a listed visitor out; None when the id is not of a visitor in."""
        if self.service is None:
            raise RegistrationUnavailable("the access service is not running on this edge")
        # Only a visitor the access service lists as in: never journal a check-out for an id
        # that the page made up or that someone else already checked out.
        if not any(v["visit_id"] == visit_id for v in self.service.present()):
            return None
        return self._item(self.service.check_out(visit_id, source="gate screen"))


__all__ = ["AccessLink", "screen_status"]
