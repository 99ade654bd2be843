"""Invitations: a visitor's signed pass for a time window at one unit, and the link that shows it.

A resident (or the desk for a resident) invites a visitor; central signs a single-use pass for
the window and makes a link with a random 128-bit token, of which only the hash is kept. The
pass is not kept either: the visitor's page signs it again from the stored fields, and Ed25519
signatures are deterministic, so it is the same token every time. Cancelling marks the
invitation and revokes the pass at every kiosk and gate of the site until the pass's end.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from frontdesk.ids import new_id

from ..fleet.tables import fleet_devices
from ..passes import issue_pass
from ..store import Store
from ..tickets.tables import visits
from ..tickets.times import utc
from .tables import resident_invitations

# How far ahead an invitation may end, and how far in the past its start may lie (the form's
# "now" is a few seconds old by the time it arrives; phones' clocks are off by a little).
LONGEST = timedelta(days=7)
START_SLACK = timedelta(minutes=15)
# The posts that check passes, by their fleet role.
PASS_POST_ROLES = ("kiosk", "gate")


class InvitationError(ValueError):
    """An invitation that cannot be made or changed as asked; says why."""


@dataclass(frozen=True)
class NewInvitation:
    """What an invitation needs: where, who, when, and who made it (resident or desk)."""
    site: str
    unit: str
    visitor_name: str
    visitor_phone: str | None
    valid_from: datetime
    valid_until: datetime
    made_by_kind: str
    made_by: str


def link_hash(token: str) -> str:
    """How a visitor link's token is kept."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_window(valid_from: datetime, valid_until: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The window in whole UTC seconds (as the pass carries it); InvitationError if it is in the
    past, backwards or too long."""
    if valid_from.tzinfo is None or valid_until.tzinfo is None:
        raise InvitationError("times must carry their UTC offset")
    start = valid_from.astimezone(UTC).replace(microsecond=0)
    end = valid_until.astimezone(UTC).replace(microsecond=0)
    if end <= now:
        raise InvitationError("the visit would be over before it starts: 'until' is in the past")
    if start < now - START_SLACK:
        raise InvitationError("'from' lies in the past")
    if end <= start:
        raise InvitationError("'until' must be after 'from'")
    if end > now + LONGEST:
        raise InvitationError(f"an invitation may run at most {LONGEST.days} days ahead")
    return start, end


class Invitations:
    """Invitations in central's database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, new: NewInvitation, key: Ed25519PrivateKey, now: datetime | None = None) -> tuple[dict, str]:
        """Sign the pass and keep the invitation: (the invitation, the link's token)."""
        now = now or datetime.now(UTC)
        start, end = check_window(new.valid_from, new.valid_until, now)
        pass_id, _ = issue_pass(key, site=new.site, host_unit=new.unit, visitor_name=new.visitor_name,
                                valid_from=start, valid_until=end, single_use=True)
        token = secrets.token_urlsafe(16)  # 128 random bits
        row = {"id": new_id(), "site": new.site, "unit": new.unit, "pass_id": pass_id, "link_hash": link_hash(token),
               "visitor_name": new.visitor_name, "visitor_phone": new.visitor_phone or None, "valid_from": start,
               "valid_until": end, "created_at": now, "made_by_kind": new.made_by_kind, "made_by": new.made_by[:64],
               "cancelled_at": None, "cancelled_by": None}
        with self.store.engine.begin() as conn:
            conn.execute(resident_invitations.insert().values(**row))
        return self._view(row, used=False, now=now), token

    def pass_token(self, invitation: dict[str, Any], key: Ed25519PrivateKey) -> str:
        """The invitation's signed pass (signed again: the same token as when it was made)."""
        _, token = issue_pass(key, site=invitation["site"], host_unit=invitation["unit"],
                              visitor_name=invitation["visitor_name"], valid_from=invitation["valid_from"],
                              valid_until=invitation["valid_until"], single_use=True,
                              pass_id=invitation["pass_id"])
        return token

    # -- reading -------------------------------------------------------------------------------------

    def of_units(self, site: str, units: Iterable[str], limit: int = 200) -> list[dict[str, Any]]:
        """The invitations of these units, newest first."""
        q = select(resident_invitations).where(resident_invitations.c.site == site,
                                               resident_invitations.c.unit.in_(list(units)))
        return self._rows(q.order_by(resident_invitations.c.created_at.desc()).limit(limit))

    def of_site(self, site: str, limit: int = 200) -> list[dict[str, Any]]:
        """The site's invitations, newest first."""
        q = select(resident_invitations).where(resident_invitations.c.site == site)
        return self._rows(q.order_by(resident_invitations.c.created_at.desc()).limit(limit))

    def get(self, site: str, invitation_id: str) -> dict[str, Any] | None:
        """One invitation of the site, or None."""
        found = self._rows(select(resident_invitations).where(resident_invitations.c.site == site,
                                                              resident_invitations.c.id == invitation_id))
        return found[0] if found else None

    def by_link(self, token: str) -> dict[str, Any] | None:
        """The invitation a visitor link's token opens, or None (unknown, forged, malformed)."""
        if not token or len(token) > 64:
            return None
        found = self._rows(select(resident_invitations).where(resident_invitations.c.link_hash == link_hash(token)))
        return found[0] if found else None

    def _rows(self, query) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        with self.store.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
            pass_ids = [r["pass_id"] for r in rows]
            # Used = a post of the invitation's own site let someone in on its pass.
            used = {(site, p) for site, p in conn.execute(select(visits.c.site, visits.c.pass_id).where(
                visits.c.pass_id.in_(pass_ids), visits.c.checked_in_at.is_not(None)))} if pass_ids else set()
        return [self._view(r, (r["site"], r["pass_id"]) in used, now) for r in rows]

    @staticmethod
    def _view(row: dict[str, Any], used: bool, now: datetime) -> dict[str, Any]:
        view = {k: (utc(v) if isinstance(v, datetime) else v) for k, v in row.items() if k != "link_hash"}
        if view["cancelled_at"] is not None:
            state = "cancelled"
        elif used:
            state = "used"
        elif view["valid_until"] <= now:
            state = "expired"
        else:
            state = "upcoming"
        view["state"] = state
        return view

    # -- cancelling ----------------------------------------------------------------------------------

    def cancel(self, invitation: dict[str, Any], by: str, now: datetime | None = None) -> dict[str, Any]:
        """Mark the invitation cancelled (InvitationError if it already is, or has expired)."""
        now = now or datetime.now(UTC)
        if invitation["state"] == "cancelled":
            raise InvitationError("this invitation is cancelled already")
        if invitation["state"] == "expired":
            raise InvitationError("this invitation has expired; there is nothing to cancel")
        with self.store.engine.begin() as conn:
            conn.execute(update(resident_invitations).where(resident_invitations.c.id == invitation["id"],
                                                            resident_invitations.c.cancelled_at.is_(None))
                         .values(cancelled_at=now, cancelled_by=by[:64]))
        found = self.get(invitation["site"], invitation["id"])
        assert found is not None  # it was there a moment ago; invitations are never deleted
        return found

    def pass_posts(self, site: str, configured: Iterable[str] = ()) -> list[str]:
        """The posts that must hear of a revoked pass: the site's active kiosks and gates in the fleet
        registry, and the devices `[tickets] pass_posts` lists for the site."""
        with self.store.engine.connect() as conn:
            registered = [d for (d,) in conn.execute(select(fleet_devices.c.device).where(
                fleet_devices.c.site == site, fleet_devices.c.role.in_(PASS_POST_ROLES),
                fleet_devices.c.state == "active").order_by(fleet_devices.c.device))]
        return list(dict.fromkeys([*registered, *configured]))

