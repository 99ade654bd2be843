"""The fleet CA: one private CA per property company, made and kept by central.
Serials are random 159-bit numbers (RFC 5280 §4.1.2.2), so no serial counter is kept.

    <fleet dir>/ca/ca.key         the CA's private key (mode 0600; never leaves central)
    <fleet dir>/ca/ca.crt         the CA certificate every edge and the broker trust

ECDSA P-256 throughout: small certificates, fast handshakes on a Raspberry Pi, and supported by
every OpenSSL Mosquitto is built with. A device's private key is made here, goes into its
enrolment bundle and is not kept by central.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from frontdesk.runtime.files import check_secret, private_file

CA_DAYS = 20 * 365
# A CRL past its nextUpdate makes OpenSSL refuse every client, so it is re-signed on every change
# of the fleet and by `frontdesk central broker-config`, and is valid long after that.
CRL_DAYS = 5 * 365
# Certificates start a little in the past: a Pi whose clock lags a few minutes must not refuse one.
CLOCK_SKEW = timedelta(minutes=10)


class FleetCAError(Exception):
    """The CA cannot do what was asked (missing, unreadable); the message says why."""


@dataclass(frozen=True)
class Issued:
    """A certificate just issued, with its private key (PEM) and its serial as hex."""
    certificate_pem: bytes
    private_key_pem: bytes
    serial: str
    not_after: datetime


def write_private(path: Path, data: bytes) -> None:
    """Write a secret (a key, a bundle) with mode 0600 from the start: no window where others can
    read it (frontdesk/runtime/files.py private_file, the one rule for secrets)."""
    private_file(path, data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "frontdesk"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class FleetCA:
    """The CA in `<fleet dir>/ca/`; create() makes it once, the rest load it."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory) / "ca"
        self.key_path = self.dir / "ca.key"
        self.cert_path = self.dir / "ca.crt"
        self._loaded: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None = None

    def exists(self) -> bool:
        """True once create() has run."""
        return self.key_path.exists() and self.cert_path.exists()

    def create(self, organisation: str) -> None:
        """Make the CA key and its self-signed certificate; FleetCAError if one exists already."""
        if self.exists():
            raise FleetCAError(f"{self.dir} already holds a fleet CA")
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        name = _name(f"{organisation} frontdesk fleet CA")
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - CLOCK_SKEW).not_valid_after(now + timedelta(days=CA_DAYS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             key_cert_sign=True, crl_sign=True, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(ski, critical=False)
                .sign(key, hashes.SHA256()))
        write_private(self.key_path, _key_pem(key))
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def _load(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        if self._loaded is None:
            check_secret(self.key_path, "the fleet CA's private key")
            try:
                key = serialization.load_pem_private_key(self.key_path.read_bytes(), None)
                cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
            except OSError as err:
                raise FleetCAError(f"{self.dir}: no fleet CA ({err.strerror}); run `frontdesk central "
                                   "broker-config` or `site add` first") from None
            except ValueError as err:
                raise FleetCAError(f"{self.dir}: the fleet CA cannot be read: {err}") from None
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise FleetCAError(f"{self.key_path}: not an EC private key")
            self._loaded = (key, cert)
        return self._loaded

    def certificate_pem(self) -> bytes:
        """The CA certificate (PEM), what edges and the broker trust."""
        return self._load()[1].public_bytes(serialization.Encoding.PEM)

    def issue(self, cn: str, *, days: int, server_names: list[str] | None = None) -> Issued:
        """A new key and a certificate for `cn`: a client certificate, or with `server_names`
        (host names and IP addresses) the broker's server certificate."""
        ca_key, ca_cert = self._load()
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        not_after = now + timedelta(days=days)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server_names else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca_cert.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - CLOCK_SKEW).not_valid_after(not_after)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=True, key_cert_sign=False, crl_sign=False,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                  critical=False))
        if server_names:
            builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(n) for n in server_names]),
                                            critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return Issued(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key), format(cert.serial_number, "x"),
                      not_after)

    def crl_pem(self, revoked: list[tuple[str, datetime]]) -> bytes:
        """A CRL naming these (serial hex, revoked at) certificates, signed now."""
        ca_key, ca_cert = self._load()
        now = datetime.now(UTC)
        builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
                   .last_update(now - CLOCK_SKEW).next_update(now + timedelta(days=CRL_DAYS))
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                  critical=False))
        for serial, when in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(int(serial, 16)).revocation_date(when).build())
        return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)
