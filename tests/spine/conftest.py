"""The spine's broker: the fleet's generated TLS broker, its registry in the test's central database."""
from __future__ import annotations

import pytest

from .harness import local_fleet


@pytest.fixture
def fleet(request, tmp_path):
    """A started fleet broker with SITE registered. The registry lives where central's tables do: the
    test's `database_url` (each backend) or `sqlite_url`, or a database of its own when the test
    starts no central."""
    used = request.fixturenames
    if "database_url" in used:
        url = request.getfixturevalue("database_url")
    elif "sqlite_url" in used:
        url = request.getfixturevalue("sqlite_url")
    else:
        url = f"sqlite:///{tmp_path / 'fleet.db'}"
    with local_fleet(tmp_path, url) as f:
        yield f
