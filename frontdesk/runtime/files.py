"""Who may read what frontdesk writes: the one rule for files, secrets and stores.

Residents' names, phone numbers, recordings and the keys that protect them are on these disks, so:

    the process umask        0027 (set by every entry point: restrict_umask)
    stores, configs, logs    0640 / directories 0750: the owner writes, the service group reads,
                             others nothing (what the umask gives every ordinary file and folder)
    secrets                  0600 in a folder of 0700 (private_file, private_dir): private keys,
                             enrolment bundles; only their owner
    on loading a secret      check_secret refuses one that group or others may read, or that
                             another user owns while this runs as root (that user could swap it)

A refusal is an UnsafeFileError (a PermissionError, so the handlers that report an unreadable key
report it too) naming the file and the command that fixes it; the `frontdesk` command exits with
EXIT_UNSAFE_FILE, which the systemd units list in RestartPreventExitStatus (restarting cannot help).
"""
from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import MqttConfig

UMASK = 0o027
SECRET_MODE = 0o600
SECRET_DIR_MODE = 0o700
SHARED_MODE = 0o640
DIR_MODE = 0o750
# sysexits.h EX_CONFIG: the service cannot run as configured; systemd must not restart it in a loop.
EXIT_UNSAFE_FILE = 78


class UnsafeFileError(PermissionError):
    """A secret (or a file holding one) that others may read or replace; str() says how to fix it."""


def restrict_umask() -> int:
    """Make every file this process creates unreadable by others (umask 0027, or stricter if the
    inherited one already is); returns the previous umask."""
    old = os.umask(UMASK)
    os.umask(old | UMASK)
    return old


def private_dir(path: str | Path, mode: int = SECRET_DIR_MODE) -> Path:
    """Create `path` if absent with exactly `mode` (default 0700), and missing parents with 0750,
    whatever the umask. An existing folder is left as it is (its owner chose it)."""
    path = Path(path)
    if not path.is_dir():
        if not path.parent.is_dir():
            private_dir(path.parent, DIR_MODE)
        try:
            path.mkdir(mode=mode)
        except FileExistsError:  # made meanwhile by another process: theirs
            return path
        os.chmod(path, mode)
    return path


def write_file(path: str | Path, data: bytes, mode: int, *, dir_mode: int = DIR_MODE) -> Path:
    """Write `data` to `path` atomically (a temporary file renamed over it, fsynced) with exactly
    `mode` from the first byte: there is no moment in which the file has a wider mode."""
    path = Path(path)
    private_dir(path.parent, dir_mode)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    try:
        os.fchmod(fd, mode)  # a stale temporary file from a crash keeps its old mode otherwise
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return path


def private_file(path: str | Path, data: bytes) -> Path:
    """Write a secret (a private key, an enrolment bundle): mode 0600, atomically; a folder created
    for it is 0700."""
    return write_file(path, data, SECRET_MODE, dir_mode=SECRET_DIR_MODE)


def _user(uid: int) -> str:
    """The user's name, or "#uid" (what sudo -u takes) when it has none."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"#{uid}"


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _readers(mode: int) -> str:
    return " and ".join(w for w, bits in (("its group", 0o070), ("others", 0o007)) if mode & bits)


def check_secret(path: str | Path, what: str = "a private key") -> Path:
    """`path` if it is safe to load as a secret: only its owner may read or write it (mode 0600 or
    0400) and, when this runs as root, that owner is root. Else UnsafeFileError saying which file,
    why, and the command that fixes it. A missing file passes: its loader reports that itself."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return path
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFileError(f"{path}: {what} must be a regular file")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise UnsafeFileError(f"{path} holds {what} but {_readers(mode)} may read or change it (mode "
                              f"{mode:04o}); only its owner may: chmod 600 {path}")
    euid = os.geteuid()
    if euid == 0 and st.st_uid != 0:
        user = _user(st.st_uid)
        raise UnsafeFileError(f"{path} holds {what} but belongs to {user} (uid {st.st_uid}), who could replace "
                              f"it, while this runs as root: run as that user (sudo -u {user} frontdesk ...) "
                              f"or chown root {path}")
    return path


def check_not_public(path: str | Path, what: str) -> Path:
    """`path` if others (neither its owner nor its group) can read it: for a configuration file that
    holds a password, which the service's group may read. Else UnsafeFileError."""
    path = Path(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return path
    if mode & 0o007:
        raise UnsafeFileError(f"{path} holds {what} but anyone on this machine may read it (mode {mode:04o}): "
                              f"chmod o-rwx {path} (the service reads it as its owner or through group "
                              f"{_group(os.getegid())})")
    return path


__all__ = ["DIR_MODE", "EXIT_UNSAFE_FILE", "SECRET_DIR_MODE", "SECRET_MODE", "SHARED_MODE", "UMASK",
           "UnsafeFileError", "check_link_files", "check_not_public", "check_secret", "private_dir", "private_file",
           "restrict_umask", "write_file"]


def check_link_files(mqtt: MqttConfig, config_path: str | Path) -> None:
    """The MQTT link's secrets, checked before a service starts: the client's TLS key (0600) and,
    when [mqtt] holds a password, the configuration file (not readable by others)."""
    if mqtt.tls_key is not None:
        check_secret(mqtt.tls_key, "this client's TLS private key")
    if mqtt.password:
        check_not_public(config_path, "the broker password ([mqtt] password)")
