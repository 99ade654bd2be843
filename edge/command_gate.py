"""The gate every command message passes before the journal applies it (Uplink.apply).

    bytes -> JSON -> envelope -> signature by a trusted key -> not applied before -> addressed to
    this site/device -> not expired -> Journal.apply_command (payload checked by its handler)

A refusal is journaled as `command.rejected` naming the reason. Only an authentic command (its
signature checked out) may leave a mark on the applied-commands table: then its id and type are
central's own, so it is acknowledged as rejected (`command.applied`, status rejected) and central
stops resending it. Anything else — unreadable, invalid, unsigned, unknown key, forged — records no
id, so a forged copy of a real command's id can never make the edge skip the real one later.

Trust: the keys of [uplink] command_public_keys, plus those the last `command_keys.update` (a
command signed by an already trusted key) delivered, minus the key ids it retired.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from frontdesk.passes import KeyError_
from frontdesk.schema import Command, SchemaError
from frontdesk.schema.system import CommandApplied, CommandKeysUpdate, CommandRejected
from frontdesk.signing import (
    CommandRefused,
    Reason,
    authenticate,
    check_valid,
    command_key_id,
    parse_delivered_key,
    trusted_keys,
)

from .commands import CommandHandlers
from .journal import Journal, put_setting

log = logging.getLogger(__name__)

# Where the delivered keys live in the journal's settings table.
KEYS_SETTING = "command_keys"
# command.rejected events journaled per minute at most (a burst of this many, refilled evenly): a flood
# of forgeries must not fill the edge's disk. The rest are counted in the next event's `suppressed`.
REJECTIONS_PER_MINUTE = 30


class CommandGate:
    """Verify and apply command messages for one edge (see the module docstring)."""

    def __init__(self, journal: Journal, handlers: CommandHandlers, configured_keys: list[str]) -> None:
        self.journal = journal
        self.handlers = handlers
        self.configured = trusted_keys(configured_keys)
        if CommandKeysUpdate.TYPE not in handlers.types():
            handlers.on(CommandKeysUpdate, self._update_keys)
        if not self.configured:
            log.warning("uplink: no [uplink] command_public_keys: every command from central will be refused")
        self._lock = threading.Lock()
        self._tokens = float(REJECTIONS_PER_MINUTE)
        self._refilled = time.monotonic()
        self._suppressed = 0

    # -- trust -----------------------------------------------------------------------------------

    def trusted(self) -> dict[str, Ed25519PublicKey]:
        """Key id -> public key of every key this edge trusts now."""
        delivered = self.journal.setting(KEYS_SETTING, {})
        keys = dict(self.configured)
        for text in delivered.get("keys", []):
            try:
                key = parse_delivered_key(text)
            except KeyError_:
                continue  # checked when it was stored; a hand-edited journal must not stop commands
            keys[command_key_id(key)] = key
        for kid in delivered.get("retired", []):
            keys.pop(kid, None)
        return keys

    def _update_keys(self, db: sqlite3.Connection, update: CommandKeysUpdate) -> dict[str, Any]:
        delivered = {command_key_id(k): k for k in map(parse_delivered_key, update.keys)}
        effective = {**self.configured, **delivered}
        for kid in update.retired:
            effective.pop(kid, None)
        if not effective:
            # Refused (and rolled back): an edge that trusts no key could never be told anything again.
            raise ValueError("the update would leave this edge trusting no command key")
        put_setting(db, KEYS_SETTING, {"keys": list(update.keys), "retired": list(update.retired)})
        return {"trusted": sorted(effective)}

    # -- one message ---------------------------------------------------------------------------

    def apply(self, raw: bytes) -> None:
        """Check one command message and apply it once, or refuse it with a `command.rejected` event.
        Raises JournalError only (the journal could not record the outcome: central resends)."""
        try:
            doc = json.loads(raw)
        except (ValueError, RecursionError) as err:
            self.refuse("unreadable", f"not JSON: {type(err).__name__}")
            return
        claimed = doc if isinstance(doc, dict) else {}
        try:
            command = Command.parse_envelope(doc)
        except SchemaError as err:
            self.refuse("invalid", str(err), claimed.get("id"), claimed.get("type"), claimed.get("key_id"))
            return
        except (ArithmeticError, ValueError, RecursionError) as err:
            # A validator that gave up in its own way (a date beyond datetime's range...): still only
            # this message's problem, never the command thread's.
            self.refuse("invalid", f"{type(err).__name__}: {err}", claimed.get("id"), claimed.get("type"),
                        claimed.get("key_id"))
            return
        try:
            authenticate(command, self.trusted())
        except CommandRefused as err:
            self.refuse(err.reason, err.detail, command.id, command.type, command.key_id)
            return
        # Authentic from here on: the id and type are central's own.
        if self._replayed(command):
            return
        try:
            check_valid(command, site=self.journal.site, device=self.journal.device)
        except CommandRefused as err:
            self.journal.reject_command(command.id, command.type, f"{err.reason}: {err.detail}")
            self.refuse(err.reason, err.detail, command.id, command.type, command.key_id, authentic=True)
            return
        event = self.journal.apply_command(command, self.handlers)
        if event is None:  # applied by someone else between the check and now
            self._replayed(command)
            return
        log.info("uplink: command %s (%s) %s", command.id, command.type, event.payload_as(CommandApplied).status)

    def _replayed(self, command: Command) -> bool:
        status = self.journal.command_status(command.id)
        if status is None:
            return False
        # Also what a resend by central looks like when our acknowledgement has not reached it yet.
        self.refuse("replayed", f"command {command.id} was already {status} here; not applied again",
                    command.id, command.type, command.key_id, authentic=True)
        return True

    def refuse(self, reason: Reason, detail: str, command_id: Any = None, command_type: Any = None,
               key_id: Any = None, *, authentic: bool = False) -> None:
        """Journal a `command.rejected` event (within the rate limit; otherwise count it)."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(float(REJECTIONS_PER_MINUTE),
                               self._tokens + (now - self._refilled) * REJECTIONS_PER_MINUTE / 60)
            self._refilled = now
            if self._tokens < 1:
                self._suppressed += 1
                return
            self._tokens -= 1
            suppressed, self._suppressed = self._suppressed, 0
        log.warning("uplink: command %s refused (%s): %s", _text(command_id), reason, detail[:200])
        self.journal.record(CommandRejected(reason=reason, detail=detail[:500], command_id=_text(command_id),
                                            command_type=_text(command_type), key_id=_text(key_id),
                                            authentic=authentic, suppressed=suppressed))


def _text(value: Any) -> str | None:
    """What a message claimed, as a short string or None (it is untrusted and may be anything)."""
    return value[:64] if isinstance(value, str) else None


__all__ = ["KEYS_SETTING", "REJECTIONS_PER_MINUTE", "CommandGate"]
