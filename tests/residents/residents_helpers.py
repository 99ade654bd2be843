"""Shared pieces of the resident tests: the directory, and signing a resident in as they would
(the desk makes a code and reads it out, the resident types it)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from ..central.helpers import SITE

WANG = "+86 138 0013 8000"          # 3-1502 and 3-1503 (two units)
LI = "13900139000"                  # 5-101
NOBODY = "13700137000"              # not in the directory
DIRECTORY = [{"unit": "3-1502", "name": "王女士", "phone": WANG},
             {"unit": "3-1503", "name": "王女士", "phone": "13800138000"},
             {"unit": "5-101", "name": "李明", "phone": LI},
             {"unit": "7-701"}]

__all__ = ["DIRECTORY", "LI", "NOBODY", "SITE", "WANG", "desk_code", "resident", "window"]


def desk_code(central, phone: str) -> str:
    r = central.client("desk").post(f"/api/v1/sites/{SITE}/resident-codes", json={"phone": phone})
    assert r.status_code == 201, r.text
    return r.json()["code"]


def resident(central, phone: str = WANG, client: tuple[str, int] = ("203.0.113.7", 5000)) -> TestClient:
    """A browser-like client signed in as the resident with this number (cookie + CSRF header)."""
    c = TestClient(central.app, client=client)
    r = c.post(f"/api/v1/sites/{SITE}/resident/session", json={"phone": phone, "code": desk_code(central, phone)})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def window(start_min: float = 0, hours: float = 4) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(minutes=start_min)
    return {"valid_from": start.isoformat(), "valid_until": (start + timedelta(hours=hours)).isoformat()}
