#!/usr/bin/env python3
"""Benchmark the central ticket store.

  ingest_per_s_sqlite / ingest_per_s_postgresql
        edge events/s through Store.ingest with the ticket projection running in the same
        transaction (calls: ringing, answered, transcribed -> a repair ticket, ended), in
        batches of 200 as the MQTT ingest hands them over
  api_p95_ms_sqlite / api_p95_ms_postgresql
        p95 over real HTTP (uvicorn, bearer token, desk role) of the ticket board
        (GET /api/v1/tickets?site=...) and the call register (GET /api/v1/registers/calls?site=...),
        with 1,000,000 tickets and 1,000,000 call-register lines in one site (bulk-generated
        in SQL); target <= 150 ms
  ring_to_desk_p95_ms
        an edge's call.ringing published to a real Mosquitto -> central service (MQTT ingest,
        commit) -> the dashboard's live stream (GET /api/v1/dashboard/live, Server-Sent Events)
        delivering it to a connected desk; target <= 500 ms

    python bench/central.py [--tickets 1000000] [--events 20000] [--json]
"""
from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import httpx
import uvicorn
from sqlalchemy import text

from frontdesk import topics
from frontdesk.central.api import create_app
from frontdesk.central.config import parse_central
from frontdesk.central.store import Store
from frontdesk.ids import new_id
from frontdesk.runtime.mosquitto import Mosquitto
from frontdesk.runtime.ports import free_port, wait_listening
from frontdesk.runtime.postgres import Postgres
from frontdesk.schema import encode_batch, make_event
from frontdesk.schema.call import CallAnswered, CallEnded, CallRinging
from frontdesk.schema.transcript import CallTranscribed

SITE = "bench-site"
PASSWORD = "bench password 1"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94] if len(values) >= 20 else max(values)


# -- ingest ---------------------------------------------------------------------------------------

def call_batch_events(n_events: int) -> list[list[bytes]]:
    seq, batches, batch = 0, [], []
    while seq < n_events:
        call_id = new_id()
        caller = {"call_id": call_id, "number": f"138{seq:08d}"[:11], "unit": f"{seq % 30}-{seq % 900}"}
        for payload in (CallRinging(**caller, ring=1, cadence="normal", caller_id_received=True),
                        CallAnswered(**caller, by="agent", ring=2),
                        CallTranscribed(job_id=f"j-{call_id}", text="厨房漏水 kitchen leak", outcome="text",
                                        confidence=0.9, model="bench", language="zh", audio_s=3.0, call_id=call_id,
                                        category="repair", category_basis="keywords"),
                        CallEnded(**caller, outcome="message", rings=2, reason="hangup", duration_s=20.0)):
            seq += 1
            ev = make_event(payload, site=SITE, device="desk-1", seq=seq, tz="Asia/Shanghai")
            batch.append(json.dumps(ev.to_wire(), ensure_ascii=False).encode())
            if len(batch) == 200:
                batches.append(batch)
                batch = []
    if batch:
        batches.append(batch)
    return batches


def bench_ingest(url: str, n_events: int) -> float:
    store = Store(url)
    create_app(store)  # installs the ticket projection, as the central service does
    batches = call_batch_events(n_events)
    topic = topics.topic(SITE, "desk-1", topics.EVENTS)
    start = time.perf_counter()
    total = 0
    for batch in batches:
        total += store.ingest([(topic, encode_batch(batch))]).inserted
    elapsed = time.perf_counter() - start
    store.close()
    assert total == n_events, (total, n_events)
    return n_events / elapsed


# -- bulk fill + API -------------------------------------------------------------------------------

TICKET_COLS = ("id, site, kind, state, is_open, title, unit, contact_name, contact_phone, major, owner, source, "
               "created_at, updated_at, reopen_count, paused, milestones, pauses, breaches, timers, next_due_at, "
               "next_due_timer, next_check_at, any_breach, tz, version")
CALL_COLS = "call_id, site, device, number, unit, resident_name, started_at, outcome, category, night, blocked, tz"


def fill(store: Store, n: int) -> float:
    start = time.perf_counter()
    kinds = ("CASE i % 10 WHEN 6 THEN 'complaint' WHEN 7 THEN 'inquiry' WHEN 8 THEN 'mail' WHEN 9 THEN 'visit' "
             "ELSE 'repair' END")
    with store.engine.begin() as conn:
        if store.backend == "sqlite":
            ts = "strftime('%Y-%m-%d %H:%M:%S', 'now', '-' || ({n} - i) || ' minutes') || '.000000'"
            due = ("CASE WHEN i % 50 = 0 THEN strftime('%Y-%m-%d %H:%M:%S', 'now', '+' || (i % 600) || ' minutes') "
                   "|| '.000000' END")
            gen = f"WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n}) "
            pad = lambda expr, w: f"printf('%0{w}d', {expr})"  # noqa: E731
            src = "g"
            true, false = "1", "0"
            is_open = "(i % 50 = 0)"
        else:
            ts = "now() - ({n} - i) * interval '1 minute'"
            due = "CASE WHEN i % 50 = 0 THEN now() + (i % 600) * interval '1 minute' END"
            gen = ""
            pad = lambda expr, w: f"lpad(({expr})::text, {w}, '0')"  # noqa: E731
            src = f"generate_series(1, {n}) AS g(i)"
            true, false = "true", "false"
            is_open = "(i % 50 = 0)"
        created = ts.format(n=n)
        conn.execute(text(
            f"{gen}INSERT INTO tickets ({TICKET_COLS}) SELECT 't' || {pad('i', 7)}, '{SITE}', {kinds}, "
            f"CASE WHEN i % 50 = 0 THEN 'received' ELSE 'closed' END, {is_open}, '报修 ' || i, "
            f"(i % 30) || '-' || (i % 900), '张' || (i % 1000), '138' || {pad('i', 8)}, {false}, 'desk', 'desk', "
            f"{created}, {created}, 0, {false}, '{{}}', '[]', '{{}}', '[]', {due}, "
            f"CASE WHEN i % 50 = 0 THEN 'work_order' END, {due}, {false}, 'Asia/Shanghai', 1 FROM {src}"))
        conn.execute(text(
            f"{gen}INSERT INTO calls ({CALL_COLS}) SELECT 'c' || {pad('i', 7)}, '{SITE}', 'desk-1', "
            f"'139' || {pad('i', 8)}, (i % 30) || '-' || (i % 900), '李' || (i % 1000), {created}, 'message', "
            f"'repair', CASE WHEN i % 3 = 0 THEN {true} ELSE {false} END, {false}, 'Asia/Shanghai' FROM {src}"))
    with store.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - start


class Server:
    def __init__(self, app) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        if not wait_listening("127.0.0.1", self.port, 30):
            raise RuntimeError("API server did not start")
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def bench_api(url: str, n: int, requests: int = 100) -> dict[str, float]:
    store = Store(url)
    app = create_app(store)
    app.state.accounts.add_user("bench-desk", PASSWORD, "desk", [SITE])
    fill_s = fill(store, n)
    token = app.state.accounts.login("bench-desk", PASSWORD, "token")[0]
    timings: dict[str, list[float]] = {"board": [], "calls": [], "calls_page2": []}
    with Server(app) as srv, httpx.Client(base_url=f"http://127.0.0.1:{srv.port}",
                                          headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        first = client.get("/api/v1/registers/calls", params={"site": SITE, "limit": 50}).json()
        paths = {"board": ("/api/v1/tickets", {"site": SITE, "limit": 50}),
                 "calls": ("/api/v1/registers/calls", {"site": SITE, "limit": 50}),
                 "calls_page2": ("/api/v1/registers/calls", {"site": SITE, "limit": 50,
                                                              "before": first[-1]["started_at"]})}
        for _ in range(3):
            for path, params in paths.values():
                client.get(path, params=params).raise_for_status()
        for _ in range(requests):
            for name, (path, params) in paths.items():
                t = time.perf_counter()
                r = client.get(path, params=params)
                timings[name].append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
                assert len(r.json()) == 50
    store.close()
    out = {f"{k}_p95_ms": round(p95(v), 1) for k, v in timings.items()}
    out["p95_ms"] = round(p95([x for v in timings.values() for x in v]), 1)
    out["fill_s"] = round(fill_s, 1)
    return out


# -- ring to desk ----------------------------------------------------------------------------------

def bench_ring(tmp: Path, rings: int = 60) -> dict[str, float]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from frontdesk.central.service import CentralService

    with Mosquitto(tmp / "broker") as broker:
        http_port = free_port()
        cfg = parse_central({"central": {"database_url": f"sqlite:///{tmp / 'ring' / 'central.db'}",
                                         "http_port": http_port, "client_id": "bench-central"},
                             "mqtt": {"host": "127.0.0.1", "port": broker.port}})
        service = CentralService(cfg)
        service.app.state.accounts.add_user("ring-desk", PASSWORD, "desk", [SITE])
        token = service.app.state.accounts.login("ring-desk", PASSWORD, "token")[0]
        thread = threading.Thread(target=service.run_forever, daemon=True)
        thread.start()
        wait_listening("127.0.0.1", http_port, 30)
        sent: dict[str, float] = {}
        seen: dict[str, float] = {}
        ready = threading.Event()
        stop = threading.Event()

        streams: list = []

        def listen():
            try:
                with httpx.Client(timeout=None, headers={"Authorization": f"Bearer {token}"}) as c, \
                        c.stream("GET", f"http://127.0.0.1:{http_port}/api/v1/dashboard/live",
                                 params={"site": SITE}) as r:
                    streams.append(r)
                    for line in r.iter_lines():
                        if line.startswith("event: hello") or line.startswith(": "):
                            ready.set()
                        if line.startswith("data:") and '"call.ringing"' in line:
                            item = json.loads(line[5:])
                            seen.setdefault(item["payload"]["call_id"], time.perf_counter())
                        if stop.is_set():
                            return
            except (httpx.HTTPError, RuntimeError, AttributeError):
                return  # the stream was closed from the main thread: the run is over

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        ready.wait(30)
        edge = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-edge", protocol=mqtt.MQTTv5)
        edge.connect("127.0.0.1", broker.port)
        edge.loop_start()
        time.sleep(1.0)
        topic = topics.topic(SITE, "desk-1", topics.EVENTS)
        for seq in range(1, rings + 1):
            call_id = new_id()
            ringing = CallRinging(call_id=call_id, number="13800000000", ring=1, cadence="normal",
                                  caller_id_received=True)
            ev = make_event(ringing, site=SITE, device="desk-1", seq=seq, tz="Asia/Shanghai")
            sent[call_id] = time.perf_counter()
            edge.publish(topic, encode_batch([ev.to_wire()]), qos=1)
            time.sleep(0.15)
        deadline = time.time() + 10
        while len(seen) < rings and time.time() < deadline:
            time.sleep(0.05)
        stop.set()
        for r in streams:
            r.close()  # the desk closes its live view before central stops
        listener.join(10)
        edge.loop_stop()
        edge.disconnect()
        # The live stream notices a closed browser at its next heartbeat; uvicorn cancels it on
        # shutdown and logs that as an error, which says nothing about the figures.
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
        service.server.should_exit = True
        thread.join(20)
    lat = [(seen[c] - t) * 1000 for c, t in sent.items() if c in seen]
    if not lat:
        raise RuntimeError("no ring reached the live stream")
    return {"p95_ms": round(p95(lat), 1), "p50_ms": round(statistics.median(lat), 1), "delivered": len(lat),
            "sent": rings}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out: dict[str, float] = {}
    detail: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with Postgres(tmp / "pg") as pg:
            urls = {"sqlite": lambda name: f"sqlite:///{tmp / name / 'central.db'}",
                    "postgresql": lambda name: pg.create_database(name.replace("-", "_"))}
            for backend, make in urls.items():
                out[f"ingest_per_s_{backend}"] = round(bench_ingest(make(f"ingest-{backend}"), args.events))
                api = bench_api(make(f"api-{backend}"), args.tickets)
                out[f"api_p95_ms_{backend}"] = api["p95_ms"]
                detail[backend] = api
        ring = bench_ring(tmp)
        out["ring_to_desk_p95_ms"] = ring["p95_ms"]
        detail["ring"] = ring
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"central bench: {args.tickets:,} tickets and call lines per backend, {args.events:,} ingested events")
    print(f"{'figure':28} {'value':>10}  target")
    targets = {"api_p95_ms_sqlite": "<= 150", "api_p95_ms_postgresql": "<= 150", "ring_to_desk_p95_ms": "<= 500"}
    for key, value in out.items():
        print(f"{key:28} {value:>10}  {targets.get(key, '')}")
    for backend in ("sqlite", "postgresql"):
        d = detail[backend]
        print(f"  {backend}: board p95 {d['board_p95_ms']} ms, call register p95 {d['calls_p95_ms']} ms, "
              f"page 2 p95 {d['calls_page2_p95_ms']} ms (bulk fill {d['fill_s']} s)")
    ring = detail["ring"]
    print(f"  ring -> desk: p50 {ring['p50_ms']} ms, {ring['delivered']}/{ring['sent']} delivered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
