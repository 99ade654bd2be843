"""The one rule for masking a phone number wherever frontdesk shows or prints one.

Central's API and live stream (for roles that may not see personal data), the access service's
decisions on the kiosk and gate screens, and the printed slips all call `mask_phone`; the
screens show what the server already masked and mask nothing themselves.

The rule counts digits wherever they stand and leaves every other character (+, spaces, dashes,
brackets) in place, so a number keeps the shape it was written in:

    13812345678          -> 138****5678       (the four digits before the last four are hidden)
    +86 138-1234-5678    -> +86 138-****-5678 (the same digits as the national form)
    12345 (5 to 7 digits) -> ***45             (only the last two shown)
    1234 (4 or fewer)    -> ****               (nothing shown)

Four hidden digits are 10,000 numbers to try: enough that a passer-by reading a screen or a
slip cannot call the number, while its owner still recognises it.
"""
from __future__ import annotations

from typing import overload

MASK = "*"
# From this many digits on, the last four are shown and the four before them hidden.
LONG = 8
# From this many digits on (and below LONG), the last two are shown.
SHORT = 5


def _shown(position: int, count: int) -> bool:
    """Whether the digit at `position` (0-based, among `count` digits) may be shown."""
    if count >= LONG:
        return not count - 8 <= position < count - 4
    if count >= SHORT:
        return position >= count - 2
    return False


@overload
def mask_phone(value: str) -> str: ...
@overload
def mask_phone(value: None) -> None: ...


def mask_phone(value: str | None) -> str | None:
    """`value` with the digits a viewer must not read replaced by `*` (None and "" unchanged)."""
    if not value:
        return value
    count = sum(1 for c in value if c.isdecimal())
    out = []
    position = 0
    for c in value:
        if c.isdecimal():
            out.append(c if _shown(position, count) else MASK)
            position += 1
        else:
            out.append(c)
    return "".join(out)


__all__ = ["mask_phone"]
