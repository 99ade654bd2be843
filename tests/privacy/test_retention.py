"""Retention at central: every kind past its site's period loses its personal data (rows stay, so
the registers and monthly statistics count the same), other sites' periods apply to theirs, a second
round finds nothing, and the [privacy] section is validated."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from frontdesk.central.config import ConfigError, parse_central
from frontdesk.central.tables import commands, quarantine
from frontdesk.central.tickets.tables import calls, visits
from frontdesk.schema.call import DirectoryEntry, DirectoryReplace
from frontdesk.schema.printing import PrintSlip

from ..central.helpers import OTHER, SITE, Central, Edge
from .seed import NAMESAKE, ZHANG, Person, seed_person

OLD = datetime.now(UTC) - timedelta(days=400)
MONTH = OLD.astimezone().strftime("%Y-%m")
# OTHER keeps calls for 1000 days; everything else uses the defaults (visits 180, calls 180, ...)
CONFIG = {"privacy": {"sites": {OTHER: {"calls": 1000, "transcripts": 1000}}}}
RECENT = Person("+8613600002222", "136 0000 2222", "王五", "6-601", "CARD-G7H8", "visit-recent", "r")


def _at_other_site(central, p: Person) -> str:
    edge = Edge(central.store, site=OTHER, device="desk-o")
    from ..central.helpers import call_events
    call_id = "call-other"
    edge.send(*call_events(edge, call_id, number=p.phone, name=p.name, unit=p.unit, at=OLD,
                           text=f"{p.name} 的留言"))
    return call_id


def _stats(central, site: str) -> dict:
    body = central.client("admin").get(f"/api/v1/stats/monthly?site={site}&month={MONTH}").json()
    return {k["kind"]: (k["opened"], k["closed"], k["done"]) for k in body["kinds"]}


def _counts(central) -> tuple[int, int]:
    with central.store.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(calls)).scalar(),
                conn.execute(select(func.count()).select_from(visits)).scalar())


@pytest.mark.parametrize("central", [CONFIG], indirect=True, ids=["other-site-keeps-calls"])
def test_retention_per_kind_and_site(central):
    old = seed_person(central, ZHANG, at=OLD)
    recent = seed_person(central, RECENT)
    other_call = _at_other_site(central, NAMESAKE)
    store = central.store
    # the old commands were answered long ago; the recent ones just now; one old quarantine row
    slip = store.create_command(SITE, "desk-1", PrintSlip(kind="workorder", job_id="wo-old", data={"caller_name": "x"}))
    push = store.create_command(SITE, "desk-1", DirectoryReplace(entries=[
        DirectoryEntry(number=ZHANG.phone, unit=ZHANG.unit, name=ZHANG.name)]))
    pending = store.create_command(SITE, "desk-2", DirectoryReplace(entries=[]))
    for row in store.list_commands():
        if row["id"] == pending.id:
            continue  # never answered: retention leaves it
        Edge(store, device=row["device"]).emit("command.applied", {
            "command_id": row["id"], "command_type": row["type"], "status": "applied", "result": {}},
            OLD if row["id"] in (slip.id, push.id) or "wo-a" in str(row["payload"]) else None)
    with store.engine.begin() as conn:
        conn.execute(update(quarantine).where(quarantine.c.id == 1).values(received_at=OLD))
    stats_before, counts_before = _stats(central, SITE), _counts(central)
    assert stats_before["repair"][0] >= 1

    r = central.client("admin").post("/api/v1/privacy/retention")
    assert r.status_code == 200, r.text
    changed = r.json()["changed"]
    for kind in ("visits", "calls", "transcripts", "commands", "print_jobs", "quarantine"):
        assert changed.get(kind), (kind, changed)
    assert _stats(central, SITE) == stats_before and _counts(central) == counts_before

    tickets = central.tickets
    gone, kept = tickets.call_line(old["call_id"]), tickets.call_line(recent["call_id"])
    assert gone["number"] is None and gone["resident_name"] is None and gone["transcript"] is None
    assert gone["notes"] is None and gone["unit"] == ZHANG.unit and gone["category"] == "repair"
    assert kept["number"] == RECENT.phone and kept["transcript"]
    other = tickets.call_line(other_call)  # its site keeps calls and transcripts for 1000 days
    assert other["number"] == NAMESAKE.phone and other["transcript"]
    visits_now = {v["visit_id"]: v for v in central.client("admin").get("/api/v1/registers/visits").json()}
    assert visits_now[ZHANG.visit]["visitor_name"] == "(anonymised)" and visits_now[ZHANG.visit]["phone"] is None
    assert visits_now[RECENT.visit]["visitor_name"] == RECENT.name
    events = {(e["device"], e["type"]): e["payload"] for e in store.list_events(limit=1000)}
    assert events[("desk-a", "call.transcribed")]["text"] == "(anonymised)"
    assert events[("desk-a", "call.ringing")]["number"] is None
    assert events[("desk-r", "call.transcribed")]["text"].startswith("我是王五")
    assert events[("kiosk-a", "print.requested")]["data"] == {"removed": "retention"}
    assert events[("kiosk-r", "print.requested")]["data"]["lines"]
    with store.engine.connect() as conn:
        bodies = {r.id: r.body["payload"] for r in conn.execute(select(commands.c.id, commands.c.body))}
        left = conn.execute(select(func.count()).select_from(quarantine)).scalar()
    assert bodies[slip.id] == {"removed": "retention"}
    assert bodies[push.id] == {"removed": "retention"} and bodies[pending.id] == {"entries": []}
    # ZHANG's slip, "wo-old" and the push; the recent slip keeps its data
    assert sum(1 for b in bodies.values() if b == {"removed": "retention"}) == 3
    assert left == 3  # 4 quarantined, the old one deleted

    assert central.client("admin").post("/api/v1/privacy/retention").json()["changed"] == {}  # nothing left


def test_zero_keeps_for_ever(database_url):
    central = Central(database_url, {"privacy": {"visits": 0, "calls": 0, "transcripts": 0, "print_jobs": 0,
                                                 "commands": 0, "quarantine": 0}})
    try:
        old = seed_person(central, ZHANG, at=OLD)
        assert central.app.state.privacy.run_retention()["changed"] == {}
        assert central.tickets.call_line(old["call_id"])["number"] == ZHANG.phone
    finally:
        central.close()


def test_legacy_visit_retention_days_still_works(database_url):
    central = Central(database_url, {"tickets": {"visit_retention_days": 500}})
    try:
        assert central.app.state.privacy.config.visits == 500
        seed_person(central, ZHANG, at=OLD)
        assert "visits" not in central.app.state.privacy.run_retention()["changed"]
    finally:
        central.close()


@pytest.mark.parametrize("privacy,error", [
    ({"calls": -1}, "greater than or equal to 0"), ({"calls": 3651}, "less than or equal to 3650"),
    ({"callz": 3}, "unknown key"), ({"sites": {"bad site": {"calls": 1}}}, "not a site id"),
    ({"sites": {SITE: {"voicemail": 1}}}, "unknown key"), ({"run_every_s": 1}, "greater than or equal to 60"),
])
def test_privacy_section_is_validated(privacy, error):
    with pytest.raises(ConfigError, match=error):
        parse_central({"privacy": privacy})
    with pytest.raises(ConfigError, match="disagree"):
        parse_central({"privacy": {"visits": 30}, "tickets": {"visit_retention_days": 90}})


def test_the_service_checker_runs_retention_and_tells_the_edges(sqlite_url):
    from frontdesk.central.tickets.checker import BreachChecker

    from ..waiting import wait_for
    from .seed import register_device
    central = Central(sqlite_url, {"tickets": {"breach_check_s": 0.05}})
    try:
        old = seed_person(central, ZHANG, at=OLD)
        register_device(central, "desk-1")
        checker = BreachChecker(central.tickets, central.app.state.privacy.run_retention, 3600)
        checker.start()
        try:
            assert wait_for(lambda: central.tickets.call_line(old["call_id"])["number"] is None, timeout=20)
            assert wait_for(lambda: central.store.list_commands(type_="retention.set"), timeout=20)
        finally:
            checker.stop()
        assert len(central.store.list_commands(type_="retention.set")) == 1
    finally:
        central.close()
