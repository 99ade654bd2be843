"""After a fresh `frontdesk demo --tour` started with umask 0: every database, recording, key,
bundle, configuration and log under the demo's folder is closed to others, secrets are 0600.

The demo runs under the kernel's memory-deny-write-execute (PR_SET_MDWE, inherited by every process
it starts): the same promise the units' MemoryDenyWriteExecute= makes, so the tour passing shows
central, the edges (Vosk, OpenCV, zxing-cpp, numpy) and Mosquitto need no writable code.
"""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

PR_SET_MDWE, PR_GET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 66, 1
SECRETS = ("*.key", "*.frontdesk-bundle", "command-keys/*.pem")
MDWE_CHILD = """
import ctypes, mmap, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0:
    sys.exit(97)
import os
os.execv(sys.argv[1], sys.argv[1:])
"""


def mdwe_available() -> bool:
    probe = subprocess.run([sys.executable, "-c", MDWE_CHILD, "/bin/true"], capture_output=True)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess, bool]:
    root = tmp_path_factory.mktemp("demo") / "demo"
    mdwe = mdwe_available()
    wrap = [sys.executable, "-c", MDWE_CHILD] if mdwe else []
    done = subprocess.run([*wrap, sys.executable, "-m", "frontdesk", "demo", "--dir", str(root), "--tour"],
                          capture_output=True, text=True, timeout=300, preexec_fn=lambda: os.umask(0))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return root, done, mdwe


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


def test_the_tour_passes_without_writable_code(demo):
    _, done, mdwe = demo
    if not mdwe:
        pytest.skip("this kernel has no PR_SET_MDWE (Linux 6.3+)")
    assert "tour:" in done.stdout and "FAIL" not in done.stdout
    tour = [line for line in done.stdout.splitlines() if line.startswith("tour:") and "steps seen" in line]
    assert tour and tour[0].split()[1] == tour[0].split()[3], tour


def test_memory_deny_write_execute_is_inherited_and_enforced():
    if not mdwe_available():
        pytest.skip("this kernel has no PR_SET_MDWE (Linux 6.3+)")
    check = ("import ctypes, mmap, sys\n"
             "libc = ctypes.CDLL(None, use_errno=True)\n"
             "assert libc.prctl(66, 0, 0, 0, 0) == 1, 'not inherited'\n"
             "try:\n"
             "    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\n"
             "except PermissionError:\n"
             "    sys.exit(0)\n"
             "sys.exit('a writable and executable mapping was allowed')\n")
    done = subprocess.run([sys.executable, "-c", MDWE_CHILD, sys.executable, "-c", check], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    free = subprocess.run([sys.executable, "-c", check.replace("== 1", "== 0")], capture_output=True, text=True)
    assert free.returncode == 1 and "was allowed" in free.stderr  # without it the same mapping is made
