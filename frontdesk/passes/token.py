"""Visitor-pass tokens: a compact signed binary body, Base45 text, for a QR code.

    FDP1:<base45( body || signature )>

The prefix and Base45's alphabet are all in the QR alphanumeric set, so the whole token is
encoded in alphanumeric mode (5.5 bits a character); a typical pass is ~190 characters, a
version-8 QR at level M. The layout (version 1, big-endian):

    u8  version (1)
    4   key id (sha256(public key)[:4])
    16  pass id (UUID bytes)
    u8  flags (bit 0: single use)
    u32 valid from (Unix seconds)       u32 valid until (Unix seconds)
    str site  str host unit  str visitor display name   (str = u8 length + UTF-8)
    64  Ed25519 signature over b"FDP1" + everything above

Verification needs only the site's public key: edges decide offline. Reasons a token is
refused are the Rejection.reason values below; the kiosk and gate screens show them.
"""
from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import base45
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .keys import key_id

PREFIX = "FDP1:"
VERSION = 1
_DOMAIN = b"FDP1"
_HEAD = struct.Struct(">B4s16sBII")
SIG_LEN = 64
MAX_TOKEN_CHARS = 1200          # far above any real pass; longer input is refused unread
MAX_SITE, MAX_UNIT, MAX_NAME = 64, 32, 96   # bytes of UTF-8
FLAG_SINGLE_USE = 0x01

REASONS = ("forged", "expired", "not_yet_valid", "already_used", "revoked", "wrong_site", "malformed")


class Rejection(Exception):
    """A pass that must not open the door. `reason` is one of REASONS; str() is the detail."""

    def __init__(self, reason: str, detail: str, pass_id: str | None = None, site: str | None = None) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.pass_id, self.site = reason, detail, pass_id, site


@dataclass(frozen=True)
class VisitorPass:
    """The contents of a pass token: who may visit which unit of which site, when, whether once,
    and the id (hex) of the key that signed it."""

    pass_id: str
    site: str
    host_unit: str
    visitor_name: str
    valid_from: datetime
    valid_until: datetime
    single_use: bool
    key_id: str   # hex

    def to_json(self) -> dict:
        """The pass as a JSON-ready dict (times in ISO 8601 with their UTC offset)."""
        return {"pass_id": self.pass_id, "site": self.site, "host_unit": self.host_unit,
                "visitor_name": self.visitor_name, "valid_from": self.valid_from.isoformat(),
                "valid_until": self.valid_until.isoformat(), "single_use": self.single_use, "key_id": self.key_id}


def _str(value: str, limit: int, what: str) -> bytes:
    data = value.encode("utf-8")
    if not data or len(data) > limit:
        raise ValueError(f"{what} must be 1-{limit} bytes of UTF-8, got {len(data)}")
    if any(not c.isprintable() for c in value):
        raise ValueError(f"{what} contains control characters")
    return bytes([len(data)]) + data


def _ts(value: datetime) -> int:
    if value.tzinfo is None:
        raise ValueError("pass times must carry a UTC offset")
    return int(value.timestamp())


def encode_pass(private_key: Ed25519PrivateKey, *, pass_id: str, site: str, host_unit: str, visitor_name: str,
                valid_from: datetime, valid_until: datetime, single_use: bool) -> str:
    """Sign and encode a pass (central calls this through central.passes.issue_pass)."""
    start, end = _ts(valid_from), _ts(valid_until)
    if end <= start:
        raise ValueError("valid_until must be after valid_from")
    body = _HEAD.pack(VERSION, key_id(private_key), uuid.UUID(pass_id).bytes,
                      FLAG_SINGLE_USE if single_use else 0, start, end)
    body += _str(site, MAX_SITE, "site") + _str(host_unit, MAX_UNIT, "host unit") \
        + _str(visitor_name, MAX_NAME, "visitor name")
    signature = private_key.sign(_DOMAIN + body)
    return PREFIX + base45.b45encode(body + signature).decode("ascii")


def looks_like_pass(text: str) -> bool:
    """True if `text` starts with the pass prefix; says nothing about whether it is valid."""
    return text.startswith(PREFIX)


def decode_unverified(token: str | bytes) -> tuple[VisitorPass, bytes, bytes]:
    """Parse a token without checking it: (pass, signed bytes, signature). Rejection if unreadable."""
    if isinstance(token, (bytes, bytearray)):
        try:
            token = bytes(token).decode("ascii")
        except UnicodeDecodeError:
            raise Rejection("malformed", "pass is not ASCII text") from None
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise Rejection("malformed", f"pass of {len(token)} characters is too long")
    if not token.startswith(PREFIX):
        raise Rejection("malformed", "not a visitor pass (prefix missing)")
    try:
        blob = base45.b45decode(token[len(PREFIX):])
    except (ValueError, KeyError, IndexError) as err:
        raise Rejection("malformed", f"pass is not valid Base45 ({err})") from None
    if len(blob) < _HEAD.size + 3 + SIG_LEN:
        raise Rejection("malformed", "pass is too short")
    body, signature = blob[:-SIG_LEN], blob[-SIG_LEN:]
    version, kid, pid, flags, start, end = _HEAD.unpack_from(body)
    if version != VERSION:
        raise Rejection("malformed", f"pass version {version} is not supported")
    pass_id = str(uuid.UUID(bytes=pid))
    pos, fields = _HEAD.size, []
    try:
        for _ in range(3):
            n = body[pos]
            fields.append(body[pos + 1:pos + 1 + n].decode("utf-8"))
            if pos + 1 + n > len(body):
                raise IndexError
            pos += 1 + n
    except (IndexError, UnicodeDecodeError):
        raise Rejection("malformed", "pass fields are cut short or not UTF-8", pass_id) from None
    if pos != len(body):
        raise Rejection("malformed", "pass has trailing bytes", pass_id)
    vp = VisitorPass(pass_id, fields[0], fields[1], fields[2],
                     datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC),
                     bool(flags & FLAG_SINGLE_USE), kid.hex())
    return vp, body, signature


def verify_pass(token: str | bytes, keys: dict[str, Ed25519PublicKey], *, site: str,
                now: datetime | None = None, leeway_s: int = 120, check_window: bool = True) -> VisitorPass:
    """Check signature, site and validity window. `keys` maps key id (hex) -> public key.

    Raises Rejection(reason) with reason forged, wrong_site, not_yet_valid, expired or malformed;
    replay and revocation are the edge's own memory (edge/access) and checked there.
    check_window=False skips the validity window (a visitor leaving on an expired pass may leave).
    """
    vp, body, signature = decode_unverified(token)
    key = keys.get(vp.key_id)
    if key is None:
        raise Rejection("forged", f"signed by unknown key {vp.key_id}", vp.pass_id)
    try:
        key.verify(signature, _DOMAIN + body)
    except InvalidSignature:
        raise Rejection("forged", "signature does not match", vp.pass_id) from None
    if vp.site != site:
        raise Rejection("wrong_site", f"pass is for site {vp.site!r}", vp.pass_id, vp.site)
    if not check_window:
        return vp
    now = now or datetime.now(UTC)
    if (vp.valid_from - now).total_seconds() > leeway_s:
        raise Rejection("not_yet_valid", f"valid from {vp.valid_from.isoformat()}", vp.pass_id)
    if (now - vp.valid_until).total_seconds() > leeway_s:
        raise Rejection("expired", f"expired at {vp.valid_until.isoformat()}", vp.pass_id)
    return vp


def keyring(public_keys: list[Ed25519PublicKey]) -> dict[str, Ed25519PublicKey]:
    """The `keys` argument of verify_pass(): key id (hex) -> public key."""
    return {key_id(k).hex(): k for k in public_keys}
