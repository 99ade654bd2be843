"""Shared pieces of the login tests: central on a real database with a clock the test moves, and
clients that come from a given address."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from ..central.helpers import PASSWORD, Central

LOGIN = "/api/v1/auth/login"


class Clock:
    """The time central's accounts see; `advance` moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Logins:
    """Central with a moved clock; logins from a chosen client address."""

    def __init__(self, central: Central) -> None:
        self.central = central
        self.clock = Clock()
        central.accounts.clock = self.clock

    def client(self, address: str = "10.0.0.1", **options) -> TestClient:
        return TestClient(self.central.app, client=(address, 40000), **options)

    def login(self, username: str, password: str, address: str = "10.0.0.1", headers: dict | None = None,
              **extra):
        return self.client(address).post(LOGIN, json={"username": username, "password": password, **extra},
                                         headers=headers or {})

    def fail(self, username: str, times: int, address: str = "10.0.0.1", headers: dict | None = None) -> None:
        """`times` wrong passwords, each answered 401 (not yet throttled)."""
        for i in range(times):
            r = self.login(username, f"wrong password {i}", address, headers)
            assert r.status_code == 401, (i, r.status_code, r.text)


__all__ = ["PASSWORD", "Central", "Clock", "Logins"]
