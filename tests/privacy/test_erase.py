"""Erasing one person at central: by each kind of subject, in every table and nested payload, and
nobody else's data; bad requests refused with the reason."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select, text

from frontdesk.central.privacy.find import find
from frontdesk.central.tables import commands

from ..central.helpers import SITE, Edge
from .seed import NAMESAKE, NEIGHBOUR, ZHANG, seed_everyone

EVERY_TABLE = ("calls", "visits", "tickets", "ticket_history", "events", "commands", "commands_withdrawn",
               "quarantine_redacted", "quarantine_dropped", "directory", "resident_codes", "resident_code_requests",
               "resident_sessions", "resident_attempts", "resident_locks", "resident_invitations",
               "ticket_attachments", "audit_log")


def places(central, what: str) -> list[tuple[str, str, str]]:
    return sorted((p["table"], p["key"], p["path"]) for p in find(central.store, what)["stored"])


def row_dump(central, table: str, key: str) -> str:
    """The whole row `find` named, as text: which person's record is it?"""
    from frontdesk.central.tables import metadata
    t = metadata.tables[table]
    pk = list(t.primary_key.columns)
    with central.store.engine.connect() as conn:
        where = [c == (int(v) if c.type.python_type is int else v) for c, v in zip(pk, key.split("/"), strict=True)]
        row = conn.execute(select(t).where(*where)).mappings().first()
    return json.dumps({k: (v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in dict(row).items()},
                      ensure_ascii=False, default=str)


def others(central) -> dict[str, list]:
    """Where the other two people's data is (list positions left out: a line dropped before theirs
    moves them up)."""
    return {w: sorted((t, k, re.sub(r"\[\d+\]", "[]", p)) for t, k, p in places(central, w))
            for w in (NAMESAKE.phone, NAMESAKE.card, NEIGHBOUR.phone, NEIGHBOUR.name, NEIGHBOUR.card)}


def test_erase_by_phone_reaches_every_table(central):
    seed_everyone(central)
    before = others(central)
    assert places(central, "13812345678")
    r = central.client("admin").post("/api/v1/privacy/erase", json={"phone": "0086 138 1234 5678", "site": SITE})
    assert r.status_code == 201, r.text
    counts = r.json()["central"]
    missing = [t for t in EVERY_TABLE if not counts.get(t)]
    assert not missing, counts
    for typed in ("13812345678", ZHANG.typed, "+86 138 1234 5678", "138 1234 5678"):
        assert places(central, typed) == [], typed
    assert others(central) == before  # the namesake's and the neighbour's records are as they were
    # withdrawn, not sent with a signature that no longer fits; the namesake's directory line stays
    with central.store.engine.connect() as conn:
        rows = conn.execute(select(commands.c.type, commands.c.state, commands.c.body, commands.c.detail)).all()
    directory = [r for r in rows if r.type == "directory.replace"]
    assert [r.state for r in directory] == ["rejected"] and "withdrawn" in directory[0].detail
    assert {e["unit"] for e in directory[0].body["payload"]["entries"]} == {NAMESAKE.unit, NEIGHBOUR.unit}
    assert central.tickets.get(central.tickets.search((SITE,), "13987654321")[0]["id"])["contact_phone"] == \
        NAMESAKE.phone


def test_erase_by_name_and_unit_only_that_unit(central):
    seeded = seed_everyone(central)
    before = others(central)
    r = central.client("admin").post("/api/v1/privacy/erase", json={"name": ZHANG.name, "unit": ZHANG.unit})
    assert r.status_code == 201, r.text
    counts = r.json()["central"]
    for table in ("calls", "visits", "tickets", "events", "directory", "resident_invitations", "quarantine_redacted"):
        assert counts.get(table), (table, counts)
    # every place 张三 is still stored is the namesake's (unit 9-901), nested payloads included
    for table, key, path in places(central, ZHANG.name):
        dump = row_dump(central, table, key)  # a slip splits the unit: building 9, unit 901
        assert any(x in dump for x in (NAMESAKE.unit, "13987654321", NAMESAKE.typed, '"unit": "901"',
                                     seeded[NAMESAKE.card]["call_id"], seeded[NAMESAKE.card]["ticket_id"])), \
            (table, key, path)
    assert others(central) == before
    events = {e["type"]: e["payload"] for e in central.store.list_events(device=f"kiosk-{ZHANG.slug}", limit=100)}
    assert events["print.requested"]["data"]["visit"]["visitor_name"] == "(erased)"
    assert events["print.requested"]["data"]["lines"][0]["text"] == "访客 (erased)"
    assert events["card.scanned"]["holder"] == "(erased)"
    call = central.tickets.call_line(seeded[ZHANG.card]["call_id"])
    assert call["resident_name"] is None and call["transcript"] is None and call["notes"] is None


def test_erase_by_card_and_by_visit(central):
    seed_everyone(central)
    admin = central.client("admin")
    r = admin.post("/api/v1/privacy/erase", json={"card_id": ZHANG.card})
    assert r.status_code == 201 and r.json()["central"]["events"] >= 1, r.text
    assert r.json()["central"]["quarantine_dropped"] == 1  # the unreadable row that held the card
    assert places(central, ZHANG.card) == []
    assert places(central, NAMESAKE.card)
    r = admin.post("/api/v1/privacy/erase", json={"visit_id": ZHANG.visit})
    assert r.status_code == 201, r.text
    counts = r.json()["central"]
    assert counts["visits"] == 1 and counts["calls"] == 1 and counts["events"] >= 3, counts
    visits = {v["visit_id"]: v for v in admin.get("/api/v1/registers/visits").json()}
    assert visits[ZHANG.visit]["visitor_name"] == "(erased)" and visits[ZHANG.visit]["phone"] is None
    assert visits[NAMESAKE.visit]["visitor_name"] == NAMESAKE.name
    assert places(central, ZHANG.typed) == []  # the visit named the number: it went everywhere


def test_audit_keeps_the_erasure_not_the_person(central):
    seed_everyone(central)
    admin = central.client("admin")
    r = admin.post("/api/v1/privacy/erase", json={"phone": ZHANG.typed, "name": ZHANG.name, "unit": ZHANG.unit})
    request_id = r.json()["request_id"]
    audit = admin.get("/api/v1/audit?limit=500").json()
    line = next(a for a in audit if a["entity_id"] == request_id)
    assert line["action"] == "erase" and line["detail"]["subject"] == ["phone", "name+unit"]
    dump = json.dumps(audit, ensure_ascii=False)
    assert "13812345678" not in dump and ZHANG.typed not in dump
    assert not any(ZHANG.name in json.dumps(a, ensure_ascii=False) and ZHANG.unit in json.dumps(a) for a in audit)


def test_short_number_wildcards_and_quotes_erase_nothing_else(central):
    seed_everyone(central)
    admin = central.client("admin")
    everything = {w: places(central, w) for w in ("13812345678", ZHANG.name, NAMESAKE.phone, NEIGHBOUR.name)}
    for subject in ({"phone": "138"}, {"phone": "5678"}, {"name": "%", "unit": "3-201"},
                    {"name": "_", "unit": "%"}, {"name": "张%", "unit": "3-201"},
                    {"name": "' OR 1=1 --", "unit": "3-201"},
                    {"card_id": "%"}, {"visit_id": "_"}):
        r = admin.post("/api/v1/privacy/erase", json=subject)
        assert r.status_code == 201, (subject, r.text)
        assert r.json()["central"] == {}, (subject, r.json())
    assert {w: places(central, w) for w in everything} == everything


def test_names_with_wildcards_and_quotes_are_erased_as_text(central):
    edge = Edge(central.store, device="desk-9")
    odd = "O'Brien_%\"x"
    edge.emit("desk.note", {"text": f"{odd} called", "unit": "5-501", "author": None})
    edge.emit("desk.note", {"text": "OXBrienA%\"x called", "unit": "5-501", "author": None})
    r = central.client("admin").post("/api/v1/privacy/erase", json={"name": odd, "unit": "5-501"})
    assert r.status_code == 201 and r.json()["central"] == {"events": 1}, r.text
    texts = sorted(e["payload"]["text"] for e in central.store.list_events(device="desk-9"))
    assert texts == ["(erased) called", "OXBrienA%\"x called"]


@pytest.mark.parametrize("body,reason", [
    ({}, "give a phone number"), ({"name": "张三"}, "give a phone number"), ({"unit": "3-201"}, "give a phone number"),
    ({"phone": "abc"}, "fewer than 3 digits"), ({"phone": "1-2"}, "fewer than 3 digits"),
    ({"phone": "12"}, "at least 3"), ({"phone": "1" * 41}, "at most 40"), ({"phone": "138", "extra": 1}, "extra"),
    ({"site": "../x", "phone": "13812345678"}, "pattern"),
])
def test_unusable_subjects_are_refused_with_the_reason(central, body, reason):
    r = central.client("admin").post("/api/v1/privacy/erase", json=body)
    assert r.status_code == 422 and reason in r.text, r.text


def test_only_privacy_admins_erase(central):
    for role in ("desk", "manager"):
        assert central.client(role).post("/api/v1/privacy/erase", json={"phone": ZHANG.phone}).status_code == 403
    assert central.client("admin").get("/api/v1/privacy/requests/nope").status_code == 404


def test_quarantine_huge_and_odd_payloads(central):
    store = central.store
    topic = f"frontdesk/v1/{SITE}/kiosk-1/events"
    huge = b'{"v":1,"items":[{"text":"' + b"x" * 300_000 + b'"}, {"phone": "13812345678"}]}'
    store.quarantine(topic, huge, "too large")  # kept: the head only (not JSON any more), the number past it
    store.quarantine(topic, b"13812345678 at the start, not JSON", "unreadable")
    store.quarantine(topic, '{"name": "张三", "unit": "3-201", "deep": [[{"phone": "+86 138 1234 5678"}]]}'.encode(),
                     "not a batch")
    store.quarantine(topic, b"\x80\x81 13812345678", "not UTF-8")
    store.quarantine(topic, b'{"phone": "13987654321"}', "another person")
    r = central.client("admin").post("/api/v1/privacy/erase", json={"phone": "13812345678"})
    assert r.status_code == 201, r.text
    assert r.json()["central"] == {"quarantine_redacted": 2, "quarantine_dropped": 1}, r.json()
    with store.engine.connect() as conn:
        raws = [bytes(x) for x in conn.execute(text("SELECT raw FROM quarantine ORDER BY id")).scalars()]
    assert len(raws) == 4 and not any(b"13812345678" in x or b"138 1234 5678" in x for x in raws)
    assert b"13987654321" in raws[-1] and json.loads(raws[2])["name"] == "张三"  # no unit match: a name stays


def test_a_short_number_only_counts_where_a_number_stands(central):
    """An extension "138" is erased from a phone field, not from prose ("房间 138") nor other fields."""
    edge = Edge(central.store, device="kiosk-9")
    edge.emit("visitor.checked_in", {"visit_id": "v-ext", "method": "walk_in", "visitor_name": "赵六",
                                     "host_unit": "138", "post_role": "kiosk", "phone": "138", "checkout_code": "c"})
    edge.emit("desk.note", {"text": "房间 138 的灯坏了", "unit": "138"})
    r = central.client("admin").post("/api/v1/privacy/erase", json={"phone": "138"})
    # the visit, its check-in and the visit ticket the check-in opened (with ticket.opened)
    assert r.status_code == 201 and r.json()["central"] == {"events": 2, "tickets": 1, "visits": 1}, r.text
    payloads = {e["type"]: e["payload"] for e in central.store.list_events(device="kiosk-9")}
    check_in = payloads["visitor.checked_in"]
    assert check_in["phone"] == "(erased)" and check_in["host_unit"] == "138"
    assert payloads["desk.note"]["text"] == "房间 138 的灯坏了"
