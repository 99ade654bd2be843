"""After a fresh `frontdesk demo --tour` started with umask 0: every database, recording, key,
bundle, configuration and log under the demo's folder is closed to others, secrets are 0600.

The demo runs inside the central unit's sandbox (sandbox.py: its SystemCallFilter=,
RestrictAddressFamilies=, MemoryDenyWriteExecute=, NoNewPrivileges=, inherited by every process
the demo starts), so the tour passing shows that central, the edge agents (Vosk, OpenCV, zxing-cpp,
numpy, the emulated modem) and Mosquitto work within what the units allow. The edge's and the
broker's units allow the same calls and as much or more (the edge: netlink too).
"""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CENTRAL_UNIT = HERE.parents[1] / "deploy" / "systemd" / "frontdesk-central.service"
SANDBOX = [sys.executable, str(HERE / "sandbox.py"), str(CENTRAL_UNIT), "--"]
SECRETS = ("*.key", "*.frontdesk-bundle", "command-keys/*.pem")


def sandbox_available() -> bool:
    return subprocess.run([*SANDBOX, "/bin/true"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess, bool]:
    root = tmp_path_factory.mktemp("demo") / "demo"
    sandboxed = sandbox_available()
    wrap = SANDBOX if sandboxed else []
    done = subprocess.run([*wrap, sys.executable, "-m", "frontdesk", "demo", "--dir", str(root), "--tour"],
                          capture_output=True, text=True, timeout=300, preexec_fn=lambda: os.umask(0))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return root, done, sandboxed


def test_nothing_the_demo_wrote_is_open_to_others(demo):
    root, _, _ = demo
    files = [p for p in root.rglob("*") if not p.is_symlink()]
    kinds = {p.suffix for p in files if p.is_file()}
    # It did make what the issue is about: stores, recordings, keys, bundles, configurations, slips.
    assert {".db", ".wav", ".key", ".pem", ".frontdesk-bundle", ".toml", ".log", ".png", ".crt"} <= kinds, kinds
    open_to_others = [f"{oct(stat.S_IMODE(p.stat().st_mode))} {p}" for p in [root, *files]
                      if stat.S_IMODE(p.stat().st_mode) & 0o007]
    assert open_to_others == []


def test_the_demos_secrets_are_its_owners_only(demo):
    root, _, _ = demo
    secrets = {p for pattern in SECRETS for p in root.rglob(pattern)}
    assert len([p for p in secrets if p.suffix == ".key"]) >= 7  # CA, broker, central, 3 devices, site
    assert len([p for p in secrets if p.suffix == ".frontdesk-bundle"]) == 3
    loose = [f"{oct(stat.S_IMODE(p.stat().st_mode))} {p}" for p in secrets if stat.S_IMODE(p.stat().st_mode) != 0o600]
    assert loose == []
    # Folders that hold nothing but secrets are their owner's alone too (the broker's folder is
    # 0750: it also holds the configuration, ACL and CRL the broker reads).
    for folder in [root / "fleet" / "ca", root / "central" / "command-keys", root / "bundles",
                   *root.glob("*/tls")]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_the_tour_passes_inside_the_units_sandbox(demo):
    _, done, sandboxed = demo
    if not sandboxed:
        pytest.skip("this kernel has no PR_SET_MDWE (Linux 6.3+) or libseccomp is missing")
    assert "FAIL" not in done.stdout
    tour = [line for line in done.stdout.splitlines() if line.startswith("tour:") and "steps seen" in line]
    assert tour and tour[0].split()[1] == tour[0].split()[3], tour


PROBE = """
import mmap, os, socket, sys
socket.socket(socket.AF_INET6).close()
for what, attempt in (("netlink", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 15)),
                      ("setuid", lambda: os.setuid(os.getuid())),
                      ("sched_setaffinity", lambda: os.sched_setaffinity(0, os.sched_getaffinity(0))),
                      ("w+x memory", lambda: mmap.mmap(-1, 4096, prot=7))):
    try:
        attempt()
    except OSError:
        continue
    print(what, "allowed")
"""


def test_the_sandbox_is_not_a_no_op():
    """What the tour ran in refuses what the central unit refuses (and the same probe outside it
    is allowed all of it, so the refusals are the sandbox's)."""
    if not sandbox_available():
        pytest.skip("this kernel has no PR_SET_MDWE (Linux 6.3+) or libseccomp is missing")
    inside = subprocess.run([*SANDBOX, sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert inside.returncode == 0 and inside.stdout == "", inside.stdout + inside.stderr
    outside = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert outside.stdout.split("\n")[:4] == ["netlink allowed", "setuid allowed", "sched_setaffinity allowed",
                                               "w+x memory allowed"], outside.stdout + outside.stderr
