import pytest

from .dashboard_helpers import DESK, Central


@pytest.fixture
def central(request, sqlite_url):
    """Central on SQLite; a test may give it a configuration through indirect parametrization."""
    with Central(sqlite_url, getattr(request, "param", None)) as c:
        yield c


@pytest.fixture
def central_any(database_url):
    """Central on SQLite and on PostgreSQL (the flows that write tickets run on both)."""
    with Central(database_url) as c:
        yield c


def _page(browser, viewport, locale="zh-CN", **options):
    context = browser.new_context(viewport=viewport, locale=locale, timezone_id="Asia/Shanghai", **options)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda err: errors.append(str(err)))
    pg.js_errors = errors
    return context, pg


@pytest.fixture
def page(browser):
    """A desk-PC sized page; JavaScript errors fail the test."""
    context, pg = _page(browser, DESK)
    yield pg
    context.close()
    assert not pg.js_errors, f"JavaScript errors on the page: {pg.js_errors}"


@pytest.fixture
def make_page(browser):
    """Pages in their own browser contexts; `options` go to the context (a phone: has_touch=True,
    is_mobile=True)."""
    made = []

    def make(viewport=DESK, locale="zh-CN", **options):
        context, pg = _page(browser, viewport, locale, **options)
        made.append((context, pg))
        return pg

    yield make
    for context, pg in made:
        context.close()
        assert not pg.js_errors, f"JavaScript errors on the page: {pg.js_errors}"
