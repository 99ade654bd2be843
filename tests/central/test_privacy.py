"""Retention (old visits anonymised) and erasing one resident without touching anyone else."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from frontdesk.central.tickets.privacy import anonymise_visits
from frontdesk.ids import new_id

from .helpers import PASSWORD, SITE, Edge, call_events


def _visit(edge, vid, name, phone, at):
    edge.emit("visitor.checked_in", {"visit_id": vid, "method": "walk_in", "visitor_name": name, "host_unit": "1-101",
                                     "post_role": "kiosk", "phone": phone, "purpose": "送货", "checkout_code": vid}, at)


def test_retention_anonymises_only_old_visits(central):
    edge = Edge(central.store, device="kiosk-1")
    now = datetime.now(UTC)
    _visit(edge, "old", "赵老", "13600000001", now - timedelta(days=200))
    _visit(edge, "new", "钱新", "13600000002", now - timedelta(days=3))
    assert anonymise_visits(central.store, 180) == 1
    assert anonymise_visits(central.store, 180) == 0
    visits = {v["visit_id"]: v for v in central.client("desk").get("/api/v1/registers/visits").json()}
    assert visits["old"]["visitor_name"] == "(anonymised)" and visits["old"]["phone"] is None
    assert visits["new"]["visitor_name"] == "钱新" and visits["new"]["phone"] == "13600000002"
    old_events = [e for e in central.store.list_events(type_="visitor.checked_in") if e["payload"]["visit_id"] == "old"]
    assert "13600000001" not in json.dumps(old_events, ensure_ascii=False)
    # nor in the ticket.opened the check-in made, nor anywhere else; the new visit keeps its data
    everything = json.dumps(central.store.list_events(limit=1000), ensure_ascii=False)
    assert "13600000001" not in everything and "赵老" not in everything
    assert "13600000002" in everything and "钱新" in everything
    assert central.tickets.get(visits["old"]["ticket_id"])["contact_phone"] is None
    r = central.client("admin").post("/api/v1/privacy/retention")
    assert r.status_code == 200 and r.json()["anonymised"] == 0


def test_erase_one_resident(central):
    edge = Edge(central.store)
    edge.send(*call_events(edge, new_id(), number="13811110000", name="张三", unit="3-201"))
    edge.send(*call_events(edge, new_id(), number="13922220000", name="李四", unit="4-401"))
    edge.send(*call_events(edge, new_id(), number="13933330000", name="张三", unit="9-901"))  # another 张三
    admin = central.client("admin")
    r = admin.post("/api/v1/privacy/erase",
                   json={"site": SITE, "phone": "13811110000", "name": "张三", "unit": "3-201"})
    assert r.status_code == 200, r.text
    assert r.json()["calls"] == 1 and r.json()["tickets"] == 1 and r.json()["events"] == 4
    # ringing, answered, ended, and the ticket.opened the transcribed call made
    dump = json.dumps(central.store.list_events(limit=1000), ensure_ascii=False)
    assert "13811110000" not in dump
    assert "13922220000" in dump and "13933330000" in dump
    calls = {c["unit"]: c for c in admin.get("/api/v1/registers/calls").json()}
    assert calls["3-201"]["number"] is None and calls["3-201"]["resident_name"] is None
    assert calls["9-901"]["resident_name"] == "张三" and calls["4-401"]["number"] == "13922220000"
    # a name alone is not one person
    assert admin.post("/api/v1/privacy/erase", json={"name": "张三"}).status_code == 422
    # by name and unit alone (no number): the 张三 of 9-901 goes, in the register and in the events
    r = admin.post("/api/v1/privacy/erase", json={"name": "张三", "unit": "9-901"})
    assert r.json()["calls"] == 1 and r.json()["events"] == 4
    dump = json.dumps(central.store.list_events(limit=1000), ensure_ascii=False)
    assert "张三" not in dump and "13933330000" not in dump
    assert "李四" in dump and "13922220000" in dump
    assert any(a["action"] == "erase" for a in admin.get("/api/v1/audit").json())


def test_user_cli(tmp_path, sqlite_url):
    cfg = tmp_path / "central.toml"
    cfg.write_text(f'[central]\ndatabase_url = "{sqlite_url}"\n')
    def run(*a, stdin=""):
        return subprocess.run([sys.executable, "-m", "frontdesk", "central", "user", *a, "-c", str(cfg)],
                              input=stdin, capture_output=True, text=True, timeout=120)
    r = run("add", "liu", "--role", "desk", "--sites", SITE, "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"username": "liu", "role": "desk", "sites": [SITE]}
    r = run("add", "liu", "--role", "desk", "--sites", SITE, "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 2 and "exists already" in r.stderr
    r = run("add", "wu", "--role", "desk", "--sites", SITE, "--password-stdin", stdin="short\n")
    assert r.returncode == 2 and "at least 10" in r.stderr
    assert "liu" in run("list").stdout
