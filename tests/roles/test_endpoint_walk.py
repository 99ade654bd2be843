"""Every GET endpoint of central's API, for every role, on both databases, over one resident seeded
everywhere (roles_helpers.seed): roles outside PERSONAL_DATA_ROLES never get the resident's full
number or name in any answer; the others get them where the endpoint is about residents; and each
answer that shows them in full leaves one audit entry for that read.

The endpoints come from the OpenAPI schema, so a new GET endpoint is walked without anyone adding
it here; its path parameters come from the seeded data (a parameter nobody knows how to fill
fails the test, naming it).
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from frontdesk.central.api import create_app
from frontdesk.central.auth.roles import PERSONAL_DATA_ROLES
from frontdesk.central.config import parse_central
from frontdesk.central.store import Store

from .roles_helpers import NAME, PERSONAL, PHONE, ROLES, SITE, UNIT, Seeded, client, config, seed

# Answers that are about residents: a role in PERSONAL_DATA_ROLES that may read them (200) must see
# the resident's number or name in full there.
ABOUT_RESIDENTS = {
    "/api/v1/tickets/{ticket_id}", "/api/v1/claim-links/{token}", "/api/v1/registers/{register}",
    "/api/v1/commands", "/api/v1/sites/{site}/commands", "/api/v1/commands/{command_id}", "/api/v1/events",
    "/api/v1/sites/{site}/units", "/api/v1/sites/{site}/directory", "/api/v1/sites/{site}/resident-codes",
    "/api/v1/sites/{site}/invitations",
}
# Public answers that a secret in the address opens for its one holder: the visitor's own link shows
# the visitor their own name (residents' feature; no staff screen shows it). Walked, not judged.
HOLDER_OF_THE_LINK = {"/api/v1/visitor-links/{token}"}
# Query parameters a walk gives (required ones, and those that make an endpoint show the resident).
QUERIES: dict[str, dict[str, str]] = {
    "/api/v1/tickets/search": {"q": UNIT},
    "/api/v1/sites/{site}/units": {"q": UNIT},
}
# Values for required query parameters, by name, wherever they stand.
REQUIRED = {"site": SITE, "q": UNIT, "month": datetime.now(UTC).strftime("%Y-%m")}
ALL_READS = ("desk", "manager", "admin")
assert set(PERSONAL) == set(PERSONAL_DATA_ROLES), "the test's PERSONAL must say what roles.py says"


def path_values(seeded: Seeded) -> dict[str, list[str]]:
    """Every value each path parameter is walked with."""
    return {"site": [SITE], "unit": [UNIT], "ticket_id": [seeded.ticket_id, seeded.mail_ticket_id],
            "attachment_id": [seeded.attachment_id], "command_id": list(seeded.commands.values()),
            "token": [seeded.claim_token, seeded.visitor_link], "request_id": [seeded.privacy_request]}


def requests_for(path: str, operation: dict[str, Any], seeded: Seeded) -> list[str]:
    """The URLs a GET operation is walked with: every combination of its path parameters' values
    (an enum: every member), its query from QUERIES."""
    urls = [path]
    values = path_values(seeded)
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            enum = param.get("schema", {}).get("enum")
            options = enum or values.get(param["name"])
            assert options, f"{path}: no seeded value for the path parameter {param['name']!r}: add it to path_values"
            urls = [u.replace("{" + param["name"] + "}", str(v)) for u in urls for v in options]
        elif param.get("required") and param["name"] not in {**REQUIRED, **QUERIES.get(path, {})}:
            raise AssertionError(f"{path}: no value for the required query parameter {param['name']!r}: add it to "
                                 "QUERIES")
    query = {**{p["name"]: REQUIRED[p["name"]] for p in operation.get("parameters", [])
                if p["in"] == "query" and p.get("required") and p["name"] in REQUIRED}, **QUERIES.get(path, {})}
    return [u + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "") for u in urls]


def shows(text: str) -> set[str]:
    """Which of the resident's name and number the text holds in full (raw or as JSON escapes)."""
    escaped = {NAME: json.dumps(NAME)[1:-1], PHONE: PHONE}
    return {what for what in (NAME, PHONE) if what in text or escaped[what] in text}


@pytest.fixture
def seeded_central(database_url, tmp_path):
    store = Store(database_url)
    app = create_app(store, config=parse_central({"central": {"database_url": database_url}, **config(tmp_path)}))
    seeded = seed(app, store)
    yield app, store, seeded
    store.close()


def reads_of(accounts, username: str) -> list[dict[str, Any]]:
    return [a for a in accounts.list_audit(sites=None, username=username, limit=10_000) if a["action"] == "read"]


def test_every_get_endpoint_for_every_role_shows_personal_data_only_in_full_to_whom_it_may(seeded_central):
    app, _, seeded = seeded_central
    accounts = app.state.accounts
    operations = {p: ops["get"] for p, ops in app.openapi()["paths"].items() if "get" in ops}
    assert {"/api/v1/events", "/api/v1/quarantine", "/api/v1/commands", "/api/v1/dashboard/live"} <= set(operations)
    del operations["/api/v1/dashboard/live"]  # a stream that never ends: test_live_roles.py reads it over HTTP
    clients = {role: client(app, role) for role in ROLES}
    seen_full: dict[str, set[str]] = {role: set() for role in ROLES}
    no_resident = seeded.commands["passes.revoke"]  # a revocation names passes, not people
    walked = 0
    for path, operation in operations.items():
        for url in requests_for(path, operation, seeded):
            for role in ROLES:
                before = len(reads_of(accounts, role))
                r = clients[role].get(url)
                walked += 1
                assert r.status_code < 500, f"{role} GET {url}: {r.status_code} {r.text[:300]}"
                full = shows(r.content.decode("utf-8", "replace"))
                new_reads = reads_of(accounts, role)[: len(reads_of(accounts, role)) - before]
                if path in HOLDER_OF_THE_LINK:
                    continue
                if role not in PERSONAL:
                    assert not full, f"{role} GET {url} shows {full} in full: {r.text[:400]}"
                    assert not new_reads, f"{role} GET {url}: a masked read was audited as personal: {new_reads}"
                    continue
                if full:
                    seen_full[role].add(path)
                    assert len(new_reads) == 1, f"{role} GET {url} showed {full} with {len(new_reads)} audit entries"
                    entry = new_reads[0]
                    assert (entry["username"], entry["role"], entry["action"]) == (role, role, "read")
                if r.status_code == 200 and path in ABOUT_RESIDENTS and not url.endswith(no_resident):
                    assert full, f"{role} GET {url} is about residents but shows no name or number: {r.text[:300]}"
    assert walked > 5 * 30
    for role in ALL_READS:
        # what each may read in full, at least (commands and raw events for managers and admins only)
        must = {"/api/v1/tickets/{ticket_id}", "/api/v1/registers/{register}", "/api/v1/commands"}
        if role != "desk":
            must |= {"/api/v1/events", "/api/v1/sites/{site}/directory"}
        assert must <= seen_full[role], f"{role} never saw the resident in full on {must - seen_full[role]}"


def test_guards_read_only_the_commands_they_send_masked_and_technicians_none(seeded_central):
    app, _, seeded = seeded_central
    guard, tech, manager = client(app, "guard"), client(app, "technician"), client(app, "manager")
    listed = guard.get("/api/v1/commands", params={"limit": 1000}).json()
    assert {c["type"] for c in listed} == {"print.slip", "passes.revoke"}
    assert {c["type"] for c in guard.get(f"/api/v1/sites/{SITE}/commands").json()} == {"print.slip", "passes.revoke"}
    for type_ in ("directory.replace", "cards.allowlist.replace", "blocklist.replace"):
        assert guard.get(f"/api/v1/commands/{seeded.commands[type_]}").status_code == 404
        assert manager.get(f"/api/v1/commands/{seeded.commands[type_]}").status_code == 200
    badge = guard.get(f"/api/v1/commands/{seeded.commands['print.slip']}").json()
    assert badge["payload"]["data"]["display_name"] == "欧***"
    slip = guard.get(f"/api/v1/commands/{seeded.commands['print.slip/workorder']}").json()["payload"]["data"]
    assert slip["caller_name"] == "欧***" and slip["caller_phone"] == "139****4321"
    assert PHONE not in slip["content"] and NAME not in slip["content"] and "厨房水管漏水" in slip["content"]
    assert slip["ticket_no"] == manager.get(f"/api/v1/tickets/{seeded.ticket_id}").json()["number"]
    full = manager.get(f"/api/v1/commands/{seeded.commands['cards.allowlist.replace']}").json()
    assert full["payload"]["entries"][0]["holder"] == NAME
    assert tech.get("/api/v1/commands").status_code == 403
    # Sending stays by type: a guard may print, not push a directory.
    r = guard.post(f"/api/v1/sites/{SITE}/commands",
                   json={"device": "desk-1", "type": "directory.replace", "payload": {"entries": []}})
    assert r.status_code == 403


def test_a_tickets_number_is_not_masked_and_a_board_read_is_no_personal_read(seeded_central):
    app, _, seeded = seeded_central
    accounts = app.state.accounts
    desk, tech = client(app, "desk"), client(app, "technician")
    ticket = tech.get(f"/api/v1/tickets/{seeded.ticket_id}").json()
    assert ticket["number"].startswith("BX-") and "*" not in ticket["number"]
    assert ticket["contact_phone"] == "139****4321" and ticket["contact_name"] == "欧***"
    assert "厨房水管漏水" in ticket["details"] and PHONE not in ticket["details"]
    notes = [h["detail"].get("note") for h in ticket["history"] if h["detail"].get("note")]
    assert notes and all(PHONE not in n and NAME not in n for n in notes)
    before = len(reads_of(accounts, "desk"))
    board = desk.get("/api/v1/tickets", params={"kind": "repair"}).json()
    assert [row["title"] for row in board] == ["厨房水管漏水"] and "*" not in board[0]["number"]
    assert len(reads_of(accounts, "desk")) == before, "a board of titles and units is no personal read"
    desk.get(f"/api/v1/tickets/{seeded.ticket_id}")
    entry = reads_of(accounts, "desk")[0]
    assert (entry["entity"], entry["entity_id"], entry["site"]) == ("ticket", seeded.ticket_id, SITE)
    # The ticket the rules opened from the call takes the caller's words as its title: the board
    # that shows it is a personal read for the desk, and masked for the technician.
    inquiry = desk.get("/api/v1/tickets", params={"kind": "inquiry"}).json()
    assert NAME in inquiry[0]["title"] and PHONE in inquiry[0]["title"]
    assert reads_of(accounts, "desk")[0]["entity"] == "tickets"
    masked = tech.get("/api/v1/tickets", params={"kind": "inquiry"}).json()[0]["title"]
    assert NAME not in masked and PHONE not in masked and "欧***" in masked and "139****4321" in masked


def test_the_event_log_masks_nested_payloads_and_audits_reads(seeded_central):
    app, _, _ = seeded_central
    accounts = app.state.accounts
    admin = client(app, "admin")
    rows = admin.get("/api/v1/events", params={"limit": 1000}).json()
    nested = next(e for e in rows if e["type"] == "command.applied")
    assert nested["payload"]["result"]["changed"][0] == {"holder": NAME, "phone": PHONE}
    entry = reads_of(accounts, "admin")[0]
    assert (entry["entity"], entry["detail"]["rows"]) == ("events", len(rows))
    admin.get("/api/v1/events", params={"type": "card.scanned"})
    assert reads_of(accounts, "admin")[0]["detail"]["type"] == "card.scanned"
