"""Shared fixtures: a real Mosquitto per test, a real PostgreSQL per session, tmp databases.

Everything binds to 127.0.0.1 on free ports and is stopped when the test (or session) ends.
"""
from __future__ import annotations

import itertools
import os

import pytest

from frontdesk.runtime.mosquitto import Mosquitto
from frontdesk.runtime.postgres import Postgres

_db_counter = itertools.count()


@pytest.fixture
def broker(tmp_path):
    with Mosquitto(tmp_path / "broker") as m:
        yield m


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    with Postgres(tmp_path_factory.mktemp("postgres")) as pg:
        yield pg


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty central database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'central' / 'central.db'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"t{os.getpid()}_{next(_db_counter)}")


@pytest.fixture(scope="session")
def browser():
    """The session's headless Chromium (shared by the kiosk and dashboard tests)."""
    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'central' / 'central.db'}"
