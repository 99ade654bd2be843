"""What the desk may do to a ticket in its current state: the ticket page shows only the actions
allowed now, and the API refuses the others with the same reason (HTTP 409), so a stale page or a
hand-made request gets a clear answer instead of a change that means nothing."""
from __future__ import annotations

from typing import Any

from . import lifecycle


def refusal(ticket: dict[str, Any], action: str) -> str | None:
    """Why `action` does not fit `ticket` as it is now, or None if it does."""
    kind, state = ticket["kind"], ticket["state"]
    closed = lifecycle.is_closed(kind, state)
    done = ticket.get("done_at") is not None
    if action == "reopen":
        return None if closed or done else f"only a done or closed ticket can be reopened (it is {state})"
    if closed:
        return f"the ticket is {state}"
    if action == "complaint" and kind != "complaint":
        return "only complaints have a class and a validity"
    if action == "callback":
        if "callback" not in lifecycle.states(kind):
            return f"{kind} tickets have no callback"
        if not done:
            return "the callback comes after the work is done"
        if lifecycle.rank(kind, state) >= lifecycle.rank(kind, "callback"):
            return "the callback is recorded already"
    return None
