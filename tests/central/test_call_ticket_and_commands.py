"""PUT /calls/{call_id}/ticket (central decides: open the call's ticket or correct the one it has)
and GET /commands (every command of the account's sites, with its delivery state)."""
from __future__ import annotations

from frontdesk.ids import new_id
from frontdesk.schema.call import BlocklistReplace

from .helpers import OTHER, SITE, Edge, call_events

FORM = {"kind": "repair", "title": "水管漏水", "details": "厨房水管漏水，下午两点后在家", "unit": "3-201",
        "contact_phone": "13812345678", "appointment_at": "2026-12-01T06:00:00+00:00"}


def test_a_classified_call_keeps_its_ticket_and_takes_the_desks_fields(central):
    edge = Edge(central.store)
    call_id = new_id()
    edge.send(*call_events(edge, call_id))
    desk = central.client("desk")
    opened = desk.get("/api/v1/registers/calls").json()[0]["ticket_id"]
    r = desk.put(f"/api/v1/calls/{call_id}/ticket", json=FORM)
    assert r.status_code == 200, r.text
    ticket = r.json()
    assert ticket["id"] == opened and ticket["opened"] is False
    assert ticket["details"] == FORM["details"] and ticket["appointment_at"] == FORM["appointment_at"]
    assert ticket["title"] == "厨房水管漏水，请派人来修"  # the title and kind stay as opened
    corrected = [h for h in central.tickets.history(opened) if h["type"] == "ticket.updated"]
    assert len(corrected) == 1 and corrected[0]["by"] == "desk"
    assert corrected[0]["detail"]["fields"] == ["appointment_at", "details"]  # unit and phone were the same
    # the same form again changes nothing
    again = desk.put(f"/api/v1/calls/{call_id}/ticket", json=FORM)
    assert again.status_code == 200 and again.json()["version"] == ticket["version"]
    assert len(desk.get("/api/v1/tickets").json()) == 1


def test_a_call_without_a_ticket_gets_one_once(central):
    edge = Edge(central.store)
    call_id = new_id()
    edge.send(*call_events(edge, call_id, category="other"))
    desk = central.client("desk")
    r = desk.put(f"/api/v1/calls/{call_id}/ticket", json=FORM)
    assert r.status_code == 201, r.text
    ticket = r.json()
    assert ticket["opened"] is True and ticket["owner"] == "desk" and ticket["site"] == SITE
    assert (ticket["source"], ticket["source_ref"], ticket["kind"]) == ("desk", call_id, "repair")
    assert desk.get("/api/v1/registers/calls").json()[0]["ticket_id"] == ticket["id"]  # the line shows it
    r = desk.put(f"/api/v1/calls/{call_id}/ticket", json={**FORM, "details": "改：卫生间"})
    assert r.status_code == 200 and r.json()["id"] == ticket["id"] and r.json()["details"] == "改：卫生间"
    assert len(desk.get("/api/v1/tickets").json()) == 1


def test_call_ticket_refusals(central):
    edge = Edge(central.store)
    call_id = new_id()
    edge.send(*call_events(edge, call_id, category="other"))
    assert central.client("desk").put(f"/api/v1/calls/{new_id()}/ticket", json=FORM).status_code == 404
    assert central.client("other-desk").put(f"/api/v1/calls/{call_id}/ticket", json=FORM).status_code == 404
    assert central.client("technician").put(f"/api/v1/calls/{call_id}/ticket", json=FORM).status_code == 403
    assert central.client("guard").put(f"/api/v1/calls/{call_id}/ticket", json=FORM).status_code == 403
    bad = central.client("desk").put(f"/api/v1/calls/{call_id}/ticket", json={**FORM, "kind": "nonsense"})
    assert bad.status_code == 422
    assert central.client("desk").get("/api/v1/tickets").json() == []


def test_commands_of_every_site_the_account_sees(central):
    manager = central.client("manager")
    sent = []
    for device, numbers in (("desk-1", ["95000000"]), ("gate-1", ["95000001"])):
        r = manager.post(f"/api/v1/sites/{SITE}/commands", json={"device": device, "type": "blocklist.replace",
                                                                "payload": {"numbers": numbers}})
        assert r.status_code == 201, r.text
        sent.append(r.json()["id"])
    central.store.create_command(OTHER, "desk-1", BlocklistReplace(numbers=[]))  # not this account's site
    Edge(central.store).emit("command.applied", {"command_id": sent[0], "command_type": "blocklist.replace",
                                                 "status": "applied"})
    desk = central.client("desk")
    rows = desk.get("/api/v1/commands", params={"limit": 200}).json()
    assert sorted(c["id"] for c in rows) == sorted(sent) and {c["site"] for c in rows} == {SITE}
    assert [c["id"] for c in desk.get("/api/v1/commands", params={"state": "delivered"}).json()] == [sent[0]]
    assert [c["id"] for c in desk.get("/api/v1/commands", params={"device": "gate-1"}).json()] == [sent[1]]
    assert desk.get("/api/v1/commands", params={"type": "print.slip"}).json() == []
    assert desk.get("/api/v1/commands", params={"site": OTHER}).status_code == 403
    assert central.client("technician").get("/api/v1/commands").status_code == 403
    assert len(central.client("other-desk").get("/api/v1/commands").json()) == 1


def test_a_ticket_the_desk_opened_first_is_the_calls_ticket_when_the_transcript_comes(central):
    edge = Edge(central.store)
    call_id = new_id()
    ring, answered, transcribed, ended = call_events(edge, call_id)
    edge.send(ring, answered)
    desk = central.client("desk")
    opened = desk.put(f"/api/v1/calls/{call_id}/ticket", json=FORM)
    assert opened.status_code == 201, opened.text
    edge.send(transcribed, ended)  # classified as a repair: the call already has its ticket
    board = desk.get("/api/v1/tickets").json()
    assert [t["id"] for t in board] == [opened.json()["id"]]
    assert central.store.list_events(site=SITE, device="central-rules", type_="ticket.opened") == []
