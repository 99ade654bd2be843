"""Residents sign in with their phone number and a one-time code: codes the desk reads out, no
way to learn who is listed, rate limits, the lockout, and resident sessions kept apart from staff
ones. Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from frontdesk.central.residents.tables import resident_attempts, resident_codes, resident_locks

from ..central.helpers import PASSWORD
from .residents_helpers import LI, NOBODY, SITE, WANG, desk_code, resident

SESSION = f"/api/v1/sites/{SITE}/resident/session"
ASK = f"/api/v1/sites/{SITE}/resident/code"


def public(central, host: str = "198.51.100.1") -> TestClient:
    return TestClient(central.app, client=(host, 4000))


def test_a_code_the_desk_reads_out_signs_the_resident_in_once(central):
    desk = central.client("desk")
    made = desk.post(f"/api/v1/sites/{SITE}/resident-codes", json={"phone": "13800138000"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert len(body["code"]) == 6 and body["code"].isdigit() and body["units"] == ["3-1502", "3-1503"]
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=9) < expires - datetime.now(UTC) <= timedelta(minutes=10)

    c = public(central)
    r = c.post(SESSION, json={"phone": WANG, "code": body["code"]})  # the number written another way
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("frontdesk_resident=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http here; over https (or [auth] cookie_secure) it is Secure
    me = c.get("/api/v1/resident/me").json()
    assert me["site"] == SITE and me["units"] == ["3-1502", "3-1503"] and me["csrf_token"]

    # The code is spent, and only a hash of it was ever stored; the audit line does not hold it.
    assert public(central).post(SESSION, json={"phone": WANG, "code": body["code"]}).status_code == 401
    with central.store.engine.connect() as conn:
        stored = conn.execute(select(resident_codes.c.code_hash)).scalars().all()
    assert stored and body["code"] not in "".join(stored)
    audit = [a for a in central.accounts.list_audit(sites=None) if a["entity"] == "resident_code"]
    assert audit and audit[0]["username"] == "desk" and body["code"] not in str(audit[0])


def test_a_newer_code_replaces_the_older_and_codes_expire(central):
    first, second = desk_code(central, LI), desk_code(central, LI)
    if first != second:  # one in a million they are the same number
        assert public(central).post(SESSION, json={"phone": LI, "code": first}).status_code == 401
    with central.store.engine.begin() as conn:
        conn.execute(update(resident_codes).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    r = public(central).post(SESSION, json={"phone": LI, "code": second})
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_asking_for_a_code_says_the_same_for_listed_and_unlisted_numbers(central):
    listed = public(central, "198.51.100.2").post(ASK, json={"phone": LI})
    unlisted = public(central, "198.51.100.3").post(ASK, json={"phone": NOBODY})
    assert listed.status_code == unlisted.status_code == 202
    assert listed.json() == unlisted.json()
    # Signing in with a guess is "wrong or expired" for both as well.
    a = public(central, "198.51.100.2").post(SESSION, json={"phone": LI, "code": "123456"})
    b = public(central, "198.51.100.3").post(SESSION, json={"phone": NOBODY, "code": "123456"})
    assert a.status_code == b.status_code == 401 and a.json() == b.json()

    # Only the desk sees who is waiting: the listed number, with its unit.
    waiting = central.client("desk").get(f"/api/v1/sites/{SITE}/resident-codes").json()
    assert [(w["phone"], w["units"]) for w in waiting] == [(LI, ["5-101"])]
    assert waiting[0]["phone_masked"] == "139****9000"  # what the desk's panel shows (the screen faces the counter)
    assert central.client("guard").get(f"/api/v1/sites/{SITE}/resident-codes").status_code == 403
    assert central.client("other-desk").get(f"/api/v1/sites/{SITE}/resident-codes").status_code == 403
    # The desk may learn that a number is not listed (it is staff); a resident never does.
    missing = central.client("desk").post(f"/api/v1/sites/{SITE}/resident-codes", json={"phone": NOBODY})
    assert missing.status_code == 404 and "no unit" in missing.json()["detail"]
    desk_code(central, LI)  # answering the request takes it off the list
    assert central.client("desk").get(f"/api/v1/sites/{SITE}/resident-codes").json() == []


def test_code_requests_are_rate_limited_per_number_and_per_client(central):
    for phone in (LI, NOBODY):  # listed or not, the same limit
        for i in range(3):
            assert public(central, f"198.51.100.{10 + i}").post(ASK, json={"phone": phone}).status_code == 202
        r = public(central, "198.51.100.20").post(ASK, json={"phone": phone})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0, r.text
    one = public(central, "198.51.100.30")
    numbers = [f"1360013{i:04d}" for i in range(11)]
    answers = [one.post(ASK, json={"phone": n}).status_code for n in numbers]
    assert answers == [202] * 10 + [429]
    bad = one.post(ASK, json={"phone": "ab"})
    assert bad.status_code == 422


def test_ten_wrong_codes_lock_the_number_even_for_the_right_code(central):
    code = desk_code(central, LI)
    wrong = "000000" if code != "000000" else "111111"
    c = public(central)
    for i in range(9):
        r = public(central, f"198.51.100.{40 + i}").post(SESSION, json={"phone": LI, "code": wrong})
        assert r.status_code == 401, (i, r.text)
    tenth = c.post(SESSION, json={"phone": LI, "code": wrong})
    assert tenth.status_code == 429 and "locked" in tenth.json()["detail"]
    right = public(central, "198.51.100.99").post(SESSION, json={"phone": LI, "code": code})
    assert right.status_code == 429 and "locked until" in right.json()["detail"], right.text
    assert 25 * 60 < int(right.headers["Retry-After"]) <= 30 * 60
    # Another number is not affected.
    assert public(central).post(SESSION, json={"phone": WANG, "code": desk_code(central, WANG)}).status_code == 200
    # Thirty minutes on, the lock is over and the right code works.
    with central.store.engine.begin() as conn:
        conn.execute(update(resident_locks).values(until=datetime.now(UTC) - timedelta(seconds=1)))
    assert public(central).post(SESSION, json={"phone": LI, "code": code}).status_code == 200


def test_thirty_wrong_codes_from_one_address_lock_that_address(central):
    code = desk_code(central, LI)
    c = public(central, "192.0.2.66")
    numbers = [f"1350013{i:04d}" for i in range(4)]
    answers = [c.post(SESSION, json={"phone": numbers[i % 4], "code": "999999"}).status_code for i in range(30)]
    assert answers == [401] * 29 + [429]
    assert c.post(SESSION, json={"phone": LI, "code": code}).status_code == 429
    assert public(central, "192.0.2.67").post(SESSION, json={"phone": LI, "code": code}).status_code == 200
    with central.store.engine.connect() as conn:
        kinds = conn.execute(select(resident_attempts.c.kind)).scalars().all()
    assert kinds.count("wrong") == 30 and kinds.count("right") == 1


def test_resident_and_staff_sessions_never_stand_in_for_each_other(central):
    res = resident(central)
    for path in ("/api/v1/tickets", f"/api/v1/sites/{SITE}/resident-codes", f"/api/v1/sites/{SITE}/invitations",
                 "/api/v1/auth/me"):
        assert res.get(path).status_code == 401, path
    token_staff = central.client("desk")
    cookie_staff = central.client("desk", token=False)
    for staff in (token_staff, cookie_staff):
        assert staff.get("/api/v1/resident/me").status_code == 401
        assert staff.get("/api/v1/resident/invitations").status_code == 401
    # A staff session cookie renamed to the resident cookie is still no resident session.
    login = TestClient(central.app).post("/api/v1/auth/login", json={"username": "desk", "password": PASSWORD})
    staff_token = login.cookies.get("frontdesk_session")
    forged = TestClient(central.app, cookies={"frontdesk_resident": staff_token})
    assert forged.get("/api/v1/resident/me").status_code == 401
    # A resident's state-changing call needs the session's CSRF token.
    no_csrf = TestClient(central.app, cookies=dict(res.cookies))
    assert no_csrf.post("/api/v1/resident/signout").status_code == 403
    assert res.post("/api/v1/resident/signout").status_code == 204
    assert res.get("/api/v1/resident/me").status_code == 401


def test_a_session_keeps_only_the_units_the_directory_still_lists(central):
    res = resident(central)
    assert res.get("/api/v1/resident/me").json()["units"] == ["3-1502", "3-1503"]
    mgr = central.client("manager")
    mgr.put(f"/api/v1/sites/{SITE}/directory", json={"entries": [{"unit": "3-1502", "phone": WANG}]})
    assert res.get("/api/v1/resident/me").json()["units"] == ["3-1502"]
    mgr.put(f"/api/v1/sites/{SITE}/directory", json={"entries": [{"unit": "5-101", "phone": LI}]})
    r = res.get("/api/v1/resident/me")
    assert r.status_code == 401 and "no longer listed" in r.json()["detail"]
