"""The edge's configuration file.

[site], [edge], [mqtt] and [uplink] are the agent's own. Each device service (phone, printer,
kiosk, ...) owns one more section, whose model it declares in edge/services.py; a service runs
when its section is present.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, create_model, field_validator

from frontdesk.config import ConfigError, MqttConfig, Section, SiteConfig, load
from frontdesk.passes import check_public_keys
from frontdesk.topics import ID_PATTERN

from .privacy.config import RetentionConfig
from .services import section_models


class UplinkConfig(Section):
    """The [uplink] section: batch size and linger, the unacknowledged window, resend and reconnect timing,
    and the keys that sign the commands this edge accepts."""
    batch_max_events: int = Field(default=500, ge=1, le=5000)
    batch_linger_ms: int = Field(default=5, ge=0, le=5000)
    # Events published but not yet committed by central; beyond this the uplink waits for acks.
    window_events: int = Field(default=20000, ge=1)
    # No ack for this long while events are in flight: publish them again (central dedups).
    ack_timeout_s: float = Field(default=20.0, gt=0)
    backoff_min_s: float = Field(default=0.5, gt=0)
    backoff_max_s: float = Field(default=30.0, gt=0)
    poll_ms: int = Field(default=20, ge=1, le=5000)
    # Central's command-signing public keys ("ed25519:<base64>" or PEM file paths; `frontdesk central
    # keys show` prints them). Commands signed by anything else are refused; keys central later
    # delivers in a signed `command_keys.update` are trusted too (README "Signed commands").
    command_public_keys: list[str] = Field(default_factory=list)

    _command_keys_load = field_validator("command_public_keys")(classmethod(lambda cls, v: check_public_keys(v)))


class EdgeConfig(Section):
    """The [edge] section: this device's id, its data folder, how long confirmed events are kept."""
    device: str = Field(pattern=f"^{ID_PATTERN}$")
    data_dir: Path = Path("/var/lib/frontdesk/edge")
    # Events central has confirmed are kept on the edge this long, then pruned.
    keep_days: int = Field(default=30, ge=1)
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")

    @property
    def journal_path(self) -> Path:
        """The journal's SQLite file: data_dir/journal.db."""
        return self.data_dir / "journal.db"


class EdgeFileBase(Section):
    """The agent's own sections of an edge file; edge_file_model() adds one per device service."""
    site: SiteConfig
    edge: EdgeConfig
    mqtt: MqttConfig = MqttConfig()
    uplink: UplinkConfig = UplinkConfig()
    # Days per kind of personal data until central sends the site's own (edge/privacy/config.py).
    retention: RetentionConfig = RetentionConfig()

    def service_sections(self) -> dict[str, BaseModel]:
        """The configured device services, by section name."""
        return {name: getattr(self, name) for name in section_models() if getattr(self, name, None) is not None}


def edge_file_model() -> type[EdgeFileBase]:
    """The whole edge file's model: EdgeFileBase plus each service's section (None when absent)."""
    fields: dict[str, Any] = {name: (model | None, None) for name, model in section_models().items()}
    return create_model("EdgeFile", __base__=EdgeFileBase, **fields)


def load_edge(path: str | Path) -> EdgeFileBase:
    """Read and validate an edge TOML file; raises ConfigError saying what is wrong."""
    return load(edge_file_model(), path)


def parse_edge(data: dict[str, Any], source: str = "<edge config>") -> EdgeFileBase:
    """Validate an edge configuration already read into a dict; raises ConfigError naming `source`."""
    from frontdesk.config import parse
    return parse(edge_file_model(), data, source)


__all__ = ["ConfigError", "EdgeConfig", "EdgeFileBase", "UplinkConfig", "edge_file_model", "load_edge", "parse_edge"]
