#!/usr/bin/env python3
"""Benchmark the event spine: edge journal -> Mosquitto -> central commit -> ack -> outbox cleared.

Measured in one run, against one private broker on the fleet's generated configuration (TLS,
client certificates, the per-device ACL; "tls": true), as a site runs it:
  raw_qos1_per_s     the ceiling: plain paho QoS 1 publishes/s (300-byte payloads, pipelined) over
                     the same TLS listener, by an enrolled device (`bench-raw`) on its own events
                     topic before central subscribes, so none of it reaches central
  e2e_events_per_s   events/s through the whole spine (edge agent here, central its own process)
  p50_ms / p99_ms    end-to-end latency at a steady 500 events/s (edge commit -> central's ack for
                     that event reaches the agent's ack thread)
  lost / duplicates  events journaled but not at central / rows at central repeating an edge seq

    python bench/sync.py [--events 50000] [--backend sqlite|postgresql] [--json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from frontdesk import topics
from frontdesk.schema.system import DeskNote
from tests.spine.harness import (
    SITE,
    AckClock,
    SpineFleet,
    broker_and_database,
    central_and_agent,
    record_notes,
    tls_client,
    wait_until,
)

RAW_DEVICE = "bench-raw"


def raw_qos1(fleet: SpineFleet, n: int = 30000, size: int = 300) -> float:
    """QoS 1 publishes/s of one pipelined paho client with an enrolled device's certificate, on the
    one topic the ACL lets it publish on; every one must be accepted (a refused one counts as none)."""
    client, cfg = tls_client(fleet.device_mqtt(RAW_DEVICE))
    client.max_inflight_messages_set(100)
    done = threading.Event()
    acked, refused = [0], [0]

    def on_publish(c, u, mid, rc, props):
        acked[0] += 1
        refused[0] += rc.is_failure
        if acked[0] == n:
            done.set()

    client.on_publish = on_publish
    client.connect(cfg.host, cfg.port)
    client.loop_start()
    payload = b"x" * size
    topic = topics.topic(SITE, RAW_DEVICE, topics.EVENTS)
    start = time.perf_counter()
    for _ in range(n):
        client.publish(topic, payload, qos=1)
    done.wait(120)
    elapsed = time.perf_counter() - start
    client.loop_stop()
    client.disconnect()
    if acked[0] < n or refused[0]:
        raise SystemExit(f"raw publishes: {acked[0]} of {n} acknowledged, {refused[0]} refused by the broker")
    return n / elapsed


def e2e_throughput(journal, store, n: int) -> float:
    start = time.perf_counter()
    before = store.count_events(site=SITE)
    record_notes(journal, n, chunk=500, prefix="throughput " + "x" * 200)
    wait_until(lambda: journal.backlog() == 0, 300, interval=0.01, what="outbox cleared")
    elapsed = time.perf_counter() - start
    assert store.count_events(site=SITE) - before >= n
    return n / elapsed


def latency(journal, rate: int = 500, seconds: float = 10.0) -> list[float]:
    committed: dict[str, float] = {}
    acked = AckClock(journal).acked
    interval = 1.0 / rate
    start = time.perf_counter()
    total = int(rate * seconds)
    for k in range(total):
        target = start + k * interval
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        event = journal.record(DeskNote(text=f"steady {k} " + "y" * 200))
        committed[event.id] = time.perf_counter()
    wait_until(lambda: all(i in acked for i in committed), 60, what="acks for the steady stream")
    return [(acked[i] - t) * 1000 for i, t in committed.items()]


def audit(journal, store) -> tuple[int, int]:
    from frontdesk.central.tables import events

    edge_ids = {e["id"] for e in journal.events(0, 10**9)}
    central_ids = set(store.event_ids(SITE, "edge-1"))
    with store.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(events).where(events.c.device == "edge-1")).scalar_one()
        seqs = conn.execute(select(func.count(func.distinct(events.c.seq)))
                            .where(events.c.device == "edge-1")).scalar_one()
    return len(edge_ids - central_ids), rows - seqs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=50000)
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="frontdesk-bench-sync-"))
    with broker_and_database(root, args.backend) as (fleet, url):
        raw = raw_qos1(fleet)  # before central subscribes: nothing of it is queued for central
        with central_and_agent(root, fleet, url) as (central, edge):
            journal, store = edge.journal, central.store()
            e2e = e2e_throughput(journal, store, args.events)
            lat = sorted(latency(journal))
            lost, dups = audit(journal, store)
    result = {
        "backend": args.backend,
        "tls": True,
        "events": args.events,
        "e2e_events_per_s": round(e2e),
        "raw_qos1_per_s": round(raw),
        "ratio": round(e2e / raw, 3),
        "p50_ms": round(statistics.median(lat), 1),
        "p99_ms": round(lat[int(len(lat) * 0.99) - 1], 1),
        "latency_rate_per_s": 500,
        "lost": lost,
        "duplicates": dups,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{'measure':<22}{'value':>12}   target")
        for key, target in (("e2e_events_per_s", ">= 5000"), ("raw_qos1_per_s", "(ceiling)"), ("ratio", ">= 0.2"),
                            ("p50_ms", ""), ("p99_ms", "< 250 at 500/s"), ("lost", "0"), ("duplicates", "0")):
            print(f"{key:<22}{result[key]:>12}   {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
