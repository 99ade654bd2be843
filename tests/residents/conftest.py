"""Fixtures of the resident tests: central with a site pass key, a directory and known posts."""
from __future__ import annotations

import pytest

from frontdesk.passes import generate_key, save_private_key

from ..central.helpers import Central
from .residents_helpers import DIRECTORY, SITE


@pytest.fixture
def pass_key(tmp_path):
    key = generate_key()
    path = tmp_path / "keys" / "pass.key"
    path.parent.mkdir(parents=True)
    save_private_key(key, path)
    return key, path


@pytest.fixture
def central(database_url, pass_key):
    """Central on each backend, with SITE's pass key, one configured post (gate-9) and the directory."""
    cfg = {"tickets": {"pass_keys": {SITE: str(pass_key[1])}, "pass_posts": {SITE: ["gate-9"]}}}
    c = Central(database_url, cfg)
    r = c.client("manager").put(f"/api/v1/sites/{SITE}/directory", json={"entries": DIRECTORY})
    assert r.status_code == 200, r.text
    yield c
    c.close()
