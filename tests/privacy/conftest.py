from __future__ import annotations

import pytest

from ..central.helpers import Central


@pytest.fixture
def central(request, database_url):
    """Central on each database backend; a test may give it a configuration through indirect
    parametrization."""
    c = Central(database_url, getattr(request, "param", None))
    yield c
    c.close()


@pytest.fixture
def central_sqlite(sqlite_url):
    c = Central(sqlite_url)
    yield c
    c.close()
