"""Each ticket kind's lifecycle: its states in order, and how a change of state is judged.

States are ranked. Moving forward (to any later state) is allowed and fills in the time each
state was first reached; a late event for an earlier state (events from several devices can
arrive out of order) only fills in that state's time if it is still missing, so the result does
not depend on arrival order. Going back is only possible through an explicit reopen.
"""
from __future__ import annotations

LIFECYCLES: dict[str, tuple[str, ...]] = {
    # 报修: received -> work order issued -> claimed (签收) -> on site -> done -> resident
    # confirmed -> callback (回访) -> closed
    "repair": ("received", "work_order_issued", "claimed", "on_site", "done", "confirmed", "callback", "closed"),
    "complaint": ("received", "classified", "handling", "resolved", "callback", "closed"),
    "help_request": ("received", "handling", "done", "callback", "closed"),
    "inquiry": ("received", "answered", "closed"),
    "paid_service": ("received", "quoted", "scheduled", "on_site", "done", "callback", "closed"),
    # 邮件登记: logged, recipient notified (again at handover if not collected), collected or returned
    "mail": ("received", "notified", "collected", "closed"),
    "visit": ("received", "on_site", "closed"),
}

KINDS = tuple(LIFECYCLES)
FINAL = "closed"
# Mail that nobody collects goes back to the post office with a record: also a closed state.
EXTRA_FINAL = {"mail": ("returned",)}

# States reached by the end of the work itself (for first-time-fix and callback statistics).
DONE_STATES = {"repair": "done", "complaint": "resolved", "help_request": "done", "paid_service": "done",
               "inquiry": "answered", "mail": "collected", "visit": "closed"}


class TransitionError(ValueError):
    """A state the kind does not have."""


def states(kind: str) -> tuple[str, ...]:
    """The kind's states in order, then its extra final ones (mail: returned); KeyError for no such kind."""
    return LIFECYCLES[kind] + EXTRA_FINAL.get(kind, ())


def rank(kind: str, state: str) -> int:
    """The state's place in the kind's lifecycle (an extra final state ranks as closed);
    TransitionError for a state the kind does not have."""
    order = LIFECYCLES[kind]
    if state in order:
        return order.index(state)
    if state in EXTRA_FINAL.get(kind, ()):
        return len(order) - 1  # as final as closed
    raise TransitionError(f"{kind} tickets have no state {state!r} (states: {', '.join(states(kind))})")


def is_closed(kind: str, state: str) -> bool:
    """True for 'closed', or the kind's extra final state (mail: returned)."""
    return state == FINAL or state in EXTRA_FINAL.get(kind, ())


def first_state(kind: str) -> str:
    """The state a new ticket of this kind starts in."""
    return LIFECYCLES[kind][0]
