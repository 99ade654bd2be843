"""What each device role runs: the device sections an enrolled edge's file starts from.

The paths are the stable names deploy/udev gives the hardware (/dev/frontdesk-modem,
/dev/frontdesk-printer) and the camera and readers a Raspberry Pi kiosk usually has; whoever
installs the device edits them on the spot. Central only writes text here: it never reads or
drives an edge's hardware.
"""
from __future__ import annotations

import json

ROLES = ("desk", "kiosk", "gate", "agent")

_PRINTER = """
[printer]
default = "{name}"
property_name = {property}

[printer.printers.{name}]
url = "serial:/dev/frontdesk-printer"
"""

_TEMPLATES = {
    # The service-centre desk: the phone line through the USB voice modem, and the slip printer.
    "desk": """
[phone]
device = "serial:/dev/frontdesk-modem"
family = "auto"
staffed_hours = ["08:30-17:30"]
dtmf_menu = true
""" + _PRINTER.replace("{name}", "desk"),
    # The lobby kiosk: signed passes and ID cards at the camera, its screen, badges on its printer.
    "kiosk": """
[access]
role = "kiosk"
site_public_keys = {keys}
camera = "v4l2:/dev/video0"
card_readers = ["evdev:/dev/input/frontdesk-card"]   # deploy/udev/99-frontdesk-cards.rules

[kiosk]
role = "kiosk"
""" + _PRINTER.replace("{name}", "lobby"),
    # A gate post: passes and cards, offline decisions, the guard's screen.
    "gate": """
[access]
role = "gate"
site_public_keys = {keys}
camera = "v4l2:/dev/video0"
card_readers = ["evdev:/dev/input/frontdesk-card"]   # deploy/udev/99-frontdesk-cards.rules

[kiosk]
role = "gate"
""",
    # Journal and uplink only (desk notes from `frontdesk edge note`, a mail-desk PC).
    "agent": "",
}


def config_template(role: str, *, property_name: str, pass_public_keys: list[str]) -> str:
    """The device sections (TOML) for `role`; ValueError for an unknown role."""
    if role not in _TEMPLATES:
        raise ValueError(f"unknown role {role!r} (one of: {', '.join(ROLES)})")
    # json.dumps of a str or a list of str is a valid TOML basic string / array.
    return (_TEMPLATES[role].replace("{keys}", json.dumps(pass_public_keys))
            .replace("{property}", json.dumps(property_name, ensure_ascii=False)))
