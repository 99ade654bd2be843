"""What a post decided, as the screens show it, and how a card holder's name is masked on them
(phone numbers: frontdesk.masking)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Decision:
    """One decision. `reason` is a code from frontdesk.schema.access; screens translate it.

    kind:  "pass" (visitor pass), "card" (resident/staff card or printed card code),
           "walk_in" (registered at the screen), "badge" (visitor badge scanned to leave),
           "code" (anything else scanned: never allowed)
    name:  visitor display name (their own, on their own pass) or a card holder's masked name
    """

    decision: str              # "allow" | "deny"
    reason: str                # "ok" or a denial reason
    kind: str
    direction: str             # "in" | "out"
    post_role: str             # "kiosk" | "gate"
    at: str                    # ISO time (UTC) the event was journaled
    event_id: str | None = None
    event_type: str | None = None
    name: str | None = None
    unit: str | None = None
    role: str | None = None
    visit_id: str | None = None
    pass_id: str | None = None
    checkout_code: str | None = None
    valid_until: str | None = None
    phone_masked: str | None = None
    detail: str | None = None
    print_requested: bool = False
    source: str = "api"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    def to_json(self) -> dict[str, Any]:
        """Every field as a plain dict, ready for JSON."""
        return asdict(self)


def mask_name(name: str) -> str:
    """张*, 王*明, J*** S****: a guard recognises the holder; a passer-by reading the screen learns little."""
    name = name.strip()
    if not name:
        return name
    if " " in name:
        return " ".join(w[:1] + "*" * (len(w) - 1) for w in name.split())
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
