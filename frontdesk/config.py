"""Configuration: one TOML file per process, validated at start-up.

Errors name the file, the key and what is wrong, e.g.
    frontdesk.toml: mqtt.port: Input should be less than or equal to 65535 (got 70000)
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .topics import ID_PATTERN


class ConfigError(Exception):
    """A configuration file that cannot be used; str() is the message to show."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteConfig(_Section):
    id: str = Field(pattern=f"^{ID_PATTERN}$")
    name: str = ""
    timezone: str = "Asia/Shanghai"
    country: str = Field(default="cn", pattern="^[a-z]{2}$")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from None
        return value


class MqttConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password: str | None = None
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    # Broker keeps the session (queued QoS 1 messages) this long while the client is away.
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=0)
    tls_ca: Path | None = None


class UplinkConfig(_Section):
    batch_max_events: int = Field(default=500, ge=1, le=5000)
    batch_linger_ms: int = Field(default=5, ge=0, le=5000)
    # Events published but not yet committed by central; beyond this the uplink waits.
    window_events: int = Field(default=20000, ge=1)
    ack_timeout_s: float = Field(default=20.0, gt=0)
    backoff_min_s: float = Field(default=0.5, gt=0)
    backoff_max_s: float = Field(default=30.0, gt=0)
    poll_ms: int = Field(default=20, ge=1, le=5000)


class EdgeConfig(_Section):
    device: str = Field(pattern=f"^{ID_PATTERN}$")
    data_dir: Path = Path("/var/lib/frontdesk/edge")
    # Journal retention: acknowledged events older than this are pruned from the edge.
    keep_days: int = Field(default=30, ge=1)


class CentralConfig(_Section):
    database_url: str = "sqlite:////var/lib/frontdesk/central/central.db"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8400, ge=0, le=65535)
    batch_max_messages: int = Field(default=200, ge=1)
    batch_linger_ms: int = Field(default=10, ge=0, le=5000)
    command_retry_s: float = Field(default=15.0, gt=0)
    client_id: str = Field(default="frontdesk-central", pattern=f"^{ID_PATTERN}$")

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not (value.startswith("sqlite:") or value.startswith("postgresql")):
            raise ValueError("must be a sqlite:/// path or a postgresql:// URL")
        return value


class EdgeFile(_Section):
    site: SiteConfig
    edge: EdgeConfig
    mqtt: MqttConfig = MqttConfig()
    uplink: UplinkConfig = UplinkConfig()


class CentralFile(_Section):
    central: CentralConfig = CentralConfig()
    mqtt: MqttConfig = MqttConfig()
    sites: dict[str, SiteConfig] = {}


def _describe(err: ValidationError, source: str) -> str:
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key (a typo?)"
        elif e["type"] == "missing":
            msg = "required key is missing"
        elif "input" in e and not isinstance(e["input"], dict):
            msg = f"{msg} (got {e['input']!r})"
        lines.append(f"{source}: {key}: {msg}")
    return "\n".join(lines)


def parse(model: type[BaseModel], data: dict[str, Any], source: str = "<config>") -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_describe(err, source)) from None


def load(model: type[BaseModel], path: str | Path) -> Any:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    return parse(model, data, str(path))


def load_edge(path: str | Path) -> EdgeFile:
    return load(EdgeFile, path)


def load_central(path: str | Path) -> CentralFile:
    return load(CentralFile, path)
