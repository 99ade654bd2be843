"""Staff accounts: wrong role, wrong site, expired session, CSRF, masking, audit, injection."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .helpers import OTHER, PASSWORD, SITE


def _ticket(c, client=None, **extra):
    client = client or c.client("desk")
    r = client.post("/api/v1/tickets", json={"site": SITE, "kind": "repair", "title": "漏水", "unit": "3-201",
                                             "contact_name": "张三", "contact_phone": "13812345678", **extra})
    assert r.status_code == 201, r.text
    return r.json()


def test_no_login_wrong_password(central):
    anon = central.client()
    assert anon.get("/api/v1/tickets").status_code == 401
    central.user("desk")
    r = anon.post("/api/v1/auth/login", json={"username": "desk", "password": "wrong password"})
    assert r.status_code == 401
    assert anon.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"}).status_code == 401


def test_wrong_role(central):
    tid = _ticket(central)["id"]
    tech, guard = central.client("technician"), central.client("guard")
    assert tech.get("/api/v1/registers/calls").status_code == 403
    assert tech.get("/api/v1/stats/monthly", params={"site": SITE, "month": "2026-11"}).status_code == 403
    assert guard.post(f"/api/v1/tickets/{tid}/assign", json={"assignee": "x"}).status_code == 403
    assert guard.post("/api/v1/tickets", json={"site": SITE, "kind": "repair", "title": "x"}).status_code == 403
    assert central.client("desk").post("/api/v1/privacy/erase", json={"phone": "13812345678"}).status_code == 403
    assert central.client("manager").get("/api/v1/users").status_code == 403
    assert central.client("admin").get("/api/v1/users").status_code == 200


def test_wrong_site(central):
    tid = _ticket(central)["id"]
    other = central.client("other-desk")
    assert other.get(f"/api/v1/tickets/{tid}").status_code == 404
    assert other.get("/api/v1/tickets").json() == []
    assert other.get("/api/v1/tickets", params={"site": SITE}).status_code == 403
    assert other.post("/api/v1/tickets", json={"site": SITE, "kind": "repair", "title": "x"}).status_code == 403
    assert other.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": "closed"}).status_code == 404
    assert other.get(f"/api/v1/sites/{SITE}/commands").status_code == 403
    assert other.post("/api/v1/tickets", json={"site": OTHER, "kind": "repair", "title": "x"}).status_code == 201


def test_expired_session_and_logout(central):
    central.user("desk")
    c = central.client()
    body = c.post("/api/v1/auth/login", json={"username": "desk", "password": PASSWORD, "token": True}).json()
    c.headers["Authorization"] = f"Bearer {body['token']}"
    assert c.get("/api/v1/auth/me").status_code == 200
    central.accounts.expire(body["token"], datetime.now(UTC) - timedelta(seconds=1))
    r = c.get("/api/v1/auth/me")
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    c2 = central.client("desk")
    assert c2.post("/api/v1/auth/logout").status_code == 204
    assert c2.get("/api/v1/auth/me").status_code == 401


def test_csrf_on_cookie_sessions(central):
    c = central.client("desk", token=False)
    assert c.get("/api/v1/tickets").status_code == 200  # reading needs no CSRF token
    body = {"site": SITE, "kind": "inquiry", "title": "问询"}
    r = c.post("/api/v1/tickets", json=body)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = c.post("/api/v1/tickets", json=body, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    assert central.client("desk").get("/api/v1/tickets").json() == []  # nothing was created
    r = c.post("/api/v1/tickets", json=body, headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 201


def test_personal_data_masked_and_reads_audited(central):
    tid = _ticket(central)["id"]
    tech = central.client("technician").get(f"/api/v1/tickets/{tid}").json()
    assert tech["contact_phone"] == "138****5678" and tech["contact_name"] == "张*"
    desk = central.client("desk").get(f"/api/v1/tickets/{tid}").json()
    assert desk["contact_phone"] == "13812345678"
    audit = central.client("manager").get("/api/v1/audit").json()
    actions = [(a["username"], a["action"], a["entity"]) for a in audit]
    assert ("desk", "read", "ticket") in actions and ("desk", "change", "ticket") in actions
    assert not any(u == "technician" for u, _, _ in actions)  # masked reads show nothing personal


def test_sql_and_html_injection_in_text_fields_are_plain_text(central):
    desk = central.client("desk")
    evil = {"title": "'; DROP TABLE tickets; --", "details": "<script>alert(1)</script><img src=x onerror=alert(2)>",
            "unit": "1' OR '1'='1", "contact_name": "<b>Robert'); DROP TABLE users;--</b>"}
    t = _ticket(central, desk, **evil)
    got = desk.get(f"/api/v1/tickets/{t['id']}").json()
    for key, value in evil.items():
        assert got[key] == value  # stored and returned exactly, as data
    r = desk.get("/api/v1/tickets", params={"unit": "1' OR '1'='1"})
    assert [x["id"] for x in r.json()] == [t["id"]]
    assert desk.get("/api/v1/tickets", params={"unit": "x' OR '1'='1"}).json() == []
    r = desk.patch(f"/api/v1/tickets/{t['id']}", json={"title": "\"><svg onload=alert(3)>"})
    assert r.status_code == 200 and r.json()["title"] == "\"><svg onload=alert(3)>"
    # JSON responses are JSON, never HTML a browser would render
    assert r.headers["content-type"].startswith("application/json")
    csv = desk.get("/api/v1/registers/mail", params={"format": "csv"})
    assert csv.status_code == 200
    assert central.client("desk").get("/api/v1/tickets").status_code == 200  # the tables are all still there


def test_user_admin_api(central):
    admin = central.client("admin")
    r = admin.post("/api/v1/users", json={"username": "zhao", "password": "long enough pw", "role": "guard",
                                          "sites": [SITE]})
    assert r.status_code == 201
    assert admin.post("/api/v1/users", json={"username": "zhao", "password": "long enough pw", "role": "guard",
                                             "sites": [SITE]}).status_code == 409
    assert admin.post("/api/v1/users", json={"username": "x", "password": "short", "role": "guard",
                                             "sites": [SITE]}).status_code == 422
