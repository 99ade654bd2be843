from __future__ import annotations

import pytest

from .helpers import Central, Logins


@pytest.fixture
def logins(request, database_url):
    """Central on each database backend with a clock the test moves; a test may give it a
    configuration through indirect parametrization."""
    c = Central(database_url, getattr(request, "param", None))
    yield Logins(c)
    c.close()


@pytest.fixture
def logins_sqlite(request, sqlite_url):
    c = Central(sqlite_url, getattr(request, "param", None))
    yield Logins(c)
    c.close()


@pytest.fixture
def central_sqlite(sqlite_url):
    c = Central(sqlite_url)
    yield c
    c.close()
