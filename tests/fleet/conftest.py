"""A fleet on loopback for each test: the CA, the generated TLS broker, two sites, central's
database on both backends (tests/conftest.py `database_url`)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from frontdesk.demo.fleet import LocalFleet
from frontdesk.enrolment import Bundle

from ..spine.harness import COMMAND_PUBLIC_KEY, Central, wait_until

SITE_A, SITE_B = "site-a", "site-b"


def start_fleet(root: Path, url: str) -> LocalFleet:
    fleet = LocalFleet(root, url, [COMMAND_PUBLIC_KEY])
    fleet.registry().write_broker_config()
    for site in (SITE_A, SITE_B):
        fleet.add_site(site)
    fleet.start_broker()
    return fleet


@pytest.fixture
def fleet(tmp_path, database_url):
    f = start_fleet(tmp_path / "fleet-root", database_url)
    yield f
    f.stop()


@pytest.fixture
def sqlite_fleet(tmp_path, sqlite_url):
    f = start_fleet(tmp_path / "fleet-root", sqlite_url)
    yield f
    f.stop()


def device(fleet: LocalFleet, root: Path, site: str, name: str, role: str = "agent") -> tuple[Bundle, Path]:
    """Register and install a device in `root/<site>-<name>`; (its bundle, its tls folder)."""
    folder = root / f"{site}-{name}"
    bundle = fleet.enroll(site, name, folder, role=role)
    return bundle, folder / "tls"


def start_central(fleet: LocalFleet, root: Path) -> Central:
    central = Central(root / "central", fleet.port, fleet.database_url, retry_s=0.5,
                      mqtt=fleet.central_mqtt_toml(), extra=fleet.fleet_toml())
    try:
        central.start()
        wait_until(lambda: healthz(central).get("broker_connected"), 20, what="central on the broker")
    except BaseException:
        central.stop()  # a central that never came up is not left running
        raise
    return central


def _get(central: Central, path: str) -> str:
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{central.http_port}{path}", timeout=5) as resp:
        return resp.read().decode()


def healthz(central: Central) -> dict:
    """Central's /healthz (it says whether central is on the broker)."""
    return json.loads(_get(central, "/healthz"))
