"""The login pages in Chromium: after too many failed logins they say how long to wait (the seconds
of Retry-After, in Chinese and English), say when the wait is over, and log in after it; a
session that idled out sends the dashboard back to the login page."""
from __future__ import annotations

import pytest

from frontdesk.central.dashboard import routes

from ..a11y import assert_accessible, assert_touch_targets
from ..dashboard.dashboard_helpers import DESK, PHONE, Central, wait_until
from .helpers import Clock


@pytest.fixture
def served(sqlite_url, monkeypatch):
    monkeypatch.setattr(routes, "SESSION_CHECK_S", 1.0)  # an open live stream looks at its session
    with Central(sqlite_url) as c:
        c.clock = Clock()
        c.app.state.accounts.clock = c.clock
        yield c


@pytest.fixture
def new_page(browser):
    made = []

    def make(viewport=DESK, **options):
        context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda err: errors.append(str(err)))
        made.append((context, errors))
        return pg

    yield make
    for context, errors in made:
        context.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


def _try(pg, username: str, password: str, expect: str) -> str:
    """Submit the form and wait until the page's message holds `expect`; the message."""
    pg.fill("#username", username)
    pg.fill("#password", password)
    with pg.expect_response(lambda r: r.url.endswith("/api/v1/auth/login")):
        pg.click("#login-submit")
    # the message is written once the answer is read; polled from here (the page's CSP allows no
    # eval'd probe)
    return wait_until(lambda: (lambda said: said if expect in said else "")(pg.text_content("#login-message") or ""),
                      what=f"the login message {expect!r}")


def test_the_login_page_shows_the_wait_and_logs_in_after_it(served, new_page):
    user, password = served.add_user("desk-lock", "desk")
    pg = new_page()
    pg.goto(f"{served.url}/dashboard/login?lang=zh-Hans&next=/dashboard/board")
    for i in range(5):
        _try(pg, user, f"wrong password {i}", "用户名或密码错误")
    said = _try(pg, user, password, "登录失败次数过多")  # locked: even the right password waits
    assert said == "登录失败次数过多，请 30 秒后再试"
    assert pg.get_attribute("#login-message .message", "role") == "alert"
    assert_accessible(pg)

    en = new_page()
    en.goto(f"{served.url}/dashboard/login?lang=en&next=/dashboard/board")
    assert _try(en, user, password, "Too many") == "Too many failed logins. Try again in 30 s"
    assert_accessible(en)

    served.clock.advance(seconds=29)  # one second left: the page says when it is over
    assert _try(pg, user, password, "1 秒") == "登录失败次数过多，请 1 秒后再试"
    wait_until(lambda: "现在可以再试一次登录" in (pg.text_content("#login-message") or ""), 5, "the wait is over")
    served.clock.advance(seconds=2)
    pg.fill("#username", user)
    pg.fill("#password", password)
    pg.click("#login-submit")
    pg.wait_for_url(lambda url: "/dashboard/board" in url and "/login" not in url)

    # 31 minutes without a request: the session idled out; the board's live stream ends and the
    # page goes to the login by itself
    served.clock.advance(minutes=31)
    pg.wait_for_url(lambda url: "/dashboard/login" in url and "next=%2Fdashboard%2Fboard" in url, timeout=20000)
    # and a page opened afterwards does the same (app.js on a 401)
    pg.goto(f"{served.url}/dashboard/visitors")
    pg.wait_for_url(lambda url: "/dashboard/login" in url and "next=%2Fdashboard%2Fvisitors" in url)


def test_the_technicians_login_shows_the_wait(served, new_page):
    user, password = served.add_user("tech-lock", "technician")
    pg = new_page(PHONE, has_touch=True, is_mobile=True)
    pg.goto(f"{served.url}/dashboard/tech?lang=en")
    pg.wait_for_selector("#login-form")
    for i in range(5):
        _try(pg, user, f"wrong password {i}", "Wrong user name or password")
    assert _try(pg, user, password, "Too many") == "Too many failed logins. Try again in 30 s"
    assert_accessible(pg)
    assert_touch_targets(pg, 44)
    served.clock.advance(seconds=31)
    pg.fill("#password", password)
    pg.click("#login-submit")
    pg.wait_for_selector("#login-form", state="detached")
