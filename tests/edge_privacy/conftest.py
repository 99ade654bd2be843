"""A journal and data folder per test, filled by helpers.fill()."""
from __future__ import annotations

import pytest

from frontdesk.edge.journal import Journal

from .helpers import DEVICE, SITE, fill


class Desk:
    def __init__(self, root) -> None:
        self.data_dir = root / "data"
        self.data_dir.mkdir()
        self.journal = Journal(self.data_dir / "journal.db", site=SITE, device=DEVICE, tz="Asia/Shanghai")
        self.filled = fill(self.journal, self.data_dir)


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.journal.close()


# The spine's fleet broker (TLS, per-device ACL) for the tests that go through central.
from tests.spine.conftest import fleet  # noqa: E402,F401
