#!/usr/bin/env python3
"""Benchmark ingest under attack: a bad-input corpus on the site's topics while 500 events/s flow.

One private broker on the fleet's generated configuration (TLS, client certificates, the
per-device ACL; "tls": true), central as its own process (`frontdesk central run`, default
quarantine quota), the edge agent (edge-1) in this process journaling a steady stream, and two
attackers for the whole run, each publishing only where the broker lets it: a compromised device
of the site (`evil-1`, enrolled like any other) sends the corpus below round and round on its own
events topic, which central ingests next to edge-1's; a holder of central's rights (a stolen
central credential or a compromised broker) sends a little junk on edge-1's acks and commands
topics. Reported:
  attacks              bad messages published on evil-1's events topic
  edge_attacks         bad messages published on edge-1's acks and commands topics
  quarantined          rejects central counted for evil-1 (stored, or sampled past the quota)
  quarantine_kept      of which bodies kept in the quarantine table
  alarms               quarantine.flooded events central wrote
  valid_events         events edge-1 journaled during the run
  stored_once          of which at central exactly once
  lost / duplicates    journaled but not at central / rows at central repeating an edge seq
  ingest_stall_max_s   longest time from an edge commit to central's ack for it reaching the
                       agent's ack thread (any stall of ingest shows here); p50_ms / p99_ms of the same
  thread_restarts      uplink threads the watchdog had to restart (0: none died)

    python bench/attack.py [--seconds 20] [--rate 500] [--backend sqlite|postgresql] [--json]
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from frontdesk import topics
from frontdesk.ids import new_id
from frontdesk.schema import MAX_BATCH_BYTES, encode_batch, make_event
from frontdesk.schema.system import DeskNote, QuarantineFlooded, UplinkThreadRestarted
from tests.spine.harness import (
    SITE,
    AckClock,
    RawClient,
    SpineFleet,
    broker_and_database,
    central_and_agent,
    wait_until,
)

DEVICE = "edge-1"
EVIL = "evil-1"


def _event(**changes: Any) -> dict[str, Any]:
    wire = make_event(DeskNote(text="attack"), site=SITE, device=EVIL, seq=10**12, tz="Asia/Shanghai").to_wire()
    return {**wire, "id": new_id(), **changes}


def event_corpus(stored_ids: list[str]) -> list[tuple[str, bytes]]:
    """(name, payload) for evil-1's events topic: every way found to break ingest, and then some
    (`stored_ids`: edge-1's, which the attacker sends as its own)."""
    batch = encode_batch
    corpus = [
        ("deep-json", b'{"v":1,"items":[' + b"[" * 200_000 + b"]" * 200_000 + b"]}"),
        ("deep-object", b'{"v":1,"items":[' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"]}"),
        ("year-9999-0500", batch([_event(occurred_at="9999-12-31T23:00:00-05:00")])),
        ("year-0001+1400", batch([_event(occurred_at="0001-01-01T00:00:00+14:00")])),
        ("naive-date", batch([_event(occurred_at="2024-01-01T00:00:00")])),
        ("huge-int", b'{"v":1,"items":[' + b"9" * 100_000 + b"]}"),
        ("huge-seq", batch([_event(seq=2**64)])),
        ("nan", b'{"v":1,"items":[{"seq":NaN}]}'),
        ("overflow-float", b'{"v":1,"items":[{"seq":1e999}]}'),
        ("not-utf8", b'{"v":1,"items":["\xff\xfe"]}'),
        ("lone-surrogate", b'{"v":1,"items":[' + json.dumps(_event(payload={"text": "\ud800"})).encode() + b"]}"),
        ("nul-in-text", batch([_event(payload={"text": "a\x00b"})])),
        ("wrong-types", batch([_event(**{f: [1, {"x": None}]}) for f in
                               ("type", "schema_version", "site", "device", "seq", "occurred_at", "tz", "payload")])),
        ("extra-field", batch([_event(by="manager")])),
        ("other-identity", batch([_event(site="evil-site", device="kiosk-9")])),
        ("unknown-type", batch([_event(type="ticket.closed")])),
        ("bad-payload", batch([_event(payload={"text": 5})])),
        ("wide", batch([0] * 20_000)),
        ("duplicate-ids", batch([_event(id=i, seq=-1) for i in stored_ids[:50]] * 2)),
        ("mixed", batch([_event(tz="Mars/Olympus"), [], "x", None, _event(seq=0)])),
        ("oversized", b" " * (MAX_BATCH_BYTES + 1)),
        ("not-a-batch", b'{"v":2,"items":[]}'),
        ("garbage", bytes(range(256)) * 4),
        ("empty", b""),
    ]
    return corpus


def edge_corpus() -> list[tuple[str, bytes]]:
    """(channel, payload) for the edge's acks and commands topics."""
    return [
        (topics.ACKS, b"[" * 100_000),
        (topics.ACKS, b'{"ids":' + b"9" * 10_000 + b"}"),
        (topics.ACKS, b'{"ids":"all","quarantined":{"x":1}}'),
        (topics.ACKS, json.dumps({"quarantined": [new_id() for _ in range(100)]}).encode()),
        (topics.COMMANDS, b"{" * 100_000),
        (topics.COMMANDS, json.dumps({"id": "x" * 100_000, "type": "a.b"}).encode()),
        (topics.COMMANDS, json.dumps({"id": new_id(), "type": "settings.update", "schema_version": 1, "site": SITE,
                                      "device": DEVICE, "issued_at": "9999-12-31T23:00:00-05:00",
                                      "payload": {"values": {"k": 10**400}}}).encode()),
        (topics.COMMANDS, b"\xff" * 64),
    ]


class Steady:
    """The edge's steady stream: `rate` events/s journaled, central's acks timed as the agent takes them."""

    def __init__(self, journal, rate: int) -> None:
        self.journal, self.rate = journal, rate
        self.committed: dict[str, float] = {}
        self.acked = AckClock(journal).acked

    def run(self, seconds: float, stop: threading.Event) -> None:
        start = time.perf_counter()
        for k in range(int(self.rate * seconds)):
            delay = start + k / self.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            event = self.journal.record(DeskNote(text=f"steady {k} " + "y" * 200))
            self.committed[event.id] = time.perf_counter()
        stop.set()


def attack(fleet: SpineFleet, corpus: list[tuple[str, bytes]], extra: list[tuple[str, bytes]],
           stop: threading.Event, rate: float, counts: dict[str, int]) -> None:
    """evil-1 publishes the corpus on its events topic; every fifth time the holder of central's
    rights publishes junk on edge-1's acks or commands topic. Each publish must be accepted."""
    device = RawClient(fleet.device_mqtt(EVIL), timeout=30)
    stand_in = RawClient(fleet.stand_in_mqtt(), timeout=30)
    events_topic = topics.topic(SITE, EVIL, topics.EVENTS)
    try:
        for k, (_, payload) in enumerate(itertools.cycle(corpus)):
            if stop.wait(1.0 / rate):
                break
            device.publish(events_topic, payload)
            counts["attacks"] += 1
            if k % 5 == 0:
                channel, junk = extra[(k // 5) % len(extra)]
                stand_in.publish(topics.topic(SITE, DEVICE, channel), junk)
                counts["edge_attacks"] += 1
    finally:
        device.close()
        stand_in.close()


def audit(journal, store, ids: list[str]) -> tuple[int, int, int]:
    from frontdesk.central.tables import events

    central = Counter(store.event_ids(SITE, DEVICE))
    once = sum(1 for i in set(ids) if central[i] == 1)
    with store.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(events).where(events.c.device == DEVICE)).scalar_one()
        seqs = conn.execute(select(func.count(func.distinct(events.c.seq)))
                            .where(events.c.device == DEVICE)).scalar_one()
    return once, len(set(ids) - set(central)), rows - seqs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--rate", type=int, default=500, help="valid events per second")
    ap.add_argument("--attack-rate", type=float, default=20.0, help="bad messages per second")
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="frontdesk-bench-attack-"))
    counts = {"attacks": 0, "edge_attacks": 0}
    with broker_and_database(root, args.backend) as (fleet, url), \
            central_and_agent(root, fleet, url) as (central, edge):
        journal, store = edge.journal, central.store()
        corpus = event_corpus(store.event_ids(SITE, DEVICE))
        steady = Steady(journal, args.rate)
        # Both attackers get their certificates before the clock starts (enrolling reloads the broker).
        fleet.device_mqtt(EVIL)
        fleet.stand_in_mqtt()
        stop = threading.Event()
        attacker = threading.Thread(target=attack, args=(fleet, corpus, edge_corpus(), stop,
                                                         args.attack_rate, counts), daemon=True)
        attacker.start()
        steady.run(args.seconds, stop)
        attacker.join(60)
        ids = list(steady.committed)
        wait_until(lambda: all(i in steady.acked for i in ids), 120, what="acks for the steady stream")
        lat = sorted(steady.acked[i] - t for i, t in steady.committed.items())
        once, lost, dups = audit(journal, store, ids)
        state = store.quarantine_state(SITE, EVIL) or {"total": 0, "kept": 0}
        kept = len(store.list_quarantine(limit=10**7))
        alarms = len(store.list_events(site=SITE, type_=QuarantineFlooded.TYPE, limit=10**6))
        restarts = sum(1 for e in journal.events(0, 10**9) if e["type"] == UplinkThreadRestarted.TYPE)
    result = {
        "backend": args.backend,
        "tls": True,
        "seconds": args.seconds,
        "rate_per_s": args.rate,
        "corpus": len(corpus),
        "attacks": counts["attacks"],
        "edge_attacks": counts["edge_attacks"],
        "quarantined": state["total"],
        "quarantine_kept": kept,
        "alarms": alarms,
        "valid_events": len(ids),
        "stored_once": once,
        "lost": lost,
        "duplicates": dups,
        "ingest_stall_max_s": round(lat[-1], 3),
        "p50_ms": round(statistics.median(lat) * 1000, 1),
        "p99_ms": round(lat[int(len(lat) * 0.99) - 1] * 1000, 1),
        "thread_restarts": restarts,
    }
    if args.json:
        print(json.dumps(result))
    else:
        targets = {"lost": "0", "duplicates": "0", "ingest_stall_max_s": "< 1", "thread_restarts": "0"}
        print(f"{'measure':<22}{'value':>12}   target")
        for key, value in result.items():
            print(f"{key:<22}{value!s:>12}   {targets.get(key, '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
