"""The central service's configuration file: [central], [mqtt] and the [sites.<id>] it serves."""
from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from frontdesk.config import ConfigError, MqttConfig, Section, SiteConfig, load, parse
from frontdesk.topics import ID_PATTERN

from .auth.settings import AuthConfig
from .fleet.settings import FleetConfig
from .privacy.settings import PrivacyConfig, with_legacy_visits
from .tickets.settings import TicketsConfig


class CentralConfig(Section):
    """The [central] section: database URL, HTTP address, ingest batching, command resend interval,
    MQTT client id."""
    database_url: str = "sqlite:////var/lib/frontdesk/central/central.db"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8400, ge=0, le=65535)
    batch_max_messages: int = Field(default=200, ge=1)
    batch_linger_ms: int = Field(default=10, ge=0, le=5000)
    # An unacknowledged command is sent again after this long (edges apply each id once).
    command_retry_s: float = Field(default=15.0, gt=0)
    # Quarantine quota per sending device and window: past it that device's rejects are still
    # counted and acknowledged, but only every `quarantine_sample_every`-th is kept, and one
    # quarantine.flooded alarm event is written per window (central/store.py QuarantineQuota).
    quarantine_quota: int = Field(default=1000, ge=0)
    quarantine_window_s: float = Field(default=3600.0, gt=0)
    quarantine_sample_every: int = Field(default=100, ge=1)
    client_id: str = Field(default="frontdesk-central", pattern=f"^{ID_PATTERN}$")
    # Central's command-signing keys (central/command_keys.py; made by `frontdesk central keys
    # create`). Unset: commands go out unsigned and every edge refuses them.
    command_key_dir: Path | None = None
    # How long a command stays valid. Resends keep the original signature and expiry, so this must
    # outlast an edge that is offline for a long weekend or a broken uplink awaiting a technician
    # (a week), while bounding how long a captured command could be replayed to an edge that lost
    # its journal. A refused expired command shows as rejected ("expired") in `central commands`;
    # the pushes that matter (allow-lists, directories) are whole-state replaces, safe to send again.
    command_valid_h: float = Field(default=7 * 24, gt=0, le=366 * 24)
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not (value.startswith("sqlite:///") or value.startswith("postgresql")):
            raise ValueError("must be a sqlite:///PATH or a postgresql:// URL")
        return value


class CentralFile(Section):
    """A whole central TOML file: [central], [mqtt], [sites.<id>], [tickets], [auth], [fleet] and [privacy]."""
    central: CentralConfig = CentralConfig()
    mqtt: MqttConfig = MqttConfig()
    sites: dict[str, SiteConfig] = {}
    # SLA timers, working-day calendars, visit retention (central/tickets/settings.py)
    tickets: TicketsConfig = TicketsConfig()
    # staff sessions (central/auth/settings.py)
    auth: AuthConfig = AuthConfig()
    # the fleet CA, device registry and generated broker configuration (central/fleet/)
    fleet: FleetConfig = FleetConfig()
    # retention periods per kind and site (central/privacy/settings.py)
    privacy: PrivacyConfig = PrivacyConfig()

    @model_validator(mode="after")
    def _legacy_visit_retention(self) -> CentralFile:
        # [tickets] visit_retention_days is a deprecated alias of [privacy] visits; both are kept in
        # step so code reading either sees the same period.
        legacy = self.tickets.visit_retention_days if "visit_retention_days" in self.tickets.model_fields_set else None
        self.privacy = with_legacy_visits(self.privacy, legacy)
        self.tickets.visit_retention_days = self.privacy.visits
        return self

    @model_validator(mode="after")
    def _no_plain_cookie_on_the_network(self) -> CentralFile:
        # A session cookie sent over plain HTTP on a LAN is anyone's who listens there.
        if ("cookie_secure" in self.auth.model_fields_set and not self.auth.cookie_secure
                and not loopback(self.central.http_host) and not self.auth.allow_insecure_cookie):
            raise ValueError(f"auth.cookie_secure = false while central.http_host = {self.central.http_host!r} is "
                             "not loopback: browsers would send the session cookie over plain HTTP. Put central "
                             "behind TLS, or set auth.allow_insecure_cookie = true if a TLS front end on this "
                             "machine or segment is the only way browsers reach it")
        return self


def loopback(host: str) -> bool:
    """True if `host` (an [central] http_host) is reachable from this machine only."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def secure_cookies(cfg: CentralFile) -> bool:
    """Whether session cookies carry Secure: [auth] cookie_secure when the file sets it, else on
    whenever central listens beyond loopback or its public address ([tickets] public_url) is https."""
    if "cookie_secure" in cfg.auth.model_fields_set:
        return cfg.auth.cookie_secure
    return not loopback(cfg.central.http_host) or cfg.tickets.public_url.startswith("https://")


def load_central(path: str | Path) -> CentralFile:
    """Read and validate a central TOML file; raises ConfigError saying what is wrong."""
    return load(CentralFile, path)


def parse_central(data: dict[str, Any], source: str = "<central config>") -> CentralFile:
    """Validate a central configuration already read into a dict; raises ConfigError naming `source`."""
    return parse(CentralFile, data, source)


__all__ = ["CentralConfig", "CentralFile", "ConfigError", "load_central", "loopback", "parse_central", "secure_cookies"]
