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
    # The command lists: every command of the account's sites for "commands.read_all", else only
    # the types the role may send itself (a guard: its print slips and pass revocations, never a
    # directory push or a card allow-list with residents' names and numbers).
    "commands.read": frozenset({"desk", "guard", "manager", "admin"}),
    "commands.read_all": frozenset({"desk", "manager", "admin"}),
    "audit.read": frozenset({"manager", "admin"}),
    # the resident directory (units, residents, phone numbers) and pushing it to the desk edges
    "directory.admin": frozenset({"manager", "admin"}),
    # the residents' sign-in codes the desk reads out (and the requests waiting for one)
    "residents.codes": frozenset({"desk", "manager", "admin"}),
    # the raw event log and quarantine hold personal data as the edges sent it
    "events.read": frozenset({"manager", "admin"}),
    "privacy.admin": frozenset({"admin"}),
    "users.admin": frozenset({"admin"}),
}

# Residents' names and phone numbers are shown in full only to these roles (field facts §1:
# personal data released only as needed); everyone else sees them masked.
PERSONAL_DATA_ROLES = frozenset({"desk", "manager", "admin"})

# The events each role may receive (the dashboard's live stream, GET /api/v1/events), by event
# type prefix; None: every type. What each screen of the role reacts to (central/dashboard/static):
#   desk        the desk page (call.*, note.*, transcript.failed), the board and ticket pages
#               (ticket.*), the roll call (visitor.*), print and command state (print.*, command.*),
#               rejected passes (pass.*)
#   guard       the board and ticket pages (ticket.*), the roll call (visitor.*), the commands page
#               and their slips (command.*, print.*), rejected passes at their posts (pass.*); no
#               call.*, note.* or transcript.*: guards may not read the call register, and a
#               desk note or transcript is the caller's words
#   technician  nothing: the technician's phone page polls its work orders (it works offline in a
#               lift) and opens no stream; technicians have no live.read either
EVENT_TYPES: dict[str, tuple[str, ...] | None] = {
    "desk": ("call.", "note.", "transcript.", "visitor.", "print.", "command.", "ticket.", "pass."),
    "guard": ("visitor.", "ticket.", "print.", "command.", "pass."),
    "technician": (),
    "manager": None,
    "admin": None,
}


def event_types(role: str) -> tuple[str, ...] | None:
    """The event type prefixes `role` may receive (None: every type; () nothing)."""
    return EVENT_TYPES.get(role, ())


def may_receive(role: str, event_type: str) -> bool:
    """Whether `role` may receive an event of `event_type`."""
    prefixes = event_types(role)
    return prefixes is None or event_type.startswith(prefixes)


TECHNICIAN_STATES = frozenset({"claimed", "on_site", "done", "scheduled"})


def allowed(role: str, permission: str) -> bool:
    """Whether `role` has `permission`; KeyError for a permission PERMISSIONS does not list."""
    return role in PERMISSIONS[permission]
