"""Tickets from events and by hand, lifecycles, owners, parent/child, work orders to edges."""
from __future__ import annotations

from datetime import datetime, timedelta

from frontdesk.ids import new_id

from .helpers import SITE, Edge, call_events


def test_repair_call_becomes_ticket_with_owner_and_register_line(central):
    edge = Edge(central.store)
    call_id = new_id()
    edge.send(*call_events(edge, call_id))
    desk = central.client("desk")
    board = desk.get("/api/v1/tickets", params={"site": SITE}).json()
    assert len(board) == 1
    t = board[0]
    assert (t["kind"], t["state"], t["unit"]) == ("repair", "received", "3-201")
    assert "contact_phone" not in t  # the board shows no personal data
    assert desk.get(f"/api/v1/tickets/{t['id']}").json()["contact_phone"] == "13812345678"
    assert t["owner"] == "edge:desk-1" and t["source_ref"] == call_id
    assert t["next_due_timer"] == "work_order"
    calls = desk.get("/api/v1/registers/calls", params={"site": SITE}).json()
    assert calls[0]["ticket_id"] == t["id"] and calls[0]["category"] == "repair"
    assert calls[0]["answered_by"] == "agent" and calls[0]["outcome"] == "message"


def test_other_category_is_only_a_register_line(central):
    edge = Edge(central.store)
    edge.send(*call_events(edge, new_id(), category="other"))
    assert central.client("desk").get("/api/v1/tickets").json() == []
    assert len(central.client("desk").get("/api/v1/registers/calls").json()) == 1


def test_repair_lifecycle_by_hand_every_change_is_an_event_with_who(central):
    desk, tech = central.client("desk"), central.client("technician")
    r = desk.post("/api/v1/tickets", json={"site": SITE, "kind": "repair", "title": "门锁坏了", "unit": "1-101",
                                           "contact_phone": "13900000001"})
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    assert r.json()["owner"] == "desk"
    wo = desk.post(f"/api/v1/tickets/{tid}/work-order", json={"device": "desk-1", "assignee": "technician"})
    assert wo.status_code == 200, wo.text
    assert wo.json()["ticket"]["state"] == "work_order_issued"
    cmd = wo.json()["command"]
    assert cmd["type"] == "print.slip" and cmd["state"] == "pending"
    data = cmd["payload"]["data"]
    assert data["caller_phone"] == "13900000001" and data["category"] == "维修"
    assert (data["building"], data["unit"]) == ("1", "101")
    # not claimed yet: on site at the latest 2 min (collect) + 10 min (on site) after the order
    claim_due = next(t["due_at"] for t in wo.json()["ticket"]["timers"] if t["name"] == "claim")
    assert datetime.fromisoformat(data["sla_deadline"]) == datetime.fromisoformat(claim_due) + timedelta(minutes=10)
    # asking again for the same ticket is the same print job
    again = desk.post(f"/api/v1/tickets/{tid}/print", json={"device": "desk-1"}).json()
    assert again["payload"]["job_id"] == cmd["payload"]["job_id"] == f"wo:{tid}"
    assert again["id"] == cmd["id"]  # the same stored command, not a second one
    for state in ("claimed", "on_site", "done"):
        r = tech.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": state})
        assert r.status_code == 200, r.text
    # technicians may not close
    assert tech.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": "closed"}).status_code == 403
    desk.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": "confirmed"})
    r = desk.post(f"/api/v1/tickets/{tid}/callback", json={"reached": True, "satisfied": True})
    assert r.json()["state"] == "callback" and r.json()["satisfied"] is True
    r = desk.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": "closed"})
    assert r.json()["is_open"] is False and r.json()["owner"] == "desk"
    # reopen: back to received, counted
    r = desk.post(f"/api/v1/tickets/{tid}/reopen", json={"note": "still leaking"})
    assert (r.json()["state"], r.json()["reopen_count"], r.json()["is_open"]) == ("received", 1, True)
    detail = desk.get(f"/api/v1/tickets/{tid}").json()
    who = [(h["type"], h["by"]) for h in detail["history"]]
    assert ("ticket.transitioned", "technician") in who and ("ticket.reopened", "desk") in who
    assert ("ticket.assigned", "desk") in who
    events = central.store.list_events(site=SITE, device="central", limit=1000)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))  # central's own gap-free seq
    assert len(events) == len(detail["history"])


def test_unknown_state_is_refused(central):
    desk = central.client("desk")
    tid = desk.post("/api/v1/tickets", json={"site": SITE, "kind": "inquiry", "title": "停车费"}).json()["id"]
    r = desk.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": "on_site"})
    assert r.status_code == 422 and "no state 'on_site'" in r.json()["detail"]


def test_parent_and_child_tickets(central):
    desk = central.client("desk")
    parent = desk.post("/api/v1/tickets", json={"site": SITE, "kind": "repair", "title": "卫生间翻修"}).json()
    for trade in ("水 plumbing", "电 electrics"):
        r = desk.post("/api/v1/tickets",
                      json={"site": SITE, "kind": "repair", "title": trade, "parent_id": parent["id"]})
        assert r.status_code == 201
    children = desk.get(f"/api/v1/tickets/{parent['id']}").json()["children"]
    assert sorted(c["title"] for c in children) == ["水 plumbing", "电 electrics"]
    bad = desk.post("/api/v1/tickets", json={"site": SITE, "kind": "repair", "title": "x", "parent_id": "nope"})
    assert bad.status_code == 422


def test_visit_ticket_and_roll_call(central):
    gate = Edge(central.store, device="gate-1")
    visit = {"visit_id": "v1", "method": "walk_in", "visitor_name": "李四", "host_unit": "2-302",
             "post_role": "gate", "phone": "13700000002", "checkout_code": "c1"}
    gate.emit("visitor.checked_in", visit)
    guard = central.client("guard")
    on_site = guard.get("/api/v1/registers/visits", params={"on_site": True}).json()
    assert [v["visit_id"] for v in on_site] == ["v1"]
    assert on_site[0]["phone"] == "137****0002"  # guards see it masked
    gate.emit("visitor.checked_out", {"visit_id": "v1", "method": "badge", "post_role": "gate"})
    assert guard.get("/api/v1/registers/visits", params={"on_site": True}).json() == []
    board = central.client("desk").get("/api/v1/tickets", params={"include_closed": True, "kind": "visit"}).json()
    assert board[0]["state"] == "closed"


def test_command_delivery_state_visible(central):
    manager = central.client("manager")
    r = manager.post(f"/api/v1/sites/{SITE}/commands", json={"device": "desk-1", "type": "blocklist.replace",
                                                            "payload": {"numbers": ["95000000"]}})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    edge = Edge(central.store)
    edge.emit("command.applied", {"command_id": cid, "command_type": "blocklist.replace", "status": "applied"})
    rows = manager.get(f"/api/v1/sites/{SITE}/commands", params={"state": "delivered"}).json()
    assert [c["id"] for c in rows] == [cid]
    bad = manager.post(f"/api/v1/sites/{SITE}/commands", json={"device": "desk-1", "type": "blocklist.replace",
                                                              "payload": {"numbers": "not a list"}})
    assert bad.status_code == 422
    desk = central.client("desk")
    r = desk.post(f"/api/v1/sites/{SITE}/commands", json={"device": "desk-1", "type": "directory.replace",
                                                         "payload": {"entries": []}})
    assert r.status_code == 403


def test_issue_and_revoke_passes(tmp_path, sqlite_url):
    from frontdesk.passes import generate_key, keyring, save_private_key, verify_pass

    from .helpers import Central
    key = generate_key()
    save_private_key(key, tmp_path / "site.key")
    c = Central(sqlite_url, {"tickets": {"pass_keys": {SITE: str(tmp_path / "site.key")}}})
    guard = c.client("guard")
    r = guard.post(f"/api/v1/sites/{SITE}/passes", json={"host_unit": "3-201", "visitor_name": "快递 courier",
                                                         "hours": 2})
    assert r.status_code == 201, r.text
    issued = r.json()
    checked = verify_pass(issued["token"], keyring([key.public_key()]), site=SITE)
    assert checked.pass_id == issued["pass_id"] and checked.host_unit == "3-201"
    r = guard.post(f"/api/v1/sites/{SITE}/passes/revoke", json={"pass_ids": [issued["pass_id"]],
                                                                "devices": ["gate-1", "kiosk-1"]})
    assert r.status_code == 201 and {x["device"] for x in r.json()} == {"gate-1", "kiosk-1"}
    assert all(x["state"] == "pending" and x["type"] == "passes.revoke" for x in r.json())
    refused = guard.post("/api/v1/sites/river-view/passes", json={"host_unit": "1", "visitor_name": "x"})
    assert refused.status_code == 403
    c.close()
    c2 = Central(f"sqlite:///{tmp_path / 'nokey.db'}")
    r = c2.client("guard").post(f"/api/v1/sites/{SITE}/passes", json={"host_unit": "1", "visitor_name": "x"})
    assert r.status_code == 409 and "no pass signing key" in r.json()["detail"]
    c2.close()
