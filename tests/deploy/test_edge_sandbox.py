"""Why the edge unit allows AF_NETLINK and the others do not: libusb, under pyusb and the USB
receipt printers, opens udev's netlink socket (NETLINK_KOBJECT_UEVENT) when it starts and gives
up without it. Run inside each unit's sandbox (sandbox.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
UNITS = HERE.parents[1] / "deploy" / "systemd"
PROBE = """
import usb.core
try:
    list(usb.core.find(find_all=True))
    print("libusb works")
except usb.core.NoBackendError:
    print("no libusb backend")
"""


def in_sandbox(unit: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HERE / "sandbox.py"), str(UNITS / unit), "--", sys.executable, "-c",
                           PROBE], capture_output=True, text=True, timeout=60)


def test_usb_printers_work_in_the_edge_unit_and_need_its_netlink():
    outside = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert outside.stdout.strip() == "libusb works", "libusb-1.0-0 is missing: run scripts/setup"
    edge = in_sandbox("frontdesk-edge.service")
    if edge.returncode == 97:
        pytest.skip("this kernel has no PR_SET_MDWE (Linux 6.3+) or libseccomp is missing")
    assert edge.stdout.strip() == "libusb works", edge.stdout + edge.stderr
    # The same library in central's unit (no AF_NETLINK): libusb cannot start.
    assert in_sandbox("frontdesk-central.service").stdout.strip() == "no libusb backend"
