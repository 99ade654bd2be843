"""Every unit in deploy/systemd: valid for systemd (`systemd-analyze verify`) and hardened
(`systemd-analyze security --offline=yes`: overall exposure at most 3.5, "OK"), with the devices,
address families and groups each role needs and no more.

`verify` checks that every Exec*= program exists. The programs are installed only on the Pi or
the central server (/opt/frontdesk/.venv/bin/frontdesk, cage, mosquitto), so the unit files are
verified unchanged inside a scratch root (`--root=`): the units in its /etc/systemd/system, this
machine's own system units (the targets they name) in its /usr/lib/systemd/system, and an
executable placeholder at exactly each path an Exec*= line names.
"""
from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

UNITS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
UNITS = sorted(p.name for p in UNITS_DIR.glob("*.service"))
MAX_EXPOSURE = 3.5
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is missing: run scripts/setup")

# Device classes (the kernel's names in /proc/devices) an edge may use, and why.
EDGE_DEVICES = {
    "char-ttyACM": "rw",        # USB CDC voice modems (USR5637, CX93001 sticks)
    "char-ttyUSB": "rw",        # USB-serial printers, serial card readers, Wiegand converters
    "char-ttyAMA": "rw",        # the Pi's own UART
    "char-usb_device": "rw",    # USB printers through libusb (pyusb)
    "char-usb": "rw",           # USB printers through the kernel's usblp (/dev/usb/lp0)
    "char-video4linux": "rw",   # the camera
    "char-input": "r",          # card readers' event devices (only those udev gives to frontdesk)
    "char-alsa": "rw",          # the desk headset
}


def unit(name: str) -> dict[str, list[str]]:
    """"Section.Key" -> every value given, in order (DeviceAllow=, SystemCallFilter= repeat)."""
    values: dict[str, list[str]] = {}
    section = ""
    for raw in (UNITS_DIR / name).read_text().replace("\\\n", " ").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        values.setdefault(f"{section}.{key}", []).append(value.strip())
    return values


def setting(name: str, key: str, section: str = "Service") -> list[str]:
    return unit(name).get(f"{section}.{key}", [])


def exec_paths(name: str) -> set[str]:
    paths = set()
    for key in ("ExecStart", "ExecStartPre", "ExecStartPost", "ExecReload", "ExecStop"):
        for value in setting(name, key):
            paths.add(value.lstrip("-@:+!").split()[0])
    return paths


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("root")
    (root / "etc" / "systemd" / "system").mkdir(parents=True)
    for name in UNITS:
        shutil.copy(UNITS_DIR / name, root / "etc" / "systemd" / "system" / name)
    shutil.copytree("/usr/lib/systemd/system", root / "usr" / "lib" / "systemd" / "system", symlinks=True)
    for name in UNITS:
        for path in exec_paths(name):
            stub = root / path.lstrip("/")
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text("#!/bin/sh\n")
            stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    return root


def verify(root: Path, name: str) -> subprocess.CompletedProcess:
    return subprocess.run([ANALYZE, "verify", f"--root={root}", name], capture_output=True, text=True, timeout=60)


def exposure(path: Path) -> tuple[float, str]:
    done = subprocess.run([ANALYZE, "security", "--offline=yes", "--no-pager", str(path)], capture_output=True,
                          text=True, timeout=60)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)", done.stdout)
    assert found, done.stdout + done.stderr
    return float(found.group(1)), found.group(2)


def test_every_role_has_its_unit():
    assert UNITS == ["frontdesk-broker.service", "frontdesk-central.service", "frontdesk-edge.service",
                     "frontdesk-screen.service"]


@pytest.mark.parametrize("name", UNITS)
def test_unit_verifies_without_a_word(root, name):
    done = verify(root, name)
    assert done.returncode == 0 and done.stderr == "" and done.stdout == "", done.stdout + done.stderr


def test_verify_would_notice_a_misspelt_setting_or_a_missing_program(root, tmp_path):
    broken = root / "etc" / "systemd" / "system" / "frontdesk-typo.service"
    text = (UNITS_DIR / "frontdesk-edge.service").read_text()
    broken.write_text(text.replace("ProtectSystem=strict", "ProtectSystm=strict"))
    assert "Unknown key 'ProtectSystm'" in verify(root, broken.name).stderr
    broken.write_text(text.replace("/opt/frontdesk/.venv/bin/frontdesk", "/opt/nowhere/frontdesk"))
    assert "is not executable" in verify(root, broken.name).stderr
    broken.unlink()


@pytest.mark.parametrize("name", UNITS)
def test_unit_exposure_is_ok_or_better(name):
    level, word = exposure(UNITS_DIR / name)
    assert level <= MAX_EXPOSURE and word in ("OK", "SAFE"), (name, level, word)


def test_the_exposure_reading_is_real(tmp_path):
    """The same unit without its hardening scores far worse: the figure above is systemd's, not a constant."""
    lines = (UNITS_DIR / "frontdesk-central.service").read_text().splitlines()
    bare = tmp_path / "frontdesk-bare.service"
    bare.write_text("\n".join(line for line in lines if line.split("=")[0] in
                              ("[Unit]", "[Service]", "[Install]", "Description", "User", "ExecStart",
                               "WantedBy", "Type")) + "\n")
    assert exposure(bare)[0] > 8


@pytest.mark.parametrize("name", UNITS)
def test_common_hardening(name):
    for key, want in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                      ("PrivateTmp", "yes"), ("CapabilityBoundingSet", ""), ("ProtectKernelTunables", "yes"),
                      ("ProtectKernelModules", "yes"), ("ProtectKernelLogs", "yes"),
                      ("ProtectControlGroups", "yes"), ("ProtectClock", "yes"), ("ProtectHostname", "yes"),
                      ("RestrictRealtime", "yes"), ("RestrictSUIDSGID", "yes"), ("LockPersonality", "yes"),
                      ("SystemCallArchitectures", "native"), ("ProtectProc", "invisible"),
                      ("DevicePolicy", "closed")):
        assert setting(name, key) == [want], (name, key, setting(name, key))
    assert setting(name, "UMask") == (["0077"] if name == "frontdesk-screen.service" else ["0027"])
    assert setting(name, "StateDirectoryMode") == (["0700"] if name == "frontdesk-screen.service" else ["0750"])


@pytest.mark.parametrize("name", ["frontdesk-central.service", "frontdesk-broker.service"])
def test_central_and_broker_touch_no_device_and_only_ip_and_unix_sockets(name):
    assert setting(name, "PrivateDevices") == ["yes"] and setting(name, "DeviceAllow") == []
    assert setting(name, "RestrictAddressFamilies") == ["AF_UNIX AF_INET AF_INET6"]
    assert setting(name, "MemoryDenyWriteExecute") == ["yes"]
    assert setting(name, "RestrictNamespaces") == ["yes"] and setting(name, "ProcSubset") == ["pid"]
    assert setting(name, "SystemCallFilter")[0] == "@system-service"


def test_edge_gets_its_hardware_classes_and_no_keyboard_group():
    name = "frontdesk-edge.service"
    allowed = dict(v.split() for v in setting(name, "DeviceAllow"))
    assert allowed == EDGE_DEVICES
    groups = setting(name, "SupplementaryGroups")[0].split()
    assert "input" not in groups and sorted(groups) == ["audio", "dialout", "lp", "video"]
    # AF_NETLINK: libusb (pyusb, the USB printers) watches hot-plug through udev's netlink socket.
    assert setting(name, "RestrictAddressFamilies") == ["AF_UNIX AF_INET AF_INET6 AF_NETLINK"]
    assert setting(name, "MemoryDenyWriteExecute") == ["yes"] and setting(name, "RestrictNamespaces") == ["yes"]
    assert setting(name, "RestartPreventExitStatus") == ["78"]


def test_the_screen_keeps_chromiums_sandbox_and_jit_and_talks_only_to_this_machine():
    name = "frontdesk-screen.service"
    assert setting(name, "MemoryDenyWriteExecute") == []        # V8's JIT writes code
    assert setting(name, "RestrictNamespaces") == ["user pid net"]  # Chromium's own sandbox
    assert setting(name, "IPAddressDeny") == ["any"] and setting(name, "IPAddressAllow") == ["localhost"]
    assert sorted(setting(name, "DeviceAllow")) == ["/dev/tty1 rw", "char-drm rw", "char-input r"]
