"""The ticket rules (central/tickets/rules.py): every ticket central opens or changes on its own is
an explicit ticket.* event in the log, made once however often its cause arrives."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from frontdesk.central.tickets import rules
from frontdesk.ids import new_id
from frontdesk.schema.tickets import TicketOpened, TicketTransitioned, TicketUpdated

from .helpers import SITE, Edge, call_events

RULES_DEVICE = "central-rules"


def _rule_events(central, type_=None):
    return central.store.list_events(site=SITE, device=RULES_DEVICE, type_=type_, limit=1000)


def test_transcribed_call_opens_its_ticket_with_an_event(central):
    edge = Edge(central.store)
    call_id = new_id()
    batch = call_events(edge, call_id)
    edge.send(*batch)
    opened = _rule_events(central, TicketOpened.TYPE)
    assert len(opened) == 1
    payload = opened[0]["payload"]
    transcribed = batch[2]
    assert payload["ticket_id"] == transcribed.id and payload["source"] == "call" and payload["source_ref"] == call_id
    assert payload["by"] == "edge:desk-1" and payload["kind"] == "repair"
    assert opened[0]["occurred_at"] == transcribed.occurred_at.isoformat()
    history = central.tickets.history(transcribed.id)
    assert (history[0]["type"], history[0]["event_id"], history[0]["outcome"]) == \
        (TicketOpened.TYPE, opened[0]["id"], "applied")
    # the same batch again (an edge resending), and the event replayed through the projection
    edge.send(*batch)
    with central.store.engine.begin() as conn:
        central.tickets.projection(conn, [transcribed])
    assert len(_rule_events(central, TicketOpened.TYPE)) == 1
    assert len(central.client("desk").get("/api/v1/tickets").json()) == 1
    assert [h["type"] for h in central.tickets.history(transcribed.id)].count(TicketOpened.TYPE) == 1


def test_caller_details_after_the_ticket_fill_it_in_by_an_event(central):
    edge = Edge(central.store)
    call_id = new_id()
    ring, answered, transcribed, ended = call_events(edge, call_id)
    edge.send(edge.make("call.transcribed", transcribed.payload, transcribed.occurred_at))
    ticket_id = central.client("desk").get("/api/v1/registers/calls").json()[0]["ticket_id"]
    assert central.tickets.get(ticket_id)["unit"] is None
    edge.send(ring)
    ticket = central.tickets.get(ticket_id)
    assert (ticket["unit"], ticket["contact_phone"]) == ("3-201", "13812345678")
    updates = _rule_events(central, TicketUpdated.TYPE)
    assert len(updates) == 1 and updates[0]["payload"]["fields"] == {"unit": "3-201", "contact_phone": "13812345678"}
    edge.send(answered, ended)  # nothing left to fill: no further event
    assert len(_rule_events(central, TicketUpdated.TYPE)) == 1


def test_visit_opened_and_closed_by_events_even_when_the_check_out_comes_first(central):
    gate, lobby = Edge(central.store, device="gate-1"), Edge(central.store, device="kiosk-1")
    t0 = datetime.now(UTC) - timedelta(hours=2)
    out = gate.emit("visitor.checked_out", {"visit_id": "v9", "method": "badge", "post_role": "gate"},
                    t0 + timedelta(hours=1))
    assert _rule_events(central) == []  # no ticket to close yet
    came = lobby.emit("visitor.checked_in", {"visit_id": "v9", "method": "walk_in", "visitor_name": "王五",
                                             "host_unit": "5-501", "post_role": "kiosk", "checkout_code": "x"}, t0)
    made = _rule_events(central)
    assert [e["type"] for e in made] == [TicketOpened.TYPE, TicketTransitioned.TYPE]
    assert made[1]["payload"] == {"ticket_id": came.id, "by": "edge:kiosk-1", "note": None, "to_state": "closed"}
    assert made[1]["occurred_at"] == out.occurred_at.isoformat()  # closed when the visitor left
    assert [e["seq"] for e in made] == [1, 2]
    ticket = central.tickets.get(came.id)
    assert ticket["state"] == "closed" and ticket["source_ref"] == "v9"


def test_a_failing_rule_is_that_events_problem(central, monkeypatch):
    edge = Edge(central.store)

    def broken(conn, event, line):
        raise RuntimeError("rule bug")

    monkeypatch.setitem(rules.RULES, "call.transcribed", (broken,))
    call_id = new_id()
    result = edge.send(*call_events(edge, call_id))
    assert result.inserted == 4
    line = central.client("desk").get("/api/v1/registers/calls").json()[0]
    assert line["category"] == "repair" and line["ticket_id"] is None  # the register line is all there
    errors = central.tickets.history(call_id)
    assert errors[0]["outcome"] == "error" and "rule broken: RuntimeError: rule bug" in errors[0]["detail"]["reason"]
