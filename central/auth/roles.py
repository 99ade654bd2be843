"""Roles and what each may do. Sites are scoped per account (["*"] = every site).

    desk        the service-centre desk: calls, tickets, registers, print slips, residents' details
    guard       gate and lobby: visitors and mail, the visit register; residents' details masked
    technician  claims work orders, goes on site, marks them done; residents' details masked
    manager     everything on their sites, statistics, the audit log, directory and card lists
    admin       everything, staff accounts, retention and erasure
"""
from __future__ import annotations

ROLES = ("desk", "guard", "technician", "manager", "admin")

PERMISSIONS: dict[str, frozenset[str]] = {
    "tickets.read": frozenset({"desk", "guard", "technician", "manager", "admin"}),
    "tickets.create": frozenset({"desk", "guard", "manager", "admin"}),
    "tickets.change": frozenset({"desk", "manager", "admin"}),
    # claim / on site / done: what a technician does to a work order
    "tickets.work": frozenset({"desk", "technician", "manager", "admin"}),
    "registers.calls": frozenset({"desk", "manager", "admin"}),
    "registers.visits": frozenset({"desk", "guard", "manager", "admin"}),
    "registers.mail": frozenset({"desk", "guard", "manager", "admin"}),
    "stats.read": frozenset({"desk", "manager", "admin"}),
    "live.read": frozenset({"desk", "guard", "manager", "admin"}),
    "commands.print": frozenset({"desk", "guard", "manager", "admin"}),
    "commands.lists": frozenset({"manager", "admin"}),
    "commands.passes": frozenset({"guard", "desk", "manager", "admin"}),
    "commands.read": frozenset({"desk", "guard", "manager", "admin"}),
    "audit.read": frozenset({"manager", "admin"}),
    # the resident directory (units, residents, phone numbers) and pushing it to the desk edges
    "directory.admin": frozenset({"manager", "admin"}),
    # the raw event log and quarantine hold personal data as the edges sent it
    "events.read": frozenset({"manager", "admin"}),
    "privacy.admin": frozenset({"admin"}),
    "users.admin": frozenset({"admin"}),
}

# Residents' names and phone numbers are shown in full only to these roles (field facts §1:
# personal data released only as needed); everyone else sees them masked.
PERSONAL_DATA_ROLES = frozenset({"desk", "manager", "admin"})

TECHNICIAN_STATES = frozenset({"claimed", "on_site", "done", "scheduled"})


def allowed(role: str, permission: str) -> bool:
    """Whether `role` has `permission`; KeyError for a permission PERMISSIONS does not list."""
    return role in PERMISSIONS[permission]
