"""The enrolment bundle: the one file that turns a blank edge into a device of the fleet.

Central writes it (`frontdesk central device add|recredential|enable`), the edge installs it
(`frontdesk edge enroll`); this model is the contract between them, like the event schema.
It holds the device's private key: it is written with mode 0600, goes to the device by a trusted
hand (a USB stick, an SSH copy), and should be deleted once installed.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .topics import ID_PATTERN

FORMAT = "frontdesk-enrolment/1"
MAX_BUNDLE_BYTES = 256 * 1024


def identity(site: str, device: str) -> str:
    """A device's name on the broker: its certificate's common name, so its MQTT user and client id.
    '@' cannot occur in a site or device id, so no device can be named into another's identity."""
    return f"{device}@{site}"


class BundleError(ValueError):
    """A file that is not a usable enrolment bundle; the message says why."""


class BundleSite(BaseModel):
    """The [site] the device belongs to, as central registered it."""
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=f"^{ID_PATTERN}$")
    name: str = Field(default="", max_length=120)
    timezone: str = Field(max_length=64)
    country: str = Field(pattern="^[a-z]{2}$")


class Bundle(BaseModel):
    """Everything an edge needs to join: who it is, where the broker is, what to trust."""
    model_config = ConfigDict(extra="forbid")
    format: str = Field(pattern=f"^{FORMAT}$")
    site: BundleSite
    device: str = Field(pattern=f"^{ID_PATTERN}$")
    role: str = Field(pattern="^[a-z]{1,16}$")
    issued_at: datetime
    broker_host: str = Field(min_length=1, max_length=253)
    broker_port: int = Field(ge=1, le=65535)
    ca_certificate: str = Field(max_length=16_384)   # PEM: the fleet CA (the broker's cert must chain to it)
    certificate: str = Field(max_length=16_384)      # PEM: this device's client certificate
    private_key: str = Field(max_length=16_384)      # PEM: its key (PKCS#8)
    serial: str = Field(pattern="^[0-9a-f]{1,64}$")
    # "ed25519:<base64>" keys: the site's pass-signing key(s) and central's command-signing key(s).
    pass_public_keys: list[str] = Field(default_factory=list, max_length=16)
    command_public_keys: list[str] = Field(min_length=1, max_length=16)
    # The edge file's device sections for the role, to edit on the spot (printer and modem paths).
    config_template: str = Field(default="", max_length=32_768)


def dump_bundle(bundle: Bundle) -> bytes:
    """The bundle as the bytes of its file (JSON, UTF-8)."""
    return (json.dumps(bundle.model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n").encode()


def load_bundle(path: str | Path) -> Bundle:
    """Read and validate a bundle file; BundleError saying why it cannot be used."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BUNDLE_BYTES + 1)
    except OSError as err:
        raise BundleError(f"{path}: cannot read: {err.strerror}") from None
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleError(f"{path}: larger than any enrolment bundle ({MAX_BUNDLE_BYTES} bytes)")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise BundleError(f"{path}: not an enrolment bundle (not JSON: {err})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BundleError(f"{path}: not an enrolment bundle (format is not {FORMAT!r})")
    try:
        return Bundle.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BundleError(f"{path}: {where}: {first['msg']}") from None
