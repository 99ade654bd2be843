"""Events out of order, or for tickets that do not exist yet: applied in a defined way, never lost."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from frontdesk.ids import new_id

from .helpers import SITE, TICKET_EDGES, Edge, call_events, with_ticket_edges


def _opened(edge, tid, at):
    return edge.make("ticket.opened", {"ticket_id": tid, "kind": "repair", "by": "desk", "title": "漏水"}, at)


@with_ticket_edges
def test_ticket_events_before_the_ticket_are_parked_and_replayed(central):
    t0 = datetime.now(UTC) - timedelta(minutes=30)
    desk, tech = Edge(central.store, device="desk-1"), Edge(central.store, device="tech-phone")
    tid = new_id()
    # the technician's phone syncs first: claim and on-site arrive before the ticket exists
    tech.send(tech.make("ticket.transitioned", {"ticket_id": tid, "by": "wang", "to_state": "on_site"},
                        t0 + timedelta(minutes=8)),
              tech.make("ticket.transitioned", {"ticket_id": tid, "by": "wang", "to_state": "claimed"},
                        t0 + timedelta(minutes=5)))
    assert central.tickets.get(tid) is None
    assert central.store.count_events(site=SITE, device="tech-phone") == 2  # stored, not lost
    desk.send(_opened(desk, tid, t0),
              desk.make("ticket.transitioned", {"ticket_id": tid, "by": "desk", "to_state": "work_order_issued"},
                        t0 + timedelta(minutes=2)))
    t = central.tickets.get(tid)
    assert t["state"] == "on_site"
    ms = t["milestones"]
    assert set(ms) == {"received", "work_order_issued", "claimed", "on_site"}
    timers = {x["name"]: x for x in t["timers"]}
    assert timers["work_order"]["met_in_time"] is True      # 2 min <= 3
    assert timers["claim"]["met_in_time"] is False          # ordered at 2, claimed at 5: over 2 min
    assert timers["on_site"]["met_in_time"] is True         # claimed 5, on site 8: within 10
    history = central.client("desk").get(f"/api/v1/tickets/{tid}").json()["history"]
    # a change made at an edge is the edge's; the name its payload gives is only a claim
    assert [h["by"] for h in history].count("edge:tech-phone") == 2
    assert [h["detail"].get("claimed_by") for h in history].count("wang") == 2


def test_same_result_whatever_the_arrival_order(database_url, tmp_path):
    from .helpers import Central
    t0 = datetime.now(UTC) - timedelta(hours=1)
    tid = new_id()
    results = []
    for order in ("forward", "reversed"):
        url = database_url if order == "forward" else f"sqlite:///{tmp_path / 'rev.db'}"
        c = Central(url, {"tickets": TICKET_EDGES})
        edge = Edge(c.store, device="d1")
        evs = [_opened(edge, tid, t0)] + [
            edge.make("ticket.transitioned", {"ticket_id": tid, "by": "x", "to_state": s},
                      t0 + timedelta(minutes=i + 1))
            for i, s in enumerate(["work_order_issued", "claimed", "on_site", "done"])]
        for e in (evs if order == "forward" else reversed(evs)):
            edge.send(e)  # one batch each, so the projection sees them in arrival order
        t = c.tickets.get(tid)
        results.append((t["state"], t["milestones"], [(x["name"], x["met_in_time"]) for x in t["timers"]]))
        c.close()
    assert results[0] == results[1]


def test_call_events_in_any_order_fold_into_one_line(central):
    edge = Edge(central.store)
    call_id = new_id()
    ring, answered, transcribed, ended = call_events(edge, call_id)
    edge.send(ended)
    edge.send(transcribed)
    edge.send(answered, ring)
    lines = central.client("desk").get("/api/v1/registers/calls").json()
    assert len(lines) == 1
    line = lines[0]
    assert line["number"] == "13812345678" and line["outcome"] == "message" and line["category"] == "repair"
    assert line["started_at"] == ring.occurred_at.isoformat()
    ticket = central.tickets.get(line["ticket_id"])
    assert ticket["contact_phone"] == "13812345678" and ticket["unit"] == "3-201"


def test_checkout_before_checkin(central):
    gate, lobby = Edge(central.store, device="gate-1"), Edge(central.store, device="kiosk-1")
    t0 = datetime.now(UTC) - timedelta(hours=2)
    gate.emit("visitor.checked_out", {"visit_id": "vv", "method": "badge", "post_role": "gate", "known_visit": False},
              t0 + timedelta(hours=1))
    lobby.emit("visitor.checked_in", {"visit_id": "vv", "method": "walk_in", "visitor_name": "王五",
                                      "host_unit": "5-501", "post_role": "kiosk", "checkout_code": "x"}, t0)
    v = central.client("desk").get("/api/v1/registers/visits").json()[0]
    assert v["checked_in_at"] == t0.isoformat() and v["checked_out_at"] is not None
    t = central.tickets.get(v["ticket_id"])
    assert t["state"] == "closed"


@with_ticket_edges
def test_duplicate_open_and_bad_state_are_recorded_not_applied(central):
    edge = Edge(central.store)
    tid = new_id()
    t0 = datetime.now(UTC)
    edge.send(_opened(edge, tid, t0))
    edge.send(edge.make("ticket.opened", {"ticket_id": tid, "kind": "complaint", "by": "other", "title": "again"}),
              edge.make("ticket.transitioned", {"ticket_id": tid, "by": "x", "to_state": "nonsense"}))
    t = central.tickets.get(tid)
    assert (t["kind"], t["title"], t["state"]) == ("repair", "漏水", "received")
    outcomes = [(h["type"], h["outcome"]) for h in central.tickets.history(tid)]
    assert ("ticket.opened", "rejected") in outcomes and ("ticket.transitioned", "rejected") in outcomes


@with_ticket_edges
def test_an_event_the_projection_cannot_take_does_not_block_the_batch(central, monkeypatch):
    """A failing event is recorded as an error in the history; the rest of its batch applies."""
    edge = Edge(central.store)
    good, bad = new_id(), new_id()
    original = central.tickets.projection._open

    def fragile(conn, event, payload):
        if payload.ticket_id == bad:
            raise RuntimeError("projection bug")
        return original(conn, event, payload)

    monkeypatch.setattr(central.tickets.projection, "_open", fragile)
    t0 = datetime.now(UTC)
    result = edge.send(edge.make("ticket.opened", {"ticket_id": bad, "kind": "repair", "by": "d", "title": "x"}, t0),
                       edge.make("ticket.opened", {"ticket_id": good, "kind": "repair", "by": "d", "title": "y"}, t0))
    assert result.inserted == 2 and central.store.count_events(site=SITE, device="desk-1") == 2
    assert central.tickets.get(good) is not None and central.tickets.get(bad) is None
    errors = central.tickets.history(bad)
    assert errors[0]["outcome"] == "error" and "projection bug" in errors[0]["detail"]["reason"]


@with_ticket_edges
def test_dictated_note_for_a_ticket_lands_in_its_history_even_before_the_ticket(central):
    edge = Edge(central.store)
    tid = new_id()
    t0 = datetime.now(UTC)
    edge.emit("note.transcribed", {"job_id": "n1", "text": "住户下午两点后在家", "outcome": "text", "confidence": 0.8,
                                   "model": "m", "language": "zh", "audio_s": 2.0, "ticket_id": tid, "author": "li"},
              t0 + timedelta(seconds=5))
    edge.emit("ticket.opened", {"ticket_id": tid, "kind": "repair", "by": "li", "title": "漏水"}, t0)
    notes = [h for h in central.tickets.history(tid) if h["type"] == "note.transcribed"]
    assert len(notes) == 1 and notes[0]["by"] == "edge:desk-1" and notes[0]["detail"]["text"] == "住户下午两点后在家"
    assert notes[0]["detail"]["claimed_by"] == "li"  # the author the edge named: a claim, not who
    assert central.tickets.get(tid)["state"] == "received"
