"""The [fleet] section of central's file: where the CA lives and what the broker looks like."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field

from frontdesk.config import Section


class FleetConfig(Section):
    """The [fleet] section: the fleet directory (CA, certificates, generated broker files), the
    broker's address as edges see it, its listener, and how to make it re-read its files."""
    # Unset: no fleet (edges configured by hand, as before provisioning existed).
    dir: Path | None = None
    organisation: str = Field(default="frontdesk", min_length=1, max_length=64)
    # What every enrolment bundle tells edges to connect to; also in the broker's certificate.
    broker_host: str = "127.0.0.1"
    broker_port: int = Field(default=8883, ge=1, le=65535)
    # More names and addresses the broker's certificate carries (e.g. its LAN name and address).
    broker_names: list[str] = Field(default_factory=list)
    # The TLS listener's bind address in the generated mosquitto.conf.
    listen: str = "0.0.0.0"
    # Mosquitto's persistence directory, the user it runs as, and its log (stderr: the journal).
    persistence_dir: Path = Path("/var/lib/frontdesk/broker")
    # As root, Mosquitto drops to this user (deploy/systemd/frontdesk-broker.service starts it as
    # frontdesk directly): the user central runs as, so it can read the key and CRL central writes.
    broker_user: str = "frontdesk"
    broker_log: Path | None = None
    # How long a device certificate is valid; re-credential before (`device list` shows not_after).
    device_days: int = Field(default=730, ge=1, le=3650)
    # Run after the broker's files change (a device added, disabled, re-credentialed), so the
    # broker re-reads its ACL and CRL (a SIGHUP): e.g. ["pkill", "-HUP", "-u", "frontdesk", "-x", "mosquitto"].
    reload_command: list[str] = Field(default_factory=list)
