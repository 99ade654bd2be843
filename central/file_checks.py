"""What `frontdesk central run` checks before it starts: every secret it (or the broker it
configures) loads is readable by its owner only, and a configuration file that holds a password
is not readable by others (the rule: frontdesk/runtime/files.py). A refusal names the file and
the fix; the command exits 78 and systemd does not restart it."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from frontdesk.runtime.files import check_link_files, check_not_public, check_secret

from .command_keys import CommandKeyring
from .config import CentralFile


def secret_files(cfg: CentralFile) -> list[tuple[Path, str]]:
    """(path, what it is) of every private key central's configuration points at."""
    found: list[tuple[Path, str]] = []
    if cfg.central.command_key_dir is not None:
        keyring = CommandKeyring(cfg.central.command_key_dir)
        found += [(p, "a command-signing key") for p in sorted(keyring.dir.glob("*.pem*"))]
    found += [(Path(p), f"site {site}'s pass-signing key") for site, p in sorted(cfg.tickets.pass_keys.items())]
    if cfg.fleet.dir is not None:
        fleet = Path(cfg.fleet.dir)
        found += [(fleet / "ca" / "ca.key", "the fleet CA's private key"),
                  (fleet / "broker" / "server.key", "the broker's TLS private key"),
                  (fleet / "central" / "central.key", "central's TLS private key")]
        found += [(p, f"site {p.parent.name}'s pass-signing key") for p in sorted(fleet.glob("sites/*/pass.key"))]
    return found


def check_central_files(cfg: CentralFile, config_path: str | Path) -> None:
    """UnsafeFileError for the first secret others may read (see the module docstring)."""
    check_link_files(cfg.mqtt, config_path)
    if make_url(cfg.central.database_url).password:
        check_not_public(config_path, "the database password ([central] database_url)")
    for path, what in secret_files(cfg):
        check_secret(path, what)
