"""A single-use pass let in at two posts while they were offline is flagged when both sync."""
from __future__ import annotations

from .helpers import SITE, Central, Edge


def checked_in(edge: Edge, visit_id: str, pass_id: str, single_use: bool = True) -> None:
    edge.emit("visitor.checked_in", {"visit_id": visit_id, "method": "pass", "visitor_name": "李四",
                                     "host_unit": "3-1202", "post_role": "kiosk", "pass_id": pass_id,
                                     "single_use": single_use, "checkout_code": f"FDB1:{visit_id}"})


def test_single_use_pass_used_at_two_posts_is_flagged(database_url):
    central = Central(database_url)
    lobby, gate = Edge(central.store, device="lobby-1"), Edge(central.store, device="gate-1")
    try:
        checked_in(lobby, "v1", "P-1")
        checked_in(lobby, "v2", "P-2")
        checked_in(gate, "v3", "P-3", single_use=False)
        checked_in(lobby, "v4", "P-3", single_use=False)  # a multi-use pass may be used anywhere
        client = central.client("guard")
        url = f"/api/v1/registers/visits?site={SITE}&double_use=true"
        assert client.get(url).json() == []
        checked_in(gate, "v5", "P-1")  # the gate, offline, let the same single-use pass in again
        flagged = client.get(url).json()
        assert sorted((v["visit_id"], v["device"]) for v in flagged) == [("v1", "lobby-1"), ("v5", "gate-1")]
        assert all(v["double_use"] and v["pass_id"] == "P-1" for v in flagged)
        everyone = client.get(f"/api/v1/registers/visits?site={SITE}").json()
        assert {v["visit_id"] for v in everyone if not v["double_use"]} == {"v2", "v3", "v4"}
    finally:
        central.close()
