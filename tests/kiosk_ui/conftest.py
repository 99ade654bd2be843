import pytest

from frontdesk.passes import generate_key

from .kiosk_post import VIEWPORT, Post


@pytest.fixture(scope="session")
def site_key():
    return generate_key()


@pytest.fixture
def make_post(tmp_path, site_key):
    made = []

    def make(name="post", **kw):
        p = Post(tmp_path / name, site_key, device=name, **kw)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


@pytest.fixture
def page(browser):
    """A fresh page at the kiosk's size; JavaScript errors fail the test."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda err: errors.append(str(err)))
    pg.js_errors = errors
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"

