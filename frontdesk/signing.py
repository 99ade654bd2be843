"""Signed commands: what central signs and what an edge checks before it applies anything.

Central signs every command with an Ed25519 key; an edge holds only public keys (from its
configuration, plus those delivered by `command_keys.update`, itself a signed command). The
signature covers the bytes

    b"frontdesk.command.v1\\n" + canonical JSON of
    {"device", "expires_at", "id", "issued_at", "payload", "site", "type"}

where canonical JSON is: keys sorted at every level, no spaces (separators "," and ":"), UTF-8
(non-ASCII characters as themselves, not \\u escapes), no NaN or Infinity; times are UTC written as
"YYYY-MM-DDTHH:MM:SS.ffffffZ" (always six fraction digits), `expires_at` null only if absent. The
prefix keeps a command signature from ever being valid as anything else signed with the same key.
The key is named by `key_id`: 8 hex digits, the first 4 bytes of SHA-256 over its 32 raw public
bytes (the same naming as visitor-pass keys, frontdesk/passes/keys.py).

An edge refuses, naming the reason: unsigned, unknown_key (not trusted, or retired), bad_signature
(forged or altered), then — for an authentic command only — misaddressed, expired, invalid.
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .passes.keys import PUBLIC_PREFIX, KeyError_, key_id, load_public_key
from .schema import Command, SchemaError

CONTEXT = b"frontdesk.command.v1\n"

Reason = Literal["unreadable", "invalid", "unsigned", "unknown_key", "bad_signature", "misaddressed",
                 "expired", "replayed"]


class CommandRefused(Exception):
    """A command an edge must not apply. `authentic` is True when its signature checked out (so its
    id and type are central's own and may be acknowledged as rejected)."""

    def __init__(self, reason: Reason, detail: str, *, authentic: bool = False) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: Reason = reason
        self.detail = detail
        self.authentic = authentic


class CommandSigner(Protocol):
    """Whatever signs central's commands (a key, or central's keyring that follows rotation)."""

    def sign(self, command: Command) -> Command:
        """`command` with `key_id` and `signature` set."""
        ...


def command_key_id(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The key id commands carry: 8 hex digits (SHA-256 of the raw public key, first 4 bytes)."""
    return key_id(key).hex()


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def signed_bytes(command: Command) -> bytes:
    """The exact bytes a command's signature covers (see the module docstring); SchemaError if the
    payload holds something canonical JSON cannot carry (NaN, nesting too deep)."""
    doc = {"id": command.id, "type": command.type, "site": command.site, "device": command.device,
           "issued_at": _time(command.issued_at), "expires_at": _time(command.expires_at),
           "payload": command.payload}
    try:
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (ValueError, TypeError, RecursionError) as err:
        raise SchemaError(f"command {command.id}: payload has no canonical form ({type(err).__name__})") from None
    return CONTEXT + text.encode("utf-8")


@dataclass(frozen=True)
class KeySigner:
    """Signs with one private key (tests, tools; central itself uses its keyring)."""

    key: Ed25519PrivateKey

    def sign(self, command: Command) -> Command:
        """`command` signed with this key."""
        return sign_command(command, self.key)


def sign_command(command: Command, key: Ed25519PrivateKey) -> Command:
    """A copy of `command` carrying `key`'s id and its Ed25519 signature over signed_bytes()."""
    signature = key.sign(signed_bytes(command))
    return command.model_copy(update={"key_id": command_key_id(key),
                                      "signature": base64.b64encode(signature).decode("ascii")})


def trusted_keys(public_keys: Iterable[str], *, retired: Iterable[str] = ()) -> dict[str, Ed25519PublicKey]:
    """Key id -> public key for keys given as "ed25519:<base64>" (or PEM text/paths), minus the
    `retired` key ids. KeyError_ if a key cannot be read."""
    keys: dict[str, Ed25519PublicKey] = {}
    for text in public_keys:
        key = load_public_key(text)
        keys[command_key_id(key)] = key
    for kid in retired:
        keys.pop(kid, None)
    return keys


def parse_delivered_key(text: str) -> Ed25519PublicKey:
    """A key delivered inside a command: only the inline "ed25519:<base64>" form (never a path, which
    would make the edge read its own files). KeyError_ otherwise."""
    if not isinstance(text, str) or not text.startswith(PUBLIC_PREFIX):
        raise KeyError_("a delivered key must be written 'ed25519:<base64>'")
    return load_public_key(text)


def authenticate(command: Command, keys: Mapping[str, Ed25519PublicKey]) -> None:
    """Check that one of `keys` signed exactly this command; CommandRefused (unsigned, unknown_key,
    bad_signature) otherwise."""
    if command.signature is None or command.key_id is None:
        raise CommandRefused("unsigned", "the command carries no signature")
    key = keys.get(command.key_id)
    if key is None:
        raise CommandRefused("unknown_key", f"signed with key {command.key_id}, which this edge does not trust")
    try:
        signature = base64.b64decode(command.signature, validate=True)
        key.verify(signature, signed_bytes(command))
    except (binascii.Error, ValueError, InvalidSignature, SchemaError):
        raise CommandRefused("bad_signature", f"the signature does not match the command under key "
                             f"{command.key_id} (forged or altered)") from None


def check_valid(command: Command, *, site: str, device: str, now: datetime | None = None) -> None:
    """For an authentic command: is it for this site/device and still valid? CommandRefused
    (misaddressed, invalid, expired; authentic=True) otherwise."""
    if (command.site, command.device) != (site, device):
        raise CommandRefused("misaddressed", f"addressed to {command.site}/{command.device}, this is {site}/{device}",
                             authentic=True)
    if command.expires_at is None:
        raise CommandRefused("invalid", "signed without an expiry (expires_at)", authentic=True)
    now = now or datetime.now(UTC)
    if now >= command.expires_at:
        raise CommandRefused("expired", f"expired at {_time(command.expires_at)} (now {_time(now)})",
                             authentic=True)


__all__ = ["CONTEXT", "CommandRefused", "CommandSigner", "KeySigner", "Reason", "authenticate", "check_valid",
           "command_key_id", "parse_delivered_key", "sign_command", "signed_bytes", "trusted_keys"]
