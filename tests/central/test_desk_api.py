"""The desk's small API: what needs the desk now (GET /desk/attention), the technician picker
(GET /staff), the board's id and overdue filters and its 5000-row limit, and the counter / phone /
WeChat sources of a ticket opened by hand."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from frontdesk.ids import new_id
from frontdesk.schema import SchemaError, parse_event_payload

from ..dashboard.dashboard_helpers import SITE, Central, Edge

EDGE_TICKETS = {"tickets": {"edge_ticket_devices": {SITE: ["desk-1"]}}}


@pytest.fixture
def central(sqlite_url):
    with Central(sqlite_url, EDGE_TICKETS) as c:
        yield c


def client(central, role, sites=None, name=None):
    user, password = central.add_user(name or f"{role}-{new_id()[-6:]}", role, sites)
    token = httpx.post(f"{central.url}/api/v1/auth/login",
                       json={"username": user, "password": password, "token": True}).json()["token"]
    return httpx.Client(base_url=f"{central.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def opened(title, kind="repair", unit="1-0101", **extra):
    return {"ticket_id": new_id(), "kind": kind, "by": "edge:desk-1", "title": title, "unit": unit,
            "source": "edge", **extra}


def test_attention_lists_due_soon_overdue_callbacks_and_counts(central):
    edge = Edge(central.store)
    now = datetime.now(UTC)
    late = edge.send("ticket.opened", opened("逾期"), occurred_at=now - timedelta(minutes=20)).payload["ticket_id"]
    soon = edge.send("ticket.opened", opened("刚报修")).payload["ticket_id"]
    edge.send("ticket.opened", opened("投诉", kind="complaint"))     # due in a working day: in no list
    done = edge.send("ticket.opened", opened("已完成")).payload["ticket_id"]
    for state in ("work_order_issued", "claimed", "on_site", "done"):
        edge.send("ticket.transitioned", {"ticket_id": done, "by": "edge:desk-1", "to_state": state})
    edge.send("ticket.opened", opened("挂号信", kind="mail", contact_phone="13800138000"))
    Edge(central.store, device="gate-1").send("visitor.checked_in", {
        "visit_id": new_id(), "method": "walk_in", "visitor_name": "李雷", "host_unit": "5-0801",
        "post_role": "gate", "checkout_code": "c1"})
    got = client(central, "desk").get("/desk/attention", params={"site": SITE})
    assert got.status_code == 200, got.text
    a = got.json()
    assert [t["id"] for t in a["overdue"]] == [late]
    assert [t["id"] for t in a["due_soon"]] == [soon]
    assert [t["id"] for t in a["callbacks"]] == [done] and a["callbacks"][0]["next_due_timer"] == "callback"
    assert (a["visitors_on_site"], a["mail_waiting"], a["window_min"]) == (1, 1, 30)
    assert not a["overdue_more"] and "contact_phone" not in a["due_soon"][0]   # board columns only
    # Another site's account sees none of it, and may not ask for this site.
    other = client(central, "desk", ["elsewhere"])
    assert other.get("/desk/attention", params={"site": SITE}).status_code == 403
    assert other.get("/desk/attention").json()["due_soon"] == []
    assert client(central, "technician").get("/desk/attention").status_code == 200


def test_staff_lists_a_sites_technicians_for_the_desk_only(central):
    central.add_user("tech-li", "technician")
    central.add_user("tech-all", "technician", ["*"])
    central.add_user("tech-far", "technician", ["elsewhere"])
    central.app.state.accounts.add_user("tech-gone", "correct-horse-9", "technician", [SITE])
    central.app.state.accounts.set_active("tech-gone", False)
    desk = client(central, "desk")
    got = desk.get("/staff", params={"site": SITE, "role": "technician"})
    assert got.status_code == 200, got.text
    assert sorted(p["username"] for p in got.json()) == ["tech-all", "tech-li"]
    assert set(got.json()[0]) == {"username", "display_name", "role"}
    assert desk.get("/staff", params={"role": "wizard"}).status_code == 422
    assert desk.get("/staff", params={"site": "elsewhere"}).status_code == 403
    for role in ("guard", "technician"):
        assert client(central, role).get("/staff").status_code == 403


def test_board_takes_ids_overdue_and_up_to_5000_rows(central):
    edge = Edge(central.store)
    now = datetime.now(UTC)
    late = edge.send("ticket.opened", opened("逾期"), occurred_at=now - timedelta(minutes=20)).payload["ticket_id"]
    fresh = edge.send("ticket.opened", opened("新")).payload["ticket_id"]
    mail = edge.send("ticket.opened", opened("信", kind="mail")).payload["ticket_id"]
    desk = client(central, "desk")
    assert [t["id"] for t in desk.get("/tickets", params={"overdue": True}).json()] == [late]
    picked = desk.get("/tickets", params=[("id", fresh), ("id", mail), ("kind", "repair")]).json()
    assert [t["id"] for t in picked] == [fresh]        # the other filters still apply
    assert desk.get("/tickets", params={"limit": 5000}).status_code == 200
    assert desk.get("/tickets", params={"limit": 5001}).status_code == 422
    assert desk.get("/tickets", params=[("id", new_id()) for _ in range(101)]).status_code == 422


@pytest.mark.parametrize("source", ["counter", "phone", "wechat"])
def test_a_ticket_opened_by_hand_says_how_the_request_came(central, source):
    desk = client(central, "desk")
    made = desk.post("/tickets", json={"site": SITE, "kind": "repair", "title": "门锁坏了", "source": source})
    assert made.status_code == 201, made.text
    assert made.json()["source"] == source
    history = desk.get(f"/tickets/{made.json()['id']}").json()["history"]
    assert history[0]["detail"]["source"] == source
    fax = desk.post("/tickets", json={"site": SITE, "kind": "repair", "title": "x", "source": "fax"})
    assert fax.status_code == 422


def test_the_ticket_opened_schema_takes_the_new_sources_and_no_others():
    base = {"ticket_id": new_id(), "kind": "repair", "by": "desk-a", "title": "t"}
    for source in ("counter", "phone", "wechat", "desk", "call"):
        assert parse_event_payload("ticket.opened", {**base, "source": source}).source == source
    with pytest.raises((SchemaError, ValueError)):
        parse_event_payload("ticket.opened", {**base, "source": "carrier-pigeon"})


def test_me_lists_the_permissions_a_screen_may_offer(central):
    assert "tickets.change" in client(central, "desk").get("/auth/me").json()["permissions"]
    tech = client(central, "technician").get("/auth/me").json()["permissions"]
    assert "tickets.work" in tech and "tickets.change" not in tech
