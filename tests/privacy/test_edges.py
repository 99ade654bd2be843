"""The edges' part: one privacy.erase per device of the site, their answers on the request, the
subject scrubbed from an answered command, and retention.set sent once per device and change."""
from __future__ import annotations

from sqlalchemy import select

from frontdesk.central.privacy.find import find
from frontdesk.central.tables import commands

from ..central.helpers import OTHER, SITE, Central, Edge
from .seed import ZHANG, register_device, seed_person


def _answer(central, device: str, command: dict, status: str = "applied", result: dict | None = None) -> None:
    Edge(central.store, device=device).emit("command.applied", {
        "command_id": command["command_id"], "command_type": "privacy.erase", "status": status,
        "detail": None if status == "applied" else "journal busy", "result": result})


def test_erasure_reaches_each_device_of_the_site(central):
    for site, device in ((SITE, "desk-1"), (SITE, "kiosk-1"), (OTHER, "desk-9")):
        register_device(central, device, site=site)
    seed_person(central, ZHANG)
    admin = central.client("admin")
    r = admin.post("/api/v1/privacy/erase", json={"phone": ZHANG.typed, "name": ZHANG.name, "unit": ZHANG.unit,
                                                  "site": SITE})
    assert r.status_code == 201, r.text
    request = r.json()
    assert [(e["device"], e["state"]) for e in request["edges"]] == [("desk-1", "pending"), ("kiosk-1", "pending")]
    assert request["central"]["calls"] == 1 and request["edges_pending"] == 2
    # until answered, the command must carry whom to erase (the edge needs it) ...
    with central.store.engine.connect() as conn:
        body = conn.execute(select(commands.c.body).where(commands.c.id == request["edges"][0]["command_id"])).scalar()
    assert body["payload"]["subject"]["phone"] == ZHANG.typed
    assert body["payload"]["request_id"] == request["request_id"]
    desk, kiosk = request["edges"]
    _answer(central, "desk-1", desk, result={"journal_events": 4, "recordings": 1})
    _answer(central, "kiosk-1", kiosk, status="rejected")
    seen = admin.get(f"/api/v1/privacy/requests/{request['request_id']}").json()
    assert seen["central"] == request["central"] and seen["edges_pending"] == 0
    assert [(e["device"], e["state"], e["result"]) for e in seen["edges"]] == [
        ("desk-1", "delivered", {"journal_events": 4, "recordings": 1}), ("kiosk-1", "rejected", None)]
    # ... and once answered it does not: the request id and the counts stay
    with central.store.engine.connect() as conn:
        rows = conn.execute(select(commands.c.body, commands.c.result).where(
            commands.c.type == "privacy.erase")).all()
    assert all(r.body["payload"]["request_id"] == request["request_id"] for r in rows)
    assert {tuple(sorted(r.body["payload"]["subject"].items())) for r in rows} == {
        (("name", "(erased)"), ("phone", "(erased)"), ("unit", "(erased)"))}
    for text in ("13812345678", ZHANG.name):
        assert find(central.store, text)["found"] is False, find(central.store, text)
    # another site's admin-less view: a manager of the site may not read requests
    assert central.client("manager").get(f"/api/v1/privacy/requests/{request['request_id']}").status_code == 403


def test_request_of_another_site_is_not_shown(central):
    admin = central.client("admin")
    request_id = admin.post("/api/v1/privacy/erase", json={"phone": "13812345678", "site": SITE}).json()["request_id"]
    central.accounts.add_user("admin-other", "correct horse battery", "admin", [OTHER])
    other = central.client(None)
    token = other.post("/api/v1/auth/login", json={"username": "admin-other", "password": "correct horse battery",
                                                    "token": True}).json()["token"]
    other.headers["Authorization"] = f"Bearer {token}"
    assert other.get(f"/api/v1/privacy/requests/{request_id}").status_code == 404
    assert admin.get(f"/api/v1/privacy/requests/{request_id}").status_code == 200


def _retention_commands(central) -> list[dict]:
    return [c for c in central.store.list_commands(type_="retention.set")]


def test_retention_set_once_per_device_not_per_start(database_url):
    config = {"privacy": {"calls": 90, "sites": {SITE: {"calls": 30}}}}
    central = Central(database_url, config)
    try:
        register_device(central, "desk-1")
        register_device(central, "gate-1", role="gate", site=OTHER)
        first = central.app.state.privacy.sync_edges()
        assert len(first) == 2
        by_device = {c["device"]: c["payload"]["days"] for c in _retention_commands(central)}
        assert by_device["desk-1"]["calls"] == 30 and by_device["gate-1"]["calls"] == 90
        assert central.app.state.privacy.sync_edges() == []  # pending already: nothing more
        for c in _retention_commands(central):
            Edge(central.store, site=c["site"], device=c["device"]).emit("command.applied", {
                "command_id": c["id"], "command_type": "retention.set", "status": "applied", "result": {}})
    finally:
        central.close()
    for _restart in range(2):  # a restart with the same periods sends nothing
        again = Central(database_url, config)
        try:
            assert again.app.state.privacy.sync_edges() == []
        finally:
            again.close()
    changed = Central(database_url, {"privacy": {"calls": 60, "sites": {SITE: {"calls": 30}}}})
    try:
        made = changed.app.state.privacy.sync_edges()
        assert [changed.store.get_command(i)["device"] for i in made] == ["gate-1"]  # only its site changed
        assert changed.store.get_command(made[0])["payload"]["days"]["calls"] == 60
        assert changed.app.state.privacy.sync_edges() == []
        assert len(_retention_commands(changed)) == 3
    finally:
        changed.close()


def test_an_event_the_edge_sent_before_it_erased_is_erased_when_its_answer_arrives(central):
    """The window between central's erasure and the edge's: an event already on its way from the
    edge reaches central after central erased. The edge's answer comes after it in the edge's
    order, and central erases once more when the answer is ingested."""
    register_device(central, "desk-1")
    seed_person(central, ZHANG)
    admin = central.client("admin")
    assert admin.put(f"/api/v1/sites/{SITE}/directory", json={"entries": [
        {"unit": ZHANG.unit, "name": ZHANG.name, "phone": ZHANG.typed}]}).status_code == 200
    request = admin.post("/api/v1/privacy/erase", json={"phone": ZHANG.typed, "site": SITE}).json()
    assert request["central"]["directory"] == 1

    def tables() -> set[str]:
        return {p["path"].split("[", 1)[0] for p in find(central.store, "13812345678")["stored"]}

    assert tables() == {"commands"}  # only the pending privacy.erase, which the edge needs
    late = Edge(central.store, device="desk-1")
    late.emit("desk.note", {"text": f"{ZHANG.name} 来电 {ZHANG.typed}", "unit": ZHANG.unit})
    assert tables() == {"commands", "events"}  # the late copy, until the answer
    _answer(central, "desk-1", request["edges"][0], result={"journal_events": 1})
    assert find(central.store, "13812345678")["found"] is False, find(central.store, "13812345678")
    # the directory names the number's resident: their name went too, the late note's included
    assert find(central.store, ZHANG.name)["stored"] == [], find(central.store, ZHANG.name)["stored"]
