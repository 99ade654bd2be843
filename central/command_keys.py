"""Central's command-signing keys: one directory, rotation by a command the old key signs.

    <dir>/<key id>.pem          a private Ed25519 key (PKCS#8, mode 0600), trusted by edges
    <dir>/<key id>.pem.retired  a key no longer in use; edges are told to stop trusting it
    <dir>/active                the key id that signs new commands

Rotation (`frontdesk central keys rotate`): a new key is made; every known device is sent a
`command_keys.update` listing the public keys of every non-retired key, signed by the key still
active; then the new key becomes active. The dispatcher sends pending commands oldest first, so an
edge applies the update before the first command the new key signs; a command that overtakes it
anyway is refused as `unknown_key` without its id being recorded, and the dispatcher's next resend
succeeds. `keys retire KID` sends the same update with KID among `retired`, so an edge stops
trusting it even where its configuration file lists it. No edge is re-enrolled.
"""
from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, union

from frontdesk.passes.keys import generate_key, load_private_key, public_text, save_private_key
from frontdesk.runtime.files import check_secret, private_dir
from frontdesk.schema import Command
from frontdesk.schema.system import CommandKeysUpdate
from frontdesk.signing import command_key_id, sign_command

from .config import CentralConfig
from .store import Store
from .tables import commands, events

log = logging.getLogger(__name__)

ACTIVE = "active"


class KeyringError(Exception):
    """The keyring cannot do what was asked; the message says why."""


class CommandKeyring:
    """Central's signing keys in one directory (see the module docstring). As a CommandSigner it
    signs with the active key, re-read when the `active` file changes (a rotation done with the
    command line takes effect in a running central at its next command)."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        self._cache: tuple[tuple[int, int], Ed25519PrivateKey] | None = None

    def _pem(self, kid: str) -> Path:
        return self.dir / f"{kid}.pem"

    def key_ids(self) -> list[str]:
        """Ids of the keys in use (not retired), sorted."""
        return sorted(p.name[:-4] for p in self.dir.glob("*.pem"))

    def retired_ids(self) -> list[str]:
        """Ids of retired keys, sorted."""
        return sorted(p.name[:-len(".pem.retired")] for p in self.dir.glob("*.pem.retired"))

    def active_id(self) -> str:
        """The key id that signs new commands; KeyringError if there is none."""
        try:
            kid = (self.dir / ACTIVE).read_text().strip()
        except OSError:
            raise KeyringError(f"{self.dir}: no active command-signing key (frontdesk central keys create)") from None
        if not self._pem(kid).exists():
            raise KeyringError(f"{self.dir}: the active key {kid!r} has no {kid}.pem")
        return kid

    def create(self) -> str:
        """Make a new key (active only if it is the first); returns its id."""
        private_dir(self.dir)
        key = generate_key()
        kid = command_key_id(key)
        save_private_key(key, self._pem(kid))
        if not (self.dir / ACTIVE).exists():
            self.activate(kid)
        return kid

    def activate(self, kid: str) -> None:
        """Sign new commands with `kid` from now on (written atomically)."""
        if not self._pem(kid).exists():
            raise KeyringError(f"no key {kid!r} in {self.dir}")
        tmp = self.dir / f".{ACTIVE}.tmp"
        tmp.write_text(kid + "\n")
        os.replace(tmp, self.dir / ACTIVE)

    def retire(self, kid: str) -> None:
        """Stop using `kid` (its file is renamed *.pem.retired); the active key cannot be retired."""
        if kid == self.active_id():
            raise KeyringError(f"{kid} is the active key; rotate first")
        if not self._pem(kid).exists():
            raise KeyringError(f"no key {kid!r} in use in {self.dir}")
        os.replace(self._pem(kid), self.dir / f"{kid}.pem.retired")

    def check_files(self) -> None:
        """UnsafeFileError unless every signing key (in use or retired) is readable by its owner only."""
        for path in (*self.dir.glob("*.pem"), *self.dir.glob("*.pem.retired")):
            check_secret(path, "a command-signing key")

    def public_keys(self) -> dict[str, str]:
        """Key id -> "ed25519:<base64>" of every key in use: what edges' configurations list."""
        return {kid: public_text(load_private_key(self._pem(kid))) for kid in self.key_ids()}

    def sign(self, command: Command) -> Command:
        """`command` signed with the active key."""
        marker = self.dir / ACTIVE
        try:
            st = marker.stat()
        except OSError:
            raise KeyringError(f"{self.dir}: no active command-signing key") from None
        stamp = (st.st_mtime_ns, st.st_ino)
        if self._cache is None or self._cache[0] != stamp:
            self._cache = (stamp, load_private_key(self._pem(self.active_id())))
        return sign_command(command, self._cache[1])


def attach(store: Store, cfg: CentralConfig) -> CommandKeyring | None:
    """Give `store` central's signer and command validity from [central]; None (commands stay
    unsigned, and every edge refuses them) when no key directory is configured."""
    store.command_valid_for = timedelta(hours=cfg.command_valid_h)
    if cfg.command_key_dir is None:
        log.warning("central: no [central] command_key_dir: commands are NOT signed and edges will refuse them")
        return None
    keyring = CommandKeyring(cfg.command_key_dir)
    keyring.active_id()  # fail at start-up, not at the first command
    keyring.check_files()  # and refuse keys others may read before anything is signed with them
    store.command_signer = keyring
    return keyring


def known_devices(store: Store) -> list[tuple[str, str]]:
    """Every (site, device) that has sent an event or been sent a command."""
    q = union(select(events.c.site, events.c.device), select(commands.c.site, commands.c.device))  # UNION dedups
    with store.engine.connect() as conn:
        return sorted((site, device) for site, device in conn.execute(q))


def push_trust(store: Store, keyring: CommandKeyring) -> list[str]:
    """Send every known device the keys to trust and those retired, signed by the active key; returns
    the command ids."""
    update = CommandKeysUpdate(keys=sorted(keyring.public_keys().values()), retired=keyring.retired_ids())
    return [store.create_command(site, device, update, signer=keyring).id for site, device in known_devices(store)]


def rotate(store: Store, keyring: CommandKeyring) -> tuple[str, list[str]]:
    """New key; edges told to trust it (signed by the current key); then it signs. Returns
    (new key id, ids of the update commands)."""
    kid = keyring.create()
    ids = push_trust(store, keyring)
    keyring.activate(kid)
    return kid, ids


def retire(store: Store, keyring: CommandKeyring, kid: str) -> list[str]:
    """Stop using `kid` and tell every known device to stop trusting it; returns the command ids."""
    keyring.retire(kid)
    return push_trust(store, keyring)


__all__ = ["CommandKeyring", "KeyringError", "attach", "known_devices", "push_trust", "retire", "rotate"]
