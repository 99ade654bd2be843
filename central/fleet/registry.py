"""The fleet registry: sites and devices central serves, and what each may prove itself with.

Every change here rewrites the broker's ACL and CRL (broker.py) and runs `[fleet]
reload_command`, so the broker enforces the registry within a second: a disabled device's
certificate is refused at the handshake and its topics are closed to it.
"""
from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from sqlalchemy import and_, insert, select, update

from frontdesk.config import SiteConfig
from frontdesk.enrolment import FORMAT, Bundle, BundleSite, dump_bundle, identity
from frontdesk.passes.keys import generate_key, load_private_key, public_text, save_private_key

from ..store import Store
from . import broker, roles
from .ca import FleetCA, write_private
from .settings import FleetConfig
from .tables import fleet_credentials, fleet_devices, fleet_sites

log = logging.getLogger(__name__)

# Device names central's own writers use in the event log: no edge may be registered as one.
RESERVED_DEVICES = ("central", "central-rules", "central-quarantine")
SERVER_DAYS = 825


class FleetError(Exception):
    """A fleet change that cannot be made (unknown site, duplicate device, ...); says why."""


def _made_pass_key(fleet_dir: Path, site: str) -> Path:
    return Path(fleet_dir) / "sites" / site / "pass.key"


def site_pass_key(fleet_dir: Path | None, site: str) -> Path | None:
    """The pass-signing key `site add` made for `site`, if there is one."""
    path = _made_pass_key(fleet_dir, site) if fleet_dir is not None else None
    return path if path is not None and path.exists() else None


@dataclass
class Fleet:
    """The registry in `store`, the CA and broker files under `cfg.dir`. `pass_keys` are central's
    configured site pass keys ([tickets.pass_keys]); `command_public_keys` what edges must trust
    for commands (central's keyring)."""
    store: Store
    cfg: FleetConfig
    pass_keys: dict[str, Path]
    command_public_keys: list[str]

    def __post_init__(self) -> None:
        if self.cfg.dir is None:
            raise FleetError("set [fleet] dir in central's file first (where the fleet CA and broker files live)")
        self.dir = Path(self.cfg.dir)
        self.ca = FleetCA(self.dir)
        self.broker_dir = self.dir / "broker"

    # -- the broker ------------------------------------------------------------------------------

    def ensure_ca(self) -> None:
        """Make the fleet CA on first use."""
        if not self.ca.exists():
            self.ca.create(self.cfg.organisation)
            log.info("fleet: made the fleet CA in %s", self.ca.dir)

    def write_broker_config(self) -> Path:
        """(Re)write mosquitto.conf, the ACL, the CRL, the broker's certificate (when missing or
        within 30 days of expiry) and central's own client certificate; returns mosquitto.conf."""
        self.ensure_ca()
        self.broker_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
        names = list(dict.fromkeys([self.cfg.broker_host, *self.cfg.broker_names]))
        if _expiring(self.broker_dir / "server.crt") or _names(self.broker_dir / "server.crt") != set(names):
            issued = self.ca.issue(self.cfg.broker_host, days=SERVER_DAYS, server_names=names)
            write_private(self.broker_dir / "server.key", issued.private_key_pem)
            (self.broker_dir / "server.crt").write_bytes(issued.certificate_pem)
        central_dir = self.dir / "central"
        if _expiring(central_dir / "central.crt"):
            issued = self.ca.issue(broker.CENTRAL_IDENTITY, days=SERVER_DAYS)
            write_private(central_dir / "central.key", issued.private_key_pem)
            (central_dir / "central.crt").write_bytes(issued.certificate_pem)
        conf = self.broker_dir / "mosquitto.conf"
        conf.write_text(broker.render_conf(self.cfg, str(self.broker_dir.resolve()), str(self.ca.cert_path.resolve())))
        self._write_access(reload=False)
        return conf

    def central_credentials(self) -> tuple[Path, Path, Path]:
        """(CA, certificate, key) central's own MQTT link uses: its [mqtt] tls_ca/tls_cert/tls_key."""
        return self.ca.cert_path, self.dir / "central" / "central.crt", self.dir / "central" / "central.key"

    def _write_access(self, *, reload: bool = True) -> None:
        with self.store.engine.connect() as conn:
            active = [(r.site, r.device) for r in conn.execute(
                select(fleet_devices.c.site, fleet_devices.c.device).where(fleet_devices.c.state == "active"))]
            revoked = [(r.serial, r.revoked_at) for r in conn.execute(
                select(fleet_credentials.c.serial, fleet_credentials.c.revoked_at)
                .where(fleet_credentials.c.revoked_at.is_not(None)))]
        self.broker_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
        _replace(self.broker_dir / "frontdesk.acl", broker.render_acl(active).encode())
        _replace(self.broker_dir / "crl.pem", self.ca.crl_pem([(s, _aware(t)) for s, t in revoked]))
        if reload and self.cfg.reload_command:
            result = subprocess.run(self.cfg.reload_command, capture_output=True, text=True, timeout=60)
            if result.returncode != 0:
                raise FleetError(f"the broker's files are written but {' '.join(self.cfg.reload_command)!r} "
                                 f"failed ({result.returncode}): {result.stderr.strip()[:300]}")

    # -- sites -------------------------------------------------------------------------------------

    def add_site(self, site: SiteConfig) -> Path:
        """Register a site and give it a pass-signing key (unless [tickets.pass_keys] names one);
        returns the key's path."""
        self.ensure_ca()
        with self.store.engine.begin() as conn:
            if conn.execute(select(fleet_sites.c.site).where(fleet_sites.c.site == site.id)).first():
                raise FleetError(f"site {site.id!r} is registered already")
            conn.execute(insert(fleet_sites).values(site=site.id, name=site.name, timezone=site.timezone,
                                                    country=site.country, created_at=_now()))
        key_path = self.pass_keys.get(site.id) or _made_pass_key(self.dir, site.id)
        if not key_path.exists():
            save_private_key(generate_key(), key_path)  # 0600, in a 0700 folder if it makes one
        return key_path

    def sites(self) -> list[dict[str, Any]]:
        """The registered sites."""
        with self.store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(fleet_sites).order_by(fleet_sites.c.site))]

    # -- devices -----------------------------------------------------------------------------------

    def add_device(self, site: str, device: str, role: str) -> bytes:
        """Register a device of `site` with `role` and return its enrolment bundle."""
        if role not in roles.ROLES:
            raise FleetError(f"unknown role {role!r} (one of: {', '.join(roles.ROLES)})")
        if device in RESERVED_DEVICES or device.startswith("central-"):
            raise FleetError(f"{device!r} is reserved for central's own events")
        self._site(site)
        with self.store.engine.begin() as conn:
            if self._device_row(conn, site, device):
                raise FleetError(f"{site}/{device} is registered already (re-credential it instead)")
            conn.execute(insert(fleet_devices).values(site=site, device=device, role=role, state="active",
                                                      created_at=_now()))
        return self._issue(site, device, role)

    def devices(self, site: str | None = None) -> list[dict[str, Any]]:
        """The registered devices with their credentials (serial, not_after, revoked_at)."""
        with self.store.engine.connect() as conn:
            query = select(fleet_devices).order_by(fleet_devices.c.site, fleet_devices.c.device)
            if site:
                query = query.where(fleet_devices.c.site == site)
            rows = [dict(r._mapping) for r in conn.execute(query)]
            creds = conn.execute(select(fleet_credentials).order_by(fleet_credentials.c.issued_at)).all()
        for row in rows:
            row["credentials"] = [{"serial": c.serial, "issued_at": c.issued_at, "not_after": c.not_after,
                                   "revoked_at": c.revoked_at}
                                  for c in creds if (c.site, c.device) == (row["site"], row["device"])]
        return rows

    def disable(self, site: str, device: str, reason: str = "") -> int:
        """Disable a device: revoke every certificate it holds and close its topics; returns how
        many certificates were revoked. Its events already stored stay."""
        now = _now()
        with self.store.engine.begin() as conn:
            if not self._device_row(conn, site, device):
                raise FleetError(f"{site}/{device} is not registered")
            conn.execute(update(fleet_devices).where(_is(site, device))
                         .values(state="disabled", disabled_at=now, disabled_reason=reason[:200] or None))
            revoked = self._revoke(conn, site, device, now, keep=None)
        self._write_access()
        return revoked

    def enable(self, site: str, device: str) -> bytes:
        """Enable a disabled device again, with a new credential (its old ones stay revoked)."""
        with self.store.engine.begin() as conn:
            row = self._device_row(conn, site, device)
            if not row:
                raise FleetError(f"{site}/{device} is not registered")
            if row.state == "active":
                raise FleetError(f"{site}/{device} is active (re-credential it instead)")
            conn.execute(update(fleet_devices).where(_is(site, device))
                         .values(state="active", disabled_at=None, disabled_reason=None))
        return self._issue(site, device, row.role)

    def recredential(self, site: str, device: str) -> bytes:
        """A new certificate for an active device, returned in a new bundle. The old ones stay valid
        until `retire_old`, so the device keeps syncing until it has installed the new one."""
        with self.store.engine.connect() as conn:
            row = self._device_row(conn, site, device)
        if not row:
            raise FleetError(f"{site}/{device} is not registered")
        if row.state != "active":
            raise FleetError(f"{site}/{device} is disabled (enable it instead)")
        return self._issue(site, device, row.role)

    def retire_old(self, site: str, device: str) -> int:
        """Revoke every certificate of the device but the newest; returns how many."""
        with self.store.engine.begin() as conn:
            newest = conn.execute(select(fleet_credentials.c.serial).where(
                _cred_of(site, device), fleet_credentials.c.revoked_at.is_(None))
                .order_by(fleet_credentials.c.issued_at.desc()).limit(1)).scalar()
            if newest is None:
                raise FleetError(f"{site}/{device} holds no valid certificate")
            revoked = self._revoke(conn, site, device, _now(), keep=newest)
        self._write_access()
        return revoked

    # -- internals -----------------------------------------------------------------------------

    def _site(self, site: str) -> Any:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(fleet_sites).where(fleet_sites.c.site == site)).first()
        if not row:
            raise FleetError(f"site {site!r} is not registered (frontdesk central site add)")
        return row

    @staticmethod
    def _device_row(conn: Any, site: str, device: str) -> Any:
        return conn.execute(select(fleet_devices).where(_is(site, device))).first()

    @staticmethod
    def _revoke(conn: Any, site: str, device: str, now: datetime, keep: str | None) -> int:
        where = and_(_cred_of(site, device), fleet_credentials.c.revoked_at.is_(None))
        if keep is not None:
            where = and_(where, fleet_credentials.c.serial != keep)
        return conn.execute(update(fleet_credentials).where(where).values(revoked_at=now)).rowcount

    def _issue(self, site: str, device: str, role: str) -> bytes:
        """A new certificate for the device, recorded, the broker told; the bundle's bytes."""
        self.ensure_ca()
        site_row = self._site(site)
        if not self.command_public_keys:
            raise FleetError("central has no command-signing key to put in the bundle "
                             "(set [central] command_key_dir and run `frontdesk central keys create`)")
        issued = self.ca.issue(identity(site, device), days=self.cfg.device_days)
        with self.store.engine.begin() as conn:
            conn.execute(insert(fleet_credentials).values(serial=issued.serial, site=site, device=device,
                                                          issued_at=_now(), not_after=issued.not_after))
        self._write_access()
        key_path = self.pass_keys.get(site) or site_pass_key(self.dir, site)
        pass_keys = [public_text(load_private_key(key_path))] if key_path else []
        bundle = Bundle(format=FORMAT, site=BundleSite(id=site, name=site_row.name, timezone=site_row.timezone,
                                                       country=site_row.country),
                        device=device, role=role, issued_at=_now(), broker_host=self.cfg.broker_host,
                        broker_port=self.cfg.broker_port, ca_certificate=self.ca.certificate_pem().decode(),
                        certificate=issued.certificate_pem.decode(), private_key=issued.private_key_pem.decode(),
                        serial=issued.serial, pass_public_keys=pass_keys,
                        command_public_keys=self.command_public_keys,
                        config_template=roles.config_template(role, property_name=site_row.name,
                                                              pass_public_keys=pass_keys))
        return dump_bundle(bundle)


def _is(site: str, device: str) -> Any:
    return and_(fleet_devices.c.site == site, fleet_devices.c.device == device)


def _cred_of(site: str, device: str) -> Any:
    return and_(fleet_credentials.c.site == site, fleet_credentials.c.device == device)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _replace(path: Path, data: bytes) -> None:
    """Write whole or not at all: the broker may re-read the file at any moment."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _certificate(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


def _expiring(cert_path: Path, days: int = 30) -> bool:
    """True when the certificate is missing, unreadable or expires within `days`."""
    cert = _certificate(cert_path)
    return cert is None or (cert.not_valid_after_utc - _now()).days < days


def _names(cert_path: Path) -> set[str]:
    """The host names and addresses a server certificate carries (a changed [fleet] broker_host or
    broker_names means a new one)."""
    cert = _certificate(cert_path)
    if cert is None:
        return set()
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {*san.get_values_for_type(x509.DNSName), *(str(a) for a in san.get_values_for_type(x509.IPAddress))}
