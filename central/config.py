"""The central service's configuration file: [central], [mqtt] and the [sites.<id>] it serves."""
from __future__ import annotations

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


def load_central(path: str | Path) -> CentralFile:
    """Read and validate a central TOML file; raises ConfigError saying what is wrong."""
    return load(CentralFile, path)


def parse_central(data: dict[str, Any], source: str = "<central config>") -> CentralFile:
    """Validate a central configuration already read into a dict; raises ConfigError naming `source`."""
    return parse(CentralFile, data, source)


__all__ = ["CentralConfig", "CentralFile", "ConfigError", "load_central", "parse_central"]
