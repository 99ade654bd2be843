"""The live stream over real HTTP: role masking, site scoping, bounded per-browser queues that
never hold up ingest, and the stream after a restart of the page."""
from __future__ import annotations

import contextlib
import json
import threading
import time

import httpx
import pytest

from frontdesk.central.dashboard import live
from frontdesk.ids import new_id

from .dashboard_helpers import SITE, Edge, ringing, wait_until


def token(central, username, role, sites=None):
    user, password = central.add_user(username, role, sites)
    r = httpx.post(f"{central.url}/api/v1/auth/login", json={"username": user, "password": password, "token": True})
    r.raise_for_status()
    return r.json()["token"]


class Reader:
    """Reads an SSE stream in a thread and collects its messages."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.messages: list[tuple[str, dict]] = []
        self.status: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()

    def _run(self, url, headers):
        try:
            self._read(url, headers)
        except httpx.HTTPError:
            pass  # the server went away: the test is over

    def _read(self, url, headers):
        with httpx.Client(timeout=httpx.Timeout(5, read=30)) as client, \
                client.stream("GET", url, headers=headers) as r:
            self.status = r.status_code
            kind = None
            for line in r.iter_lines():
                if self._stop.is_set():
                    return
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    self.messages.append((kind, json.loads(line[6:])))

    def events(self, type_=None):
        return [d for k, d in self.messages if k == "event" and (type_ is None or d["type"] == type_)]

    def close(self):
        self._stop.set()
        self._thread.join(10)
        assert not self._thread.is_alive(), "a live stream reader did not end"


@contextlib.contextmanager
def live_stream(central, tok):
    """A browser's live stream that reads nothing unless the test does."""
    url, auth = f"{central.url}/api/v1/dashboard/live", {"Authorization": f"Bearer {tok}"}
    with httpx.Client(timeout=httpx.Timeout(5, read=30)) as client, client.stream("GET", url, headers=auth) as r:
        yield r


@pytest.fixture
def readers():
    """Live stream readers; ask for this fixture before `central`, so they end when it stops."""
    made = []
    yield lambda *a: made.append(Reader(*a)) or made[-1]
    for r in made:
        r.close()


def test_guard_sees_masked_visitors_no_calls_and_only_own_site(readers, central):
    guard = token(central, "guard1", "guard", [SITE])
    desk = token(central, "desk1", "desk", ["*"])
    g = readers(f"{central.url}/api/v1/dashboard/live", {"Authorization": f"Bearer {guard}"})
    d = readers(f"{central.url}/api/v1/dashboard/live", {"Authorization": f"Bearer {desk}"})
    wait_until(lambda: central.hub.subscribers == 2, what="two live streams")
    call_id = new_id()
    Edge(central.store).send("call.ringing", ringing(call_id, name="ZHANG SAN", resident="张三丰"))
    Edge(central.store, site="other-site").send("call.ringing", ringing(new_id()))
    visit = {"visit_id": "v-1", "method": "walk_in", "visitor_name": "张三丰", "host_unit": "3-1502",
             "post_role": "gate", "phone": "+8613800138000", "checkout_code": "CO-1"}
    Edge(central.store, device="gate-1").send("visitor.checked_in", visit)
    Edge(central.store, site="other-site", device="gate-1").send("visitor.checked_in", {**visit, "visit_id": "v-2"})
    wait_until(lambda: len(d.events("call.ringing")) == 2, what="the desk's two calls")
    wait_until(lambda: len(d.events("visitor.checked_in")) == 2, what="the desk's two visitors")
    wait_until(lambda: g.events("visitor.checked_in"), what="the guard's visitor")
    time.sleep(0.3)
    # Guards may not read the call register: no call.* event reaches them at all.
    assert g.events("call.ringing") == []
    full = next(x for x in d.events("call.ringing") if x["payload"]["call_id"] == call_id)["payload"]
    assert full["number"] == "+8613800138000" and full["resident_name"] == "张三丰" and full["name"] == "ZHANG SAN"
    mine = g.events("visitor.checked_in")
    assert len(mine) == 1 and mine[0]["site"] == SITE  # nothing from a site the guard has no access to
    p = mine[0]["payload"]
    assert p["phone"].endswith("8000") and "13800" not in p["phone"] and "*" in p["phone"]
    assert "三丰" not in p["visitor_name"] and p["host_unit"] == "3-1502"


def test_stream_refuses_wrong_site_and_technicians(central):
    guard = token(central, "guard2", "guard", [SITE])
    tech = token(central, "tech1", "technician", [SITE])
    r = httpx.get(f"{central.url}/api/v1/dashboard/live?site=other-site", headers={"Authorization": f"Bearer {guard}"})
    assert r.status_code == 403 and "other-site" in r.json()["detail"]
    r = httpx.get(f"{central.url}/api/v1/dashboard/live", headers={"Authorization": f"Bearer {tech}"})
    assert r.status_code == 403
    r = httpx.get(f"{central.url}/api/v1/dashboard/live", headers={"Authorization": "Bearer expired-or-made-up"})
    assert r.status_code == 401
    r = httpx.get(f"{central.url}/api/v1/dashboard/live?site=../../etc", headers={"Authorization": f"Bearer {guard}"})
    assert r.status_code == 422


def test_slow_browser_gets_resync_and_never_holds_up_ingest(central):
    desk = token(central, "desk3", "desk", [SITE])
    # A browser that does not read: its TCP buffers fill, then its queue; ingest must not wait.
    with live_stream(central, desk) as stalled:
        wait_until(lambda: central.hub.subscribers == 1, what="the stalled stream")
        edge = Edge(central.store)
        started = time.monotonic()
        big = "很长的留言" * 1500  # ~22 KB per event: the socket buffers fill after a few
        for _ in range(16):  # ~14 MB: more than the loopback socket buffers hold
            events = [edge.event("call.transcribed", {**_transcribed(new_id()), "text": big}) for _ in range(40)]
            edge.publish(*events)
        events = [edge.event("call.ringing", ringing(new_id())) for _ in range(live.QUEUE_ITEMS + 50)]
        edge.publish(*events)
        elapsed = time.monotonic() - started
        assert elapsed < 10, f"ingest was held up: {elapsed:.1f} s"
        sub = next(iter(central.hub._subs))
        wait_until(lambda: len(sub.items) == live.QUEUE_ITEMS or sub.dropped, what="a full queue")
        assert len(sub.items) <= live.QUEUE_ITEMS
        # Reading now: the browser is told it missed events (and reloads its state).
        kinds = []
        for line in stalled.iter_lines():
            if line.startswith("event: "):
                kinds.append(line[7:])
            if "resync" in kinds:
                break
        assert "resync" in kinds
    wait_until(lambda: central.hub.subscribers == 0, timeout=30, what="the closed stream to be dropped")


def _transcribed(call_id):
    from .dashboard_helpers import transcribed
    return transcribed(call_id, "x")


def test_too_many_screens_get_503_not_a_stall(central, monkeypatch):
    desk = token(central, "desk4", "desk", [SITE])
    monkeypatch.setattr(central.hub, "max_subscribers", 1)
    with live_stream(central, desk):
        wait_until(lambda: central.hub.subscribers == 1, what="the first stream")
        r = httpx.get(f"{central.url}/api/v1/dashboard/live", headers={"Authorization": f"Bearer {desk}"})
        assert r.status_code == 503
