"""The technician's side at central: the slip's claim address, claiming a work order (also two at
once, on both databases), a technician's list, idempotent resends and what each role may do."""
from __future__ import annotations

import base64
import os
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from frontdesk.ids import new_id

from .helpers import OTHER, PASSWORD, SITE, Central


def login(central: Central, username: str, role: str = "technician", sites: tuple[str, ...] = (SITE,)) -> TestClient:
    """A bearer-token client for `username` (made with `role` on `sites` if it does not exist)."""
    if central.accounts.get_user(username) is None:
        central.accounts.add_user(username, PASSWORD, role, list(sites))
    c = TestClient(central.app)
    r = c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD, "token": True})
    assert r.status_code == 200, r.text
    c.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return c


def work_order(desk: TestClient, site: str = SITE, **extra) -> tuple[str, str]:
    """A repair ticket with its work order issued and printed: (ticket id, the slip's claim code)."""
    r = desk.post("/api/v1/tickets", json={"site": site, "kind": "repair", "title": "厨房水管漏水", "unit": "3-201",
                                           "contact_phone": "13812345678"})
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    wo = desk.post(f"/api/v1/tickets/{tid}/work-order", json={"device": "desk-1", **extra})
    assert wo.status_code == 200, wo.text
    return tid, wo.json()["command"]["payload"]["data"]["claim_code"]


def token_of(claim_code: str) -> str:
    path = urlsplit(claim_code).path
    assert path.startswith("/w/"), claim_code
    return path[3:]


# -- the claim address ------------------------------------------------------------------------------

def test_the_slip_carries_a_claim_address_that_leads_to_the_ticket(central):
    desk, tech = central.client("desk"), central.client("technician")
    tid, code = work_order(desk)
    # no public_url configured: the address the desk's request came to
    assert code.startswith("http://testserver/w/") and len(token_of(code)) == 48
    r = TestClient(central.app).get(urlsplit(code).path, follow_redirects=False)  # no login needed
    assert r.status_code == 303
    location = urlsplit(r.headers["location"])
    assert location.path == "/dashboard/tech" and parse_qs(location.query) == {"claim": [token_of(code)]}
    assert r.headers["cache-control"] == "no-store"
    got = tech.get(f"/api/v1/claim-links/{token_of(code)}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["id"] == tid and body["state"] == "work_order_issued" and body["holder"] is None
    assert body["contact_phone"] == "138****5678"  # a technician sees it masked
    assert body["number"] == central.tickets.get(tid)["number"]  # ... but the ticket's number as printed
    assert datetime.fromisoformat(body["link_expires_at"]) > datetime.now(UTC) + timedelta(days=29)


def test_public_url_is_the_base_of_the_claim_address(sqlite_url):
    c = Central(sqlite_url, {"tickets": {"public_url": "https://desk.example.com/", "claim_link_days": 2}})
    try:
        tid, code = work_order(c.client("desk"))
        assert code.startswith("https://desk.example.com/w/")
        _, expires = c.tickets.links.check(token_of(code))
        assert timedelta(days=1, hours=23) < expires - datetime.now(UTC) <= timedelta(days=2)
        # a second replica on the same database checks the first one's tokens
        replica = Central(sqlite_url)
        try:
            assert replica.tickets.links.check(token_of(code))[0] == tid
        finally:
            replica.close()
    finally:
        c.close()


def test_the_redirect_reflects_nothing_unescaped(central_sqlite):
    anyone = TestClient(central_sqlite.app)
    r = anyone.get("/w/%3Cscript%3Ealert(1)%3C%5Cscript%3E%22%0d%0aX-Evil:%201", follow_redirects=False)
    assert r.status_code == 303 and "x-evil" not in r.headers
    assert "<" not in r.headers["location"] and '"' not in r.headers["location"] and "\r" not in r.headers["location"]
    assert parse_qs(urlsplit(r.headers["location"]).query)["claim"] == ['<script>alert(1)<\\script>"\r\nX-Evil: 1']
    assert r.text == ""


def _flip(token: str, at: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[at] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode()


def test_forged_expired_and_unknown_tokens_are_refused_with_a_reason(central):
    desk, tech = central.client("desk"), central.client("technician")
    tid, code = work_order(desk)
    token = token_of(code)
    forged = [_flip(token, 0), _flip(token, 17), _flip(token, 35), token[:-1], token[:40], token + "A",
              base64.urlsafe_b64encode(os.urandom(36)).decode(), "not-a-token", "A" * 48, "*" * 48]
    for bad in forged:
        r = tech.get(f"/api/v1/claim-links/{bad}")
        assert (r.status_code, r.json()) == (400, {"detail": "forged"}), bad
    links = central.tickets.links
    past = links.make(tid, datetime.now(UTC) - timedelta(seconds=1))
    r = tech.get(f"/api/v1/claim-links/{past}")
    assert (r.status_code, r.json()) == (410, {"detail": "expired"})
    # the expiry is signed too: a past token with a later expiry written in is forged
    raw = bytearray(base64.urlsafe_b64decode(past))
    raw[16:20] = int(datetime.now(UTC).timestamp() + 86400).to_bytes(4, "big")
    assert tech.get(f"/api/v1/claim-links/{base64.urlsafe_b64encode(bytes(raw)).decode()}").status_code == 400
    r = tech.get(f"/api/v1/claim-links/{links.make(new_id())}")
    assert (r.status_code, r.json()) == (404, {"detail": "no such ticket"})
    assert TestClient(central.app).get(f"/api/v1/claim-links/{token}").status_code == 401  # needs a login


def test_another_sites_ticket_is_not_found(central):
    other_desk = central.client("other-desk")
    tid, code = work_order(other_desk, site=OTHER)
    tech = central.client("technician")
    r = tech.get(f"/api/v1/claim-links/{token_of(code)}")
    assert (r.status_code, r.json()) == (404, {"detail": "no such ticket"})
    assert tech.post(f"/api/v1/tickets/{tid}/claim").status_code == 404
    assert login(central, "roam", sites=("*",)).get(f"/api/v1/claim-links/{token_of(code)}").status_code == 200


# -- claiming ----------------------------------------------------------------------------------------

def test_claiming_stops_the_claim_timer_and_makes_the_order_the_claimers(central):
    desk, tech = central.client("desk"), central.client("technician")
    tid, code = work_order(desk)
    before = {t["name"]: t for t in central.tickets.get(tid)["timers"]}
    assert before["claim"]["met_at"] is None and central.tickets.get(tid)["next_due_timer"] == "claim"
    r = tech.post(f"/api/v1/tickets/{tid}/claim", json={"note": "on my way"})
    assert r.status_code == 200, r.text
    t = r.json()
    assert (t["state"], t["assignee"]) == ("claimed", "technician")
    timers = {x["name"]: x for x in t["timers"]}
    assert timers["claim"]["met_at"] is not None and timers["claim"]["met_in_time"] is True
    assert t["next_due_timer"] == "on_site"  # the next promise: on site within 10 min
    assert tech.get(f"/api/v1/claim-links/{token_of(code)}").json()["holder"] == "technician"
    # claiming what you hold already is fine, and writes nothing
    lines = len(desk.get(f"/api/v1/tickets/{tid}").json()["history"])
    assert tech.post(f"/api/v1/tickets/{tid}/claim").status_code == 200
    assert len(desk.get(f"/api/v1/tickets/{tid}").json()["history"]) == lines


def test_a_held_order_is_refused_naming_the_holder(central):
    desk = central.client("desk")
    wang, li = login(central, "wang"), login(central, "li")
    tid, _ = work_order(desk, assignee="li")  # the desk's choice; the slip goes to whoever collects it
    assert wang.post(f"/api/v1/tickets/{tid}/claim").status_code == 200
    r = li.post(f"/api/v1/tickets/{tid}/claim")
    assert r.status_code == 409
    assert r.json()["detail"]["holder"] == "wang" and "wang" in r.json()["detail"]["message"]
    # the same through the plain transition: the projection decides, whichever door it came through
    r = li.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": "claimed"})
    assert r.status_code == 409 and r.json()["detail"]["holder"] == "wang"
    t = central.tickets.get(tid)
    assert (t["state"], t["assignee"]) == ("claimed", "wang")
    refused = [h for h in desk.get(f"/api/v1/tickets/{tid}").json()["history"] if h["outcome"] == "rejected"]
    assert [(h["by"], h["detail"]["holder"]) for h in refused] == [("li", "wang"), ("li", "wang")]
    # the desk hands it over: then li holds it
    assert desk.post(f"/api/v1/tickets/{tid}/assign", json={"assignee": "li"}).status_code == 200
    assert li.post(f"/api/v1/tickets/{tid}/claim").status_code == 200
    assert wang.post(f"/api/v1/tickets/{tid}/claim").json()["detail"]["holder"] == "li"


def test_only_work_orders_are_claimed(central):
    desk, tech = central.client("desk"), central.client("technician")
    inquiry = desk.post("/api/v1/tickets", json={"site": SITE, "kind": "inquiry", "title": "停车费"}).json()["id"]
    r = tech.post(f"/api/v1/tickets/{inquiry}/claim")
    assert r.status_code == 422 and "not work orders" in r.json()["detail"]
    assert tech.post(f"/api/v1/tickets/{new_id()}/claim").status_code == 404


def test_two_technicians_claiming_at_once_one_wins(database_url):
    """Two central replicas (each with its own writer) on one database, a technician on each,
    claiming the same order at the same moment, 20 times: one 200, one 409 naming the winner."""
    first, second = Central(database_url), Central(database_url)
    try:
        desk = first.client("desk")
        clients = [login(first, "wang"), login(second, "li")]
        for round_ in range(20):
            tid, _ = work_order(desk)
            start = threading.Barrier(2)
            answers: list = [None, None]

            def claim(n: int, tid: str = tid, start: threading.Barrier = start, answers: list = answers) -> None:
                start.wait()
                answers[n] = clients[n].post(f"/api/v1/tickets/{tid}/claim")

            threads = [threading.Thread(target=claim, args=(n,)) for n in (0, 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            codes = sorted(a.status_code for a in answers)
            assert codes == [200, 409], (round_, [a.text for a in answers])
            winner = next(a for a in answers if a.status_code == 200).json()["assignee"]
            loser = next(a for a in answers if a.status_code == 409).json()["detail"]
            assert loser["holder"] == winner and winner in ("wang", "li")
            assert first.tickets.get(tid)["assignee"] == winner
    finally:
        first.close()
        second.close()


# -- resending ---------------------------------------------------------------------------------------

def test_the_same_event_id_twice_is_one_change(central):
    desk, tech = central.client("desk"), central.client("technician")
    tid, _ = work_order(desk)
    claim_id, move_id = new_id(), new_id()
    for _ in range(2):
        r = tech.post(f"/api/v1/tickets/{tid}/claim", json={"event_id": claim_id})
        assert r.status_code == 200 and r.json()["state"] == "claimed"
    for _ in range(3):
        r = tech.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": "on_site", "event_id": move_id})
        assert r.status_code == 200 and r.json()["state"] == "on_site"
    pause_id = new_id()
    for _ in range(2):
        assert tech.post(f"/api/v1/tickets/{tid}/pause", json={"reason": "waiting_resident",
                                                                "event_id": pause_id}).status_code == 200
    history = desk.get(f"/api/v1/tickets/{tid}").json()["history"]
    assert [h["event_id"] for h in history].count(claim_id) == 1
    assert [h["event_id"] for h in history].count(move_id) == 1
    assert [h["event_id"] for h in history].count(pause_id) == 1
    assert central.store.count_events(id=claim_id) == 1


def test_an_event_id_used_elsewhere_is_a_conflict(central):
    desk, tech = central.client("desk"), central.client("technician")
    first, _ = work_order(desk)
    second, _ = work_order(desk)
    used = new_id()
    assert tech.post(f"/api/v1/tickets/{first}/claim", json={"event_id": used}).status_code == 200
    r = tech.post(f"/api/v1/tickets/{second}/claim", json={"event_id": used})
    assert r.status_code == 409 and "another" in r.json()["detail"]["message"]
    assert central.tickets.get(second)["state"] == "work_order_issued"  # nothing happened to it
    other = login(central, "zhao")
    assert other.post(f"/api/v1/tickets/{first}/claim", json={"event_id": used}).status_code == 409  # another author
    r = tech.post(f"/api/v1/tickets/{first}/transition", json={"to_state": "on_site", "event_id": used})
    assert r.status_code == 409  # another action
    for bad in ("not-an-id", "0190c4b2-5f3e-4a1b-8c2d-3e4f5a6b7c8d", used.upper()):  # not a UUIDv7 as new_id makes
        r = tech.post(f"/api/v1/tickets/{second}/claim", json={"event_id": bad})
        assert r.status_code == 422, bad


# -- the technician's list and what each role may do --------------------------------------------------

def test_a_technicians_list_mine_and_unclaimed(central):
    desk, tech = central.client("desk"), central.client("technician")
    mine_first, _ = work_order(desk)
    unclaimed, _ = work_order(desk)
    assigned_by_desk, _ = work_order(desk, assignee="technician")
    other_site, _ = work_order(central.client("other-desk"), site=OTHER)
    tech.post(f"/api/v1/tickets/{mine_first}/claim")
    done, _ = work_order(desk)
    tech.post(f"/api/v1/tickets/{done}/claim")
    for state in ("on_site", "done"):
        tech.post(f"/api/v1/tickets/{done}/transition", json={"to_state": state})
    desk.post(f"/api/v1/tickets/{done}/transition", json={"to_state": "closed"})
    r = tech.get("/api/v1/work-orders/mine")
    assert r.status_code == 200, r.text
    lists = r.json()
    assert {t["id"] for t in lists["mine"]} == {mine_first, assigned_by_desk}
    assert {t["id"] for t in lists["unclaimed"]} == {unclaimed}
    assert other_site not in {t["id"] for t in lists["mine"] + lists["unclaimed"]}
    due = [t["next_due_at"] for t in lists["mine"]]
    assert due == sorted(due)  # soonest due first
    assert "contact_phone" not in lists["mine"][0]  # board columns: no personal data


def test_what_technicians_and_guards_may_do(central):
    desk, tech, guard = central.client("desk"), central.client("technician"), central.client("guard")
    tid, code = work_order(desk)
    # guards may not claim, nor work on orders
    assert guard.post(f"/api/v1/tickets/{tid}/claim").status_code == 403
    assert guard.get("/api/v1/work-orders/mine").status_code == 403
    assert guard.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": "claimed"}).status_code == 403
    assert guard.post(f"/api/v1/tickets/{tid}/pause", json={"reason": "waiting_resident"}).status_code == 403
    assert central.tickets.get(tid)["state"] == "work_order_issued"
    # technicians: claim, on site, done, pause, resume
    assert tech.post(f"/api/v1/tickets/{tid}/claim").status_code == 200
    assert tech.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": "on_site"}).status_code == 200
    assert tech.post(f"/api/v1/tickets/{tid}/pause", json={"reason": "waiting_resident"}).status_code == 200
    assert tech.post(f"/api/v1/tickets/{tid}/resume", json={}).status_code == 200
    assert tech.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": "done"}).status_code == 200
    # ... and nothing the desk does
    for state in ("confirmed", "callback", "closed"):
        assert tech.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": state}).status_code == 403
    assert tech.post(f"/api/v1/tickets/{tid}/assign", json={"assignee": "x"}).status_code == 403
    assert tech.patch(f"/api/v1/tickets/{tid}", json={"title": "x"}).status_code == 403
    assert tech.post(f"/api/v1/tickets/{tid}/reopen", json={}).status_code == 403
    assert tech.post(f"/api/v1/tickets/{tid}/callback", json={"reached": True}).status_code == 403
    assert tech.post(f"/api/v1/tickets/{tid}/work-order", json={"device": "desk-1"}).status_code == 403
    assert tech.post("/api/v1/tickets", json={"site": SITE, "kind": "repair", "title": "x"}).status_code == 403
    assert central.tickets.get(tid)["state"] == "done"


@pytest.mark.parametrize("remember", [False, True])
def test_a_phone_logs_in_once_for_a_month(central_sqlite, remember):
    c = central_sqlite
    c.user("technician")
    r = TestClient(c.app).post("/api/v1/auth/login", json={"username": "technician", "password": PASSWORD,
                                                            "remember": remember})
    assert r.status_code == 200, r.text
    lasts = datetime.fromisoformat(r.json()["expires_at"]) - datetime.now(UTC)
    cookie = r.headers["set-cookie"]
    if remember:
        assert timedelta(days=29, hours=23) < lasts <= timedelta(days=30)
        assert f"Max-Age={30 * 86400}" in cookie
    else:
        assert lasts <= timedelta(hours=12)  # the desk's session as it was
        assert f"Max-Age={12 * 3600}" in cookie
