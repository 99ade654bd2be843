"""Run a command under what the units' SystemCallFilter=, RestrictAddressFamilies=,
MemoryDenyWriteExecute= and NoNewPrivileges= enforce, without systemd as PID 1:

    python sandbox.py UNIT.service -- COMMAND...

The unit's system call allow-list is expanded from `systemd-analyze syscall-filter` (systemd's own
groups, so @system-service means here what it means to systemd), loaded with libseccomp (the
library systemd uses) through ctypes; refused calls fail with the unit's SystemCallErrorNumber=.
socket() is allowed only for the unit's address families. MemoryDenyWriteExecute= is the kernel's
PR_SET_MDWE (what systemd itself uses where the kernel has it). All of it is inherited by every
process the command starts. Exit 97 when this kernel or libseccomp cannot do it.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import socket
import subprocess
import sys
from pathlib import Path

PR_SET_NO_NEW_PRIVS, PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 38, 65, 1
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4
UNAVAILABLE = 97


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


def unit_settings(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for raw in path.read_text().replace("\\\n", " ").splitlines():
        line = raw.strip()
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value.strip())
    return found


def syscall_groups() -> dict[str, list[str]]:
    out = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"], capture_output=True, text=True,
                         check=True).stdout
    groups: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if line.startswith("@"):
            current = line.strip()
            groups[current] = []
        elif current and line.strip() and not line.strip().startswith("#"):
            groups[current].append(line.strip())
    return groups


def expand(names: list[str], groups: dict[str, list[str]]) -> set[str]:
    result: set[str] = set()
    for name in names:
        result |= expand(groups[name], groups) if name.startswith("@") else {name}
    return result


def allowed_syscalls(settings: dict[str, list[str]]) -> set[str]:
    """SystemCallFilter= as systemd reads it: the first allow-list, then ~ lists taken away."""
    groups = syscall_groups()
    allowed: set[str] = set()
    for value in settings.get("SystemCallFilter", []):
        if value.startswith("~"):
            allowed -= expand(value[1:].split(), groups)
        else:
            allowed |= expand(value.split(), groups)
    return allowed


def load_filter(settings: dict[str, list[str]]) -> None:
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    error = getattr(errno, settings.get("SystemCallErrorNumber", ["EPERM"])[-1])
    ctx = lib.seccomp_init(0x00050000 | error)  # SCMP_ACT_ERRNO(error)
    families = [getattr(socket, f) for v in settings.get("RestrictAddressFamilies", []) for f in v.split()]
    socket_nr = lib.seccomp_syscall_resolve_name(b"socket")
    for name in sorted(allowed_syscalls(settings)):
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:
            continue  # not a call of this architecture
        if nr == socket_nr and families:
            for family in families:
                cmp = ArgCmp(0, SCMP_CMP_EQ, int(family), 0)
                assert lib.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, ctypes.byref(cmp)) == 0
        else:
            assert lib.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 0, None) == 0, name
    if lib.seccomp_load(ctx) != 0:
        sys.exit(UNAVAILABLE)


def main() -> None:
    unit, sep, *command = sys.argv[1:]
    assert sep == "--" and command, __doc__
    settings = unit_settings(Path(unit))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        sys.exit(UNAVAILABLE)
    if settings.get("MemoryDenyWriteExecute") == ["yes"] and libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN,
                                                                        0, 0, 0) != 0:
        sys.exit(UNAVAILABLE)
    if settings.get("SystemCallFilter"):
        load_filter(settings)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
