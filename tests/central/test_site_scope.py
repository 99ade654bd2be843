"""Events only touch their own site (issue #11): tickets, call lines and visit lines change only
through events of their site; ticket.* events only from central's writer or the edge devices
[tickets] edge_ticket_devices lists; a change made at an edge is attributed to that edge.

Every test runs on SQLite and PostgreSQL (the `central` fixture), through Store.ingest with
encoded batches on each device's own topic, as MQTT delivers them.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from frontdesk.central.config import ConfigError, parse_central
from frontdesk.central.tickets.tables import visits
from frontdesk.ids import new_id
from frontdesk.schema.tickets import TicketOpened, TicketTransitioned

from .helpers import OTHER, SITE, Edge, call_events

EVIL = "evil-site"
# Each site lists one device that may send ticket events: the rules are per site.
LISTED = {"tickets": {"edge_ticket_devices": {SITE: ["tech-phone"], OTHER: ["tech-phone"], EVIL: ["kiosk-9"]}}}
with_listed = pytest.mark.parametrize("central", [LISTED], indirect=True, ids=["listed"])
TRANSCRIPT = {"outcome": "text", "confidence": 0.9, "model": "m", "language": "zh", "audio_s": 3.0}


def _staff_ticket(central, **extra: Any) -> str:
    """A repair ticket of SITE opened by desk staff through central's writer (as the API does)."""
    tid = new_id()
    central.tickets.open(SITE, TicketOpened(ticket_id=tid, kind="repair", by="desk", title="厨房漏水",
                                            unit="3-201", contact_phone="13812345678", **extra))
    return tid


def _visit_line(central, visit_id: str) -> dict[str, Any]:
    with central.store.engine.connect() as conn:
        return dict(conn.execute(visits.select().where(visits.c.visit_id == visit_id)).mappings().one())


def _refusals(central, ref: str) -> list[dict[str, Any]]:
    return [h for h in central.tickets.history(ref) if h["outcome"] == "rejected"]


@pytest.mark.parametrize("central", [None, LISTED], indirect=True, ids=["unlisted", "listed-at-its-own-site"])
def test_issue_reproduction_evil_site_kiosk_cannot_close_rephone_or_claim_manager(central):
    """evil-site/kiosk-9 closes another site's ticket, replaces its phone number and says the
    manager did it: nothing changes, whether or not kiosk-9 may send ticket events at its own site."""
    tid = _staff_ticket(central)
    before = central.tickets.get(tid)
    evil = Edge(central.store, site=EVIL, device="kiosk-9")
    result = evil.send(
        evil.make("ticket.transitioned", {"ticket_id": tid, "by": "manager", "to_state": "closed"}),
        evil.make("ticket.updated", {"ticket_id": tid, "by": "manager", "fields": {"contact_phone": "13000000000"}}),
        evil.make("ticket.reopened", {"ticket_id": tid, "by": "manager"}))
    assert result.inserted == 3  # kept in the event log as the record of what it sent
    assert central.tickets.get(tid) == before
    assert central.tickets.get(tid)["contact_phone"] == "13812345678" and central.tickets.get(tid)["is_open"]
    history = central.tickets.history(tid)
    assert "manager" not in {h["by"] for h in history}
    refused = _refusals(central, tid)
    assert [h["type"] for h in refused] == ["ticket.transitioned", "ticket.updated", "ticket.reopened"]
    assert {h["by"] for h in refused} == {"edge:evil-site/kiosk-9"}
    assert all(h["detail"]["reason"] for h in refused)
    if central.tickets.config.edge_ticket_devices:  # listed at evil-site: refused for the site
        assert all("belongs to another site" in h["detail"]["reason"] for h in refused)
    else:
        assert all("kiosk-9 is not listed for site evil-site" in h["detail"]["reason"] for h in refused)


def test_site_b_call_events_naming_site_a_call_change_nothing(central):
    a, b = Edge(central.store, site=SITE, device="desk-1"), Edge(central.store, site=OTHER, device="desk-1")
    call_id = new_id()
    a.send(*call_events(a, call_id))
    line = central.tickets.call_line(call_id)
    ticket = central.tickets.get(line["ticket_id"])
    b.send(
        b.make("call.ringing", {"call_id": call_id, "number": "13000000000", "unit": "9-999", "ring": 1,
                                "cadence": "normal", "caller_id_received": True}),
        b.make("call.transcribed", {**TRANSCRIPT, "job_id": "jb", "text": "投诉", "call_id": call_id,
                                    "category": "complaint", "category_basis": "keywords"}),
        b.make("note.transcribed", {**TRANSCRIPT, "job_id": "nb", "text": "假的备注", "call_id": call_id,
                                    "author": "manager"}),
        b.make("transcript.failed", {"job_id": "fb", "kind": "call", "call_id": call_id, "reason": "gave_up",
                                     "detail": "x", "attempt": 3, "will_retry": False}),
        b.make("call.ended", {"call_id": call_id, "outcome": "message", "rings": 9, "reason": "hangup",
                              "duration_s": 1.0}))
    assert central.tickets.call_line(call_id) == line
    assert central.tickets.get(ticket["id"]) == ticket
    assert central.tickets.board((OTHER,), open_only=False) == []  # nor did B get a ticket out of it
    refused = _refusals(central, call_id)
    assert len(refused) == 5 and {h["by"] for h in refused} == {f"edge:{OTHER}/desk-1"}
    assert all(f"names call {call_id}, which belongs to another site" in h["detail"]["reason"] for h in refused)


def test_site_b_visit_events_naming_site_a_visit_change_nothing(central):
    a, b = Edge(central.store, site=SITE, device="gate-1"), Edge(central.store, site=OTHER, device="gate-1")
    visit = {"visit_id": "v-1", "method": "walk_in", "visitor_name": "李四", "host_unit": "2-302",
             "post_role": "gate", "phone": "13700000002", "checkout_code": "c1"}
    a.emit("visitor.checked_in", visit)
    line = _visit_line(central, "v-1")
    ticket = central.tickets.get(line["ticket_id"])
    b.emit("visitor.checked_out", {"visit_id": "v-1", "method": "badge", "post_role": "gate"})
    b.emit("visitor.checked_in", {**visit, "visitor_name": "王五", "phone": "13000000000"},
           datetime.now(UTC) - timedelta(hours=1))
    assert _visit_line(central, "v-1") == line  # still on site, same name and phone
    assert central.tickets.get(ticket["id"]) == ticket and ticket["state"] == "on_site"
    assert central.tickets.board((OTHER,), open_only=False) == []
    refused = _refusals(central, "v-1")
    assert [h["type"] for h in refused] == ["visitor.checked_out", "visitor.checked_in"]
    assert all("names visit v-1, which belongs to another site" in h["detail"]["reason"] for h in refused)


@with_listed
def test_site_b_ticket_events_naming_site_a_tickets_change_nothing_even_when_parked_first(central):
    """Site B's listed device names A's ticket: refused at once if the ticket is there, and when the
    event was parked before A's ticket was opened, refused when it is replayed."""
    tid = _staff_ticket(central)
    before = central.tickets.get(tid)
    b_tech, b_desk = Edge(central.store, site=OTHER, device="tech-phone"), Edge(central.store, site=OTHER)
    b_tech.emit("ticket.transitioned", {"ticket_id": tid, "by": "wang", "to_state": "on_site"})
    b_desk.emit("note.transcribed", {**TRANSCRIPT, "job_id": "n1", "text": "假的", "ticket_id": tid, "author": "x"})
    b_tech.emit("ticket.opened", {"ticket_id": tid, "kind": "complaint", "by": "manager", "title": "占用"})
    b_tech.emit("ticket.opened", {"ticket_id": new_id(), "kind": "repair", "by": "wang", "title": "子单",
                                  "parent_id": tid})
    assert central.tickets.get(tid) == before and central.tickets.children(tid) == []
    assert central.tickets.board((OTHER,), open_only=False) == []
    assert len(_refusals(central, tid)) == 3
    # parked: B's events for an id nobody has opened yet, then A opens a ticket with that id
    later = new_id()
    b_tech.emit("ticket.transitioned", {"ticket_id": later, "by": "wang", "to_state": "closed"})
    b_desk.emit("note.transcribed", {**TRANSCRIPT, "job_id": "n2", "text": "假的", "ticket_id": later})
    a_tech = Edge(central.store, site=SITE, device="tech-phone")
    a_tech.emit("ticket.opened", {"ticket_id": later, "kind": "repair", "by": "li", "title": "漏水"})
    t = central.tickets.get(later)
    assert (t["site"], t["state"], t["is_open"], t["version"]) == (SITE, "received", True, 1)
    refused = _refusals(central, later)
    assert [h["type"] for h in refused] == ["ticket.transitioned", "note.transcribed"]
    assert all("belongs to another site" in h["detail"]["reason"] for h in refused)


def test_ticket_events_from_an_unlisted_edge_change_nothing(central):
    """No [tickets] edge_ticket_devices: only central's writer changes tickets, and an event that
    only says it is central (sent on central's topic) is not central's."""
    tid = _staff_ticket(central)
    before = central.tickets.get(tid)
    for device in ("desk-1", "central", "central-rules"):
        edge = Edge(central.store, device=device)
        edge.emit("ticket.transitioned", {"ticket_id": tid, "by": "manager", "to_state": "closed"})
        edge.emit("ticket.opened", {"ticket_id": f"t-{device}", "kind": "repair", "by": "manager", "title": "x"})
        assert central.tickets.get(f"t-{device}") is None
    assert central.tickets.get(tid) == before
    refused = _refusals(central, tid)
    assert [h["by"] for h in refused] == [f"edge:{SITE}/desk-1", f"edge:{SITE}/central", f"edge:{SITE}/central-rules"]
    assert "desk-1 is not listed for site garden-court" in refused[0]["detail"]["reason"]
    assert all("speaks as central, but central's writer did not write it" in h["detail"]["reason"]
               for h in refused[1:])
    # central's own writer still changes it, and names the staff member
    central.tickets.change(TicketTransitioned(ticket_id=tid, by="desk", to_state="work_order_issued"))
    assert central.tickets.get(tid)["state"] == "work_order_issued"
    assert central.tickets.history(tid)[-1]["by"] == "desk"


@with_listed
def test_a_listed_device_changes_tickets_of_its_site_attributed_to_the_device(central):
    tid = _staff_ticket(central)
    tech = Edge(central.store, site=SITE, device="tech-phone")
    tech.emit("ticket.transitioned", {"ticket_id": tid, "by": "manager", "to_state": "work_order_issued"})
    tech.emit("ticket.assigned", {"ticket_id": tid, "by": "manager", "assignee": "wang"})
    opened = tech.emit("ticket.opened", {"ticket_id": new_id(), "kind": "repair", "by": "manager", "title": "灯坏了",
                                         "parent_id": tid})
    t = central.tickets.get(tid)
    assert (t["state"], t["assignee"], t["owner"]) == ("work_order_issued", "wang", "desk")
    history = central.tickets.history(tid)
    made_here = [h for h in history if h["type"] in ("ticket.transitioned", "ticket.assigned")]
    assert [(h["by"], h["outcome"], h["detail"]["claimed_by"]) for h in made_here] == \
        [("edge:tech-phone", "applied", "manager")] * 2
    child = central.tickets.get(opened.payload["ticket_id"])
    assert child["owner"] == "edge:tech-phone" and child["parent_id"] == tid
    assert [c["id"] for c in central.tickets.children(tid)] == [child["id"]]
    # a dictated note is the desk device's, not the author it names
    desk = Edge(central.store, site=SITE, device="desk-1")
    desk.emit("note.transcribed", {**TRANSCRIPT, "job_id": "n1", "text": "住户下午在家", "ticket_id": tid,
                                   "author": "manager"})
    note = central.tickets.history(tid)[-1]
    assert (note["type"], note["by"], note["outcome"]) == ("note.transcribed", "edge:desk-1", "applied")
    # the same device id at a site that does not list it changes nothing
    elsewhere = Edge(central.store, site="lake-side", device="tech-phone")
    elsewhere.emit("ticket.opened", {"ticket_id": "t-lake", "kind": "repair", "by": "x", "title": "x"})
    assert central.tickets.get("t-lake") is None
    assert "tech-phone is not listed for site lake-side" in _refusals(central, "t-lake")[0]["detail"]["reason"]


@with_listed
def test_a_parked_ticket_event_is_judged_by_the_list_as_it_is_when_replayed(central):
    """The device was listed when its event was parked and is not when the ticket opens: refused."""
    tid = new_id()
    Edge(central.store, site=SITE, device="tech-phone").emit(
        "ticket.transitioned", {"ticket_id": tid, "by": "wang", "to_state": "on_site"})
    central.tickets.config.edge_ticket_devices[SITE].remove("tech-phone")
    central.tickets.open(SITE, TicketOpened(ticket_id=tid, kind="repair", by="desk", title="漏水"))
    assert central.tickets.get(tid)["state"] == "received"
    refused = _refusals(central, tid)
    assert len(refused) == 1 and "tech-phone is not listed for site garden-court" in refused[0]["detail"]["reason"]


@pytest.mark.parametrize("devices, message", [
    ({SITE: ["central"]}, "central's own device"),
    ({SITE: ["central-rules"]}, "central's own device"),
    ({SITE: ["bad/device"]}, "is not a device id"),
    ({"bad site": ["desk-1"]}, "is not a site id"),
])
def test_edge_ticket_devices_config_is_checked(devices, message):
    with pytest.raises(ConfigError, match=message):
        parse_central({"tickets": {"edge_ticket_devices": devices}})
    ok = parse_central({"tickets": {"edge_ticket_devices": {SITE: ["tech-phone"]}}}).tickets
    assert ok.edge_may_write_tickets(SITE, "tech-phone") and not ok.edge_may_write_tickets(OTHER, "tech-phone")
