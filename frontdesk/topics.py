"""The MQTT topic scheme: documented in the README so other tools can consume it.

    frontdesk/v1/<site>/<device>/events     edge -> central   batches of events (QoS 1)
    frontdesk/v1/<site>/<device>/acks       central -> edge   ids central has committed (QoS 1)
    frontdesk/v1/<site>/<device>/commands   central -> edge   commands to apply (QoS 1)
    frontdesk/v1/<site>/<device>/status     edge -> anyone    "online"/"offline", retained (LWT)

Site and device ids are restricted to characters that cannot break a topic (no '/', '+', '#').
"""
from __future__ import annotations

import re

PREFIX = "frontdesk/v1"
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
_ID_RE = re.compile(rf"^{ID_PATTERN}$")
_TOPIC_RE = re.compile(rf"^{PREFIX}/({ID_PATTERN})/({ID_PATTERN})/([a-z-]+)$")

EVENTS = "events"
ACKS = "acks"
COMMANDS = "commands"
STATUS = "status"
CHANNELS = (EVENTS, ACKS, COMMANDS, STATUS)


def valid_id(value: str) -> bool:
    """True if `value` can be a site or device id in a topic (see ID_PATTERN)."""
    return bool(_ID_RE.match(value))


def topic(site: str, device: str, channel: str) -> str:
    """The topic of `channel` for one device; ValueError for an unknown channel or an id unusable in a topic."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    for name, value in (("site", site), ("device", device)):
        if not valid_id(value):
            raise ValueError(f"{name} id {value!r} is not usable in a topic")
    return f"{PREFIX}/{site}/{device}/{channel}"


def wildcard(channel: str, site: str = "+") -> str:
    """Subscription for a channel across devices (and, by default, sites)."""
    return f"{PREFIX}/{site}/+/{channel}"


def parse(topic_name: str) -> tuple[str, str, str] | None:
    """(site, device, channel) for a frontdesk topic, or None for anything else."""
    m = _TOPIC_RE.match(topic_name)
    if not m or m.group(3) not in CHANNELS:
        return None
    return m.group(1), m.group(2), m.group(3)
