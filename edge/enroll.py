"""`frontdesk edge enroll BUNDLE`: install an enrolment bundle from central.

    <dir>/edge.toml          the edge's file (written when absent: site, device, broker, trust,
                             and the role's device sections to edit on the spot)
    <dir>/tls/fleet-ca.crt   the only CA the broker's certificate may come from
    <dir>/tls/device.crt     this device's certificate (CN <device>@<site>)
    <dir>/tls/device.key     its private key, mode 0600

Re-enrolling with a new bundle of the same device (re-credentialing) replaces only the three
credential files, key first: a running agent notices and reconnects with them (frontdesk/mqtt.py),
so nothing is restarted and nothing is lost. Before anything is written the bundle is checked:
the certificate must be issued by the bundle's CA, name this site and device, match the key,
and be within its validity.
"""
from __future__ import annotations

import pwd
import shutil
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from frontdesk.config import MqttConfig, SiteConfig, section_toml
from frontdesk.enrolment import Bundle, BundleError, identity
from frontdesk.runtime.files import DIR_MODE, SHARED_MODE, private_dir, private_file, write_file

from .config import ConfigError, EdgeConfig, UplinkConfig, parse_edge

DEFAULT_DIR = Path("/etc/frontdesk")
DEFAULT_DATA_DIR = Path("/var/lib/frontdesk/edge")


@dataclass(frozen=True)
class Installed:
    """What enroll() did: the config file, whether it was written, and the certificate's serial."""
    config: Path
    config_written: bool
    serial: str
    warnings: tuple[str, ...] = ()


def check_bundle(bundle: Bundle) -> None:
    """BundleError unless the certificate is the CA's, names the bundle's device, matches its key
    and is valid now."""
    try:
        ca = x509.load_pem_x509_certificate(bundle.ca_certificate.encode())
        cert = x509.load_pem_x509_certificate(bundle.certificate.encode())
        key = serialization.load_pem_private_key(bundle.private_key.encode(), None)
    except ValueError as err:
        raise BundleError(f"the bundle's certificates or key cannot be read: {err}") from None
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        raise BundleError("the device certificate was not issued by the bundle's CA") from None
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    expected = identity(bundle.site.id, bundle.device)
    if not names or names[0].value != expected:
        raise BundleError(f"the certificate is not for {expected}")
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if cert.public_key().public_bytes(*spki) != key.public_key().public_bytes(*spki):
        raise BundleError("the private key does not belong to the certificate")
    now = datetime.now(UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise BundleError(f"the certificate is valid only from {cert.not_valid_before_utc:%Y-%m-%d %H:%M} "
                          f"to {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC (is this clock right?)")


def mqtt_section(bundle: Bundle, tls_dir: Path) -> str:
    """The [mqtt] section for the bundle's broker and the credential files enroll() writes."""
    return section_toml("mqtt", MqttConfig(host=bundle.broker_host, port=bundle.broker_port,
                                           tls_ca=tls_dir / "fleet-ca.crt", tls_cert=tls_dir / "device.crt",
                                           tls_key=tls_dir / "device.key"))


def edge_config_text(bundle: Bundle, tls_dir: Path, data_dir: Path, device_sections: str | None = None,
                     **uplink: Any) -> str:
    """A whole edge file for the bundle: its [site], [edge], [mqtt] with the credential files,
    [uplink] trusting central's command keys (plus `uplink` keys), then the device sections: the
    role's from the bundle, or `device_sections` (the demo's emulated hardware)."""
    site = bundle.site
    return (f"# Written by `frontdesk edge enroll` for {identity(site.id, bundle.device)} ({bundle.role}); edit\n"
            f"# the device sections below for this machine's hardware. Re-enrolling replaces only {tls_dir}.\n"
            + section_toml("site", SiteConfig(**site.model_dump())) + "\n"
            + section_toml("edge", EdgeConfig(device=bundle.device, data_dir=data_dir)) + "\n"
            + mqtt_section(bundle, tls_dir) + "\n"
            + section_toml("uplink", UplinkConfig(command_public_keys=bundle.command_public_keys, **uplink))
            + (bundle.config_template if device_sections is None else device_sections))


def enroll(bundle: Bundle, directory: Path = DEFAULT_DIR, data_dir: Path = DEFAULT_DATA_DIR,
           replace_config: bool = False, owner: str | None = None) -> Installed:
    """Install `bundle` under `directory` (see the module docstring); BundleError if the bundle
    or an existing file of another device stands in the way. `owner`: the user the agent runs as
    (enroll usually runs as root; the agent must read its key), given the files and tls folder."""
    check_bundle(bundle)
    tls_dir = directory / "tls"
    config = directory / "edge.toml"
    warnings: list[str] = []
    text = None  # the new edge file, unless this device's own is kept
    if config.exists() and not replace_config:
        warnings = _check_existing(config, bundle, tls_dir)
    else:
        text = edge_config_text(bundle, tls_dir, data_dir)
        try:
            parse_edge(tomllib.loads(text), str(config))
        except (ConfigError, tomllib.TOMLDecodeError) as err:
            raise BundleError(f"the bundle's configuration does not validate: {err}") from None
    private_dir(directory, DIR_MODE)
    private_dir(tls_dir)
    # Key first: the agent acts only once both files have settled, and a key without its new
    # certificate is never presented (the old pair stays loaded until the new one matches).
    private_file(tls_dir / "device.key", bundle.private_key.encode())
    write_file(tls_dir / "device.crt", bundle.certificate.encode(), SHARED_MODE)
    write_file(tls_dir / "fleet-ca.crt", bundle.ca_certificate.encode(), SHARED_MODE)
    if text is not None:
        write_file(config, text.encode(), SHARED_MODE)
    if owner:
        group = pwd.getpwnam(owner).pw_gid  # the user's own group; KeyError if there is no such user
        for path in (tls_dir, tls_dir / "device.key", tls_dir / "device.crt", tls_dir / "fleet-ca.crt", config):
            shutil.chown(path, owner, group)
    return Installed(config, text is not None, bundle.serial, tuple(warnings))


def _check_existing(config: Path, bundle: Bundle, tls_dir: Path) -> list[str]:
    """Warnings about the existing edge file of this device (it stays); BundleError if it belongs to
    another device or cannot be read."""
    warnings: list[str] = []
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise BundleError(f"{config} exists and cannot be read ({err}); use --replace-config") from None
    have = (data.get("site", {}).get("id"), data.get("edge", {}).get("device"))
    if have != (bundle.site.id, bundle.device):
        raise BundleError(f"{config} belongs to {have[1]}@{have[0]}, not "
                          f"{identity(bundle.site.id, bundle.device)}; use --replace-config to start this "
                          "machine over as the bundle's device")
    mqtt = data.get("mqtt", {})
    for key, name in (("tls_ca", "fleet-ca.crt"), ("tls_cert", "device.crt"), ("tls_key", "device.key")):
        if mqtt.get(key) != str(tls_dir / name):
            warnings.append(f"{config}: [mqtt] {key} is {mqtt.get(key)!r}, not {str(tls_dir / name)!r}: "
                            "the agent will not use the new credential")
    trusted = set(data.get("uplink", {}).get("command_public_keys", []))
    if not set(bundle.command_public_keys) & trusted:
        warnings.append(f"{config}: [uplink] command_public_keys trusts none of central's current keys; "
                        "commands will be refused until a command_keys.update arrives")
    return warnings
