"""An open live stream ends once its session does (idle, logout): an unattended desk screen does not
go on showing what comes in. Real HTTP (uvicorn), the session's clock moved by the test."""
from __future__ import annotations

import threading
import time

import httpx
import pytest

from frontdesk.central.dashboard import routes

from ..dashboard.dashboard_helpers import Central, wait_until
from .helpers import Clock


@pytest.fixture
def served(sqlite_url, monkeypatch):
    monkeypatch.setattr(routes, "HEARTBEAT_S", 0.3)
    monkeypatch.setattr(routes, "SESSION_CHECK_S", 0.2)
    with Central(sqlite_url) as c:
        c.clock = Clock()
        c.app.state.accounts.clock = c.clock
        yield c


class Stream:
    """Reads the live stream in a thread; `ended` is set when the server closes it."""

    def __init__(self, url: str, token: str) -> None:
        self.lines: list[str] = []
        self.ended = threading.Event()
        threading.Thread(target=self._read, args=(url, token), daemon=True).start()

    def _read(self, url: str, token: str) -> None:
        try:
            with httpx.stream("GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as r:
                for line in r.iter_lines():
                    self.lines.append(line)
        except httpx.HTTPError:
            pass
        self.ended.set()


def _token(central) -> str:
    user, password = central.add_user("desk-live", "desk")
    r = httpx.post(f"{central.url}/api/v1/auth/login", json={"username": user, "password": password, "token": True})
    r.raise_for_status()
    return r.json()["token"]


def test_a_stream_ends_when_its_session_idles_out(served):
    token = _token(served)
    stream = Stream(f"{served.url}/api/v1/dashboard/live", token)
    wait_until(lambda: any("ping" in line for line in stream.lines), what="pings")
    served.clock.advance(minutes=20)
    time.sleep(1.0)  # checked several times: the session holds, and looking at it is no use of it
    assert not stream.ended.is_set()
    served.clock.advance(minutes=11)  # 31 minutes since the last real use
    assert stream.ended.wait(10), "the stream outlived its session"
    r = httpx.get(f"{served.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_a_stream_ends_after_logout(served):
    token = _token(served)
    stream = Stream(f"{served.url}/api/v1/dashboard/live", token)
    wait_until(lambda: any("hello" in line for line in stream.lines), what="hello")
    r = httpx.post(f"{served.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204
    assert stream.ended.wait(10), "the stream outlived its session"
