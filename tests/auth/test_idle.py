"""Idle timeout, on SQLite and PostgreSQL: a desk session unused for [auth] idle_timeout_min ends
(401 like an expired one); a remembered phone login has its own idle rule; the last use is
written at most once a minute."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from frontdesk.central.auth.tables import sessions

from .helpers import PASSWORD

ME = "/api/v1/auth/me"


def _logged_in(logins, *, remember: bool = False, token: bool = False):
    logins.central.user("technician" if remember else "desk")
    c = logins.client()
    r = c.post("/api/v1/auth/login", json={"username": "technician" if remember else "desk", "password": PASSWORD,
                                           "remember": remember, "token": token})
    assert r.status_code == 200, r.text
    if token:
        c.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return c


def _last_used(logins):
    with logins.central.store.engine.connect() as conn:
        return [r.last_used_at for r in conn.execute(select(sessions.c.last_used_at))]


def test_a_desk_session_ends_when_unused_for_the_idle_timeout(logins):
    c = _logged_in(logins)  # a cookie session, as the dashboard has
    logins.clock.advance(minutes=29)
    assert c.get(ME).status_code == 200
    logins.clock.advance(minutes=29)  # 58 min after login, 29 after the last use: still on
    assert c.get(ME).status_code == 200
    logins.clock.advance(minutes=30)
    r = c.get(ME)
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    logins.clock.advance(seconds=1)
    assert c.get(ME).status_code == 401  # ended for good, not just once
    assert _last_used(logins) == []  # and gone from the database


def test_bearer_tokens_idle_out_too(logins):
    c = _logged_in(logins, token=True)
    logins.clock.advance(minutes=31)
    assert c.get(ME).status_code == 401


def test_last_use_is_written_at_most_once_a_minute(logins):
    c = _logged_in(logins)
    first = _last_used(logins)
    for _ in range(5):
        logins.clock.advance(seconds=10)
        assert c.get(ME).status_code == 200
    assert _last_used(logins) == first  # 50 s of requests: no write
    logins.clock.advance(seconds=15)
    assert c.get(ME).status_code == 200
    assert _last_used(logins) != first


def test_a_remembered_phone_login_is_not_cut_by_the_desk_idle_timeout(logins):
    c = _logged_in(logins, remember=True)
    logins.clock.advance(days=29)  # unused for 29 days: the default idle rule is the remember period
    assert c.get(ME).status_code == 200
    logins.clock.advance(days=1, seconds=1)  # and it ends after [auth] remember_days anyway
    assert c.get(ME).status_code == 401


@pytest.mark.parametrize("logins", [{"auth": {"remember_idle_days": 7, "idle_timeout_min": 10}}], indirect=True,
                         ids=["idle-7d"])
def test_the_remembered_idle_rule_is_its_own(logins):
    phone = _logged_in(logins, remember=True)
    desk = _logged_in(logins)
    logins.clock.advance(minutes=11)
    assert desk.get(ME).status_code == 401
    assert phone.get(ME).status_code == 200
    logins.clock.advance(days=6, hours=23)
    assert phone.get(ME).status_code == 200  # used again: 7 more days from now
    logins.clock.advance(days=6, hours=23)
    assert phone.get(ME).status_code == 200
    logins.clock.advance(days=7)
    assert phone.get(ME).status_code == 401
