from __future__ import annotations

import pytest

from .helpers import Central


@pytest.fixture
def central(database_url):
    c = Central(database_url)
    yield c
    c.close()


@pytest.fixture
def central_sqlite(sqlite_url):
    c = Central(sqlite_url)
    yield c
    c.close()
