"""Configuration shared by edge and central: loading, errors, and the common sections.

One TOML file per process, validated at start-up (edge/config.py and central/config.py
define the file layouts).

Errors name the file, the key and what is wrong, e.g.
    frontdesk.toml: mqtt.port: Input should be less than or equal to 65535 (got 70000)
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .topics import ID_PATTERN


class ConfigError(Exception):
    """A configuration file that cannot be used; str() is the message to show."""


class Section(BaseModel):
    """Base for config sections: unknown keys are errors (typos must not pass silently)."""

    model_config = ConfigDict(extra="forbid")


class SiteConfig(Section):
    """The [site] section: its id (an MQTT-safe name), display name, IANA time zone and two-letter country."""

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


class MqttConfig(Section):
    """The [mqtt] section: the broker's address, keep-alive, session expiry and how this client proves
    who it is: a client certificate from the fleet CA (tls_cert/tls_key, what `frontdesk edge enroll`
    installs) or a user name and password."""

    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password: str | None = None
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    # Broker keeps the session (queued QoS 1 messages) this long while the client is away.
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=0)
    # The only CA whose broker certificate is accepted (the fleet CA; the system's CAs are not used).
    tls_ca: Path | None = None
    # This client's certificate and private key (PEM). The files are re-read on every connection,
    # and a change to them makes the link reconnect: re-credentialing needs no restart.
    tls_cert: Path | None = None
    tls_key: Path | None = None

    @model_validator(mode="after")
    def _tls_complete(self) -> MqttConfig:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        if self.tls_cert is not None and self.tls_ca is None:
            raise ValueError("a client certificate needs tls_ca (the CA the broker's certificate must come from)")
        return self


def section_toml(name: str, section: BaseModel) -> str:
    """`section` as the TOML table `[name]`, with the keys it was given (not its defaults): how the
    tools that write configuration (enrolment, the fleet, the demo) write it. Values are strings,
    numbers, booleans, paths or lists of those, whose JSON form is also valid TOML."""
    values = section.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    return f"[{name}]\n" + "".join(f"{key} = {json.dumps(value, ensure_ascii=False)}\n"
                                    for key, value in values.items())


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
    """`data` validated as `model`; ConfigError naming `source`, each bad key and what is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_describe(err, source)) from None


def load(model: type[BaseModel], path: str | Path) -> Any:
    """The TOML file at `path` validated as `model`; ConfigError if it cannot be read, is not UTF-8
    TOML, or does not validate."""
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


