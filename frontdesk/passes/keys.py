"""Ed25519 site keys: generate, store, load, and their short key ids.

Central holds each site's private key and signs visitor passes with it; edges hold only the
public key(s), so a stolen kiosk cannot mint passes. Several public keys may be trusted at
once (key rotation), told apart by the 4-byte key id carried in every pass.

Public keys are written as "ed25519:<base64 of the 32 raw bytes>" (fits a TOML string) or as
PEM files; private keys as PKCS#8 PEM files readable only by their owner.
"""
from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..runtime.files import check_secret, private_file

PUBLIC_PREFIX = "ed25519:"


class KeyError_(ValueError):
    """A key that cannot be used; the message says why."""


def generate_key() -> Ed25519PrivateKey:
    """A new random Ed25519 site signing key."""
    return Ed25519PrivateKey.generate()


def raw_public(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """The 32 raw bytes of the public key (of a private key's public half)."""
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """4 bytes naming a key: the start of SHA-256 over its raw public bytes."""
    return hashlib.sha256(raw_public(key)).digest()[:4]


def public_text(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The public key as "ed25519:<base64 of the 32 raw bytes>", the form configuration files take."""
    return PUBLIC_PREFIX + base64.b64encode(raw_public(key)).decode("ascii")


def check_public_keys(values: list[str]) -> list[str]:
    """`values` unchanged if every one loads as a public key (a configuration check); else KeyError_
    (a ValueError, so a pydantic validator reports it against the key that holds the list)."""
    for value in values:
        load_public_key(value)
    return values


def load_public_key(value: str) -> Ed25519PublicKey:
    """A public key from "ed25519:<base64>", a PEM text, or the path of a PEM/text file."""
    value = value.strip()
    if value.startswith(PUBLIC_PREFIX):
        try:
            raw = base64.b64decode(value[len(PUBLIC_PREFIX):], validate=True)
            return Ed25519PublicKey.from_public_bytes(raw)
        except ValueError as err:
            raise KeyError_(f"public key {value[:20]}...: not 32 bytes of base64 ({err})") from None
    if value.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(value.encode())
        except (ValueError, UnsupportedAlgorithm) as err:
            raise KeyError_(f"public key PEM: {err}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise KeyError_("public key PEM is not an Ed25519 key")
        return key
    path = Path(value)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as err:
        raise KeyError_(f"public key {value!r}: neither 'ed25519:<base64>' nor a readable key file ({err})") from None
    if text.strip().startswith("-----BEGIN PRIVATE KEY"):
        return load_private_key(path).public_key()
    return load_public_key(text)


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in the unencrypted PEM file at `path`; KeyError_ if it cannot
    be read or is not Ed25519, UnsafeFileError if others may read it (runtime/files.py)."""
    check_secret(path, "a private signing key")
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as err:
        raise KeyError_(f"private key {path}: {err}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyError_(f"private key {path} is not an Ed25519 key")
    return key


def save_private_key(key: Ed25519PrivateKey, path: str | Path) -> None:
    """Write `key` as unencrypted PKCS#8 PEM to `path`, replacing it atomically; mode 0600 (and a
    folder made for it 0700) whatever mode a file there had."""
    private_file(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))


def public_pem(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The public key (of a private key's public half) as SubjectPublicKeyInfo PEM text."""
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
