import pytest

from frontdesk.passes import generate_key

from .access_helpers import Post


@pytest.fixture(scope="session")
def site_key():
    return generate_key()


@pytest.fixture
def post(tmp_path, site_key):
    p = Post(tmp_path, site_key)
    yield p
    p.close()


@pytest.fixture
def make_post(tmp_path, site_key):
    made = []

    def make(name="post", **cfg):
        root = tmp_path / name
        root.mkdir()
        p = Post(root, site_key, device=name, **cfg)
        made.append(p)
        return p
    yield make
    for p in made:
        p.close()
