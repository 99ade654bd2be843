"""Readable ticket numbers (issue #12, point 1): one per ticket, per site, kind prefix and local
day, assigned at central without gaps or collisions (also from concurrent writers on one
database), on the work-order slip; and finding tickets by number, unit, phone digits or name."""
from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from sqlalchemy import select, text

from frontdesk.central.db import MIGRATIONS
from frontdesk.central.tickets.numbers import next_number, normalise
from frontdesk.central.tickets.tables import tickets
from frontdesk.central.tickets.workorder import workorder_data
from frontdesk.ids import new_id
from frontdesk.schema.tickets import TicketOpened

from .helpers import OTHER, SITE, Edge, with_ticket_edges

TODAY = datetime.now(UTC).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")


def open_ticket(c, kind="repair", site=SITE, **fields):
    r = c.post("/api/v1/tickets", json={"site": site, "kind": kind, "title": fields.pop("title", "厨房漏水"), **fields})
    assert r.status_code == 201, r.text
    return r.json()


def test_numbers_count_per_site_kind_and_day(central):
    desk, other = central.client("desk"), central.client("other-desk")
    made = [open_ticket(desk)["number"] for _ in range(3)]
    assert made == [f"BX-{TODAY}-001", f"BX-{TODAY}-002", f"BX-{TODAY}-003"]
    assert open_ticket(desk, "complaint")["number"] == f"TS-{TODAY}-001"
    assert open_ticket(other, site=OTHER)["number"] == f"BX-{TODAY}-001"  # each site counts for itself
    board = desk.get("/api/v1/tickets", params={"site": SITE}).json()
    assert sorted(t["number"] for t in board) == sorted([*made, f"TS-{TODAY}-001"])


@with_ticket_edges
def test_the_day_is_the_sites_local_day(central):
    edge = Edge(central.store, device="tech-phone")
    for at in ("2026-11-29T15:59:59+00:00", "2026-11-29T16:00:00+00:00", "2026-11-29T16:00:01+00:00"):
        edge.emit("ticket.opened", {"ticket_id": new_id(), "kind": "repair", "by": "x", "title": "t"},
                  at=datetime.fromisoformat(at))
    with central.store.engine.connect() as conn:
        numbers = sorted(conn.execute(select(tickets.c.number)).scalars())
    # 23:59:59 in Shanghai is the 29th; midnight starts the 30th's count at 1.
    assert numbers == ["BX-20261129-001", "BX-20261130-001", "BX-20261130-002"]


def test_the_slip_carries_the_number(central):
    ticket = open_ticket(central.client("desk"), unit="3-201")
    assert workorder_data(central.tickets.get(ticket["id"]), [])["ticket_no"] == ticket["number"]


def test_concurrent_writers_take_distinct_numbers_without_gaps(central):
    """Eight writers opening tickets at once on one database, as several centrals would."""
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(5):
                central.tickets.open(SITE, TicketOpened(ticket_id=new_id(), kind="repair", by="desk", title="t"))
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with central.store.engine.connect() as conn:
        numbers = sorted(conn.execute(select(tickets.c.number)).scalars())
    assert numbers == [f"BX-{TODAY}-{n:03d}" for n in range(1, 41)]


def test_a_rolled_back_ticket_leaves_no_gap(central):
    at = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    with pytest.raises(RuntimeError), central.store.engine.begin() as conn:
        assert next_number(conn, SITE, "repair", at, "Asia/Shanghai") == "BX-20261129-001"
        raise RuntimeError("the batch is bisected")
    with central.store.engine.begin() as conn:
        assert next_number(conn, SITE, "repair", at, "Asia/Shanghai") == "BX-20261129-001"


@pytest.mark.parametrize(("typed", "expected"), [
    ("BX-20261129-007", "BX-20261129-007"), ("bx20261129007", "BX-20261129-007"), ("bx 20261129 7", "BX-20261129-007"),
    ("ts-20261129-1234", "TS-20261129-1234"), ("XX-20261129-001", None), ("BX-2026112-001", None), ("3-201", None),
    ("", None), ("BX-20261129-", None)])
def test_typed_numbers_are_read_the_canonical_way(typed, expected):
    assert normalise(typed) == expected


def test_search_by_number_unit_phone_or_name(central):
    desk = central.client("desk")
    leak = open_ticket(desk, unit="3-201", contact_name="张三丰", contact_phone="13812345678", title="厨房漏水")
    lift = open_ticket(desk, kind="help_request", unit="5-1102", contact_name="Li Lei", title="电梯困人 100%")
    open_ticket(central.client("other-desk"), site=OTHER, unit="3-201", contact_phone="13812345678")

    def found(q: str) -> list[str]:
        r = desk.get("/api/v1/tickets/search", params={"q": q})
        assert r.status_code == 200, r.text
        return [t["id"] for t in r.json()]

    number = leak["number"]
    for typed in (number, number.lower(), number.replace("-", ""), number.replace("-", " ")):
        assert found(typed) == [leak["id"]], typed
    assert found("3-201") == [leak["id"]]            # the other site's 3-201 is not this desk's
    assert found("5678") == [leak["id"]] and found("138 1234 5678") == [leak["id"]]
    assert found("张三") == [leak["id"]] and found("li lei") == [lift["id"]] and found("电梯") == [lift["id"]]
    assert found("100%") == [lift["id"]] and found("%") == [lift["id"]] and found("_") == []
    # Bad input: a number that does not exist, nothing, too much.
    assert found(f"BX-{TODAY}-999") == []
    assert desk.get("/api/v1/tickets/search", params={"q": ""}).status_code == 422
    assert desk.get("/api/v1/tickets/search", params={"q": "x" * 65}).status_code == 422
    assert central.client().get("/api/v1/tickets/search", params={"q": "3-201"}).status_code == 401
    # The results are board rows: no names or phone numbers in them.
    row = desk.get("/api/v1/tickets/search", params={"q": "张三"}).json()[0]
    assert "contact_phone" not in row and "contact_name" not in row and row["number"] == number


def test_the_migration_numbers_tickets_that_existed_before(database_url):
    from frontdesk.central.store import Store
    store = Store(database_url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        alembic_command.downgrade(cfg, "0004_fleet")
    insert = text("INSERT INTO tickets (id, site, kind, state, is_open, title, major, owner, source, created_at, "
                  "updated_at, reopen_count, paused, milestones, pauses, breaches, timers, any_breach, tz, version) "
                  "VALUES (:id, 's', :kind, 'received', :t, 't', :f, 'desk', 'desk', :at, :at, 0, :f, '{}', '[]', "
                  "'{}', '[]', :f, 'Asia/Shanghai', 1)")
    with store.engine.begin() as conn:
        for tid, kind, at in (("a", "repair", datetime(2026, 11, 28, 17, tzinfo=UTC)),
                              ("b", "repair", datetime(2026, 11, 28, 15, tzinfo=UTC)),
                              ("c", "mail", datetime(2026, 11, 28, 15, 30, tzinfo=UTC))):
            conn.execute(insert, {"id": tid, "kind": kind, "at": at, "t": True, "f": False})
    store.close()
    store = Store(database_url)  # upgrades to head
    with store.engine.connect() as conn:
        got = dict(conn.execute(select(tickets.c.id, tickets.c.number)).all())
    # b (23:00 Shanghai on the 28th) came first; a (01:00 on the 29th) starts the 29th.
    assert got == {"a": "BX-20261129-001", "b": "BX-20261128-001", "c": "YJ-20261128-001"}
    with store.engine.begin() as conn:
        assert next_number(conn, "s", "repair", datetime(2026, 11, 28, 16, 30, tzinfo=UTC),
                           "Asia/Shanghai") == "BX-20261129-002"
    store.close()
