"""Desk phone line benchmark: many emulated calls through the real agent, in scaled time.

Each worker process runs one line: a modem emulator on a pseudo-terminal, the phone service and
a journal in a temporary directory. Calls mix cadences (na/cn/uk), caller-ID formats and
positions (before ring 1, between rings 1 and 2, none, private/out of area, non-ASCII names,
RING inside the block), local handset pick-ups, callers giving up, hang-ups during the greeting
and during the message, and messages ending by loop break, busy tone and silence.

    python bench/phone.py [--calls 1000] [--workers 2] [--scale 0.05] [--json]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import sys
import tempfile
import time
from pathlib import Path


def _wav(path: Path, audio: bytes) -> Path:
    from frontdesk.drivers.audio.wavfile import write_wav
    write_wav(path, audio, rate=8000, codec="u8")
    return path


NAMES = ["ZHANG SAN", "王小明", "LI", None, "Ａｌｉｃｅ", "物业 3-2"]


def make_spec(rng: random.Random, i: int):
    from frontdesk.drivers.modem.emulator import CallSpec
    from frontdesk.drivers.modem.emulator.scenario import tone

    cad = rng.choice(["na", "cn", "uk"])
    fmt = rng.choices(["formatted", "sdmf", "mdmf", "none"], [5, 2, 2, 1])[0]
    absent = None
    number = rng.choice(["138", "139", "186"]) + f"{rng.randrange(10**8):08d}"
    if fmt != "none" and rng.random() < 0.1:
        absent, number = rng.choice(["P", "O"]), None
    pos = "before" if (cad == "uk" and rng.random() < 0.7) or rng.random() < 0.1 else "between"
    spec = CallSpec(cadence=cad, number=number if fmt != "none" else None, absent=absent,
                    name=rng.choice(NAMES) if fmt in ("formatted", "mdmf") else None,
                    cid_format=fmt, cid_position=pos if fmt != "none" else "none",
                    ring_in_block=fmt == "formatted" and pos == "between" and rng.random() < 0.1,
                    message=tone(rng.uniform(0.3, 1.5), rng.uniform(200, 900), seed=i),
                    end=rng.choices(["l", "b", "silence"], [6, 2, 2])[0], trailing_silence_s=0.5)
    roll = rng.random()
    if roll < 0.10:
        spec.handset_at_ring = rng.choice([1, 2])
    elif roll < 0.15:
        spec.rings_max = rng.choice([1, 2])
    elif roll < 0.25:
        spec.hangup_after_s = rng.uniform(0.05, 0.4)  # during the greeting
    return spec


def run_line(args: tuple[int, int, float, str]) -> dict:
    worker, calls, scale, family = args
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from frontdesk.drivers.audio.wavfile import read_recording
    from frontdesk.drivers.modem.callerid import normalise
    from frontdesk.drivers.modem.emulator import ModemEmulator
    from frontdesk.drivers.modem.emulator.scenario import tone
    from frontdesk.edge.commands import CommandHandlers
    from frontdesk.edge.journal import Journal
    from frontdesk.edge.phone.config import PhoneConfig
    from frontdesk.edge.phone.service import PhoneService
    from frontdesk.edge.services import EdgeContext

    rng = random.Random(1000 + worker)
    out = {"calls": 0, "unanswered_candidates": 0, "answered_by_3": 0, "cid_calls": 0, "cid_ok": 0,
           "offhook_ms": [], "recordings": 0, "exact": 0, "crashes": 0, "failures": []}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        emu = ModemEmulator(family, time_scale=scale, link=tmp / "ttyModem").start()
        journal = Journal(tmp / "journal.db", site="bench", device=f"line{worker}", tz="Asia/Shanghai")
        g = _wav(tmp / "g.wav", tone(0.25, 600))
        cfg = PhoneConfig(device=emu.url, time_scale=scale, greeting_zh=g, greeting_en=g,
                          after_hours_greeting_zh=None, after_hours_greeting_en=None, staffed_hours=["00:00-24:00"],
                          cadence="cn", record_max_s=30, health_check_s=30)
        ctx = EdgeContext(journal=journal, site="bench", device=f"line{worker}", tz="Asia/Shanghai", country="cn",
                          data_dir=tmp / "data")
        services = {}
        try:
            for i in range(calls):
                spec = make_spec(rng, worker * 100000 + i)
                # One service per cadence, as a site is configured for its own exchange.
                svc = services.get(spec.cadence)
                if svc is None:
                    for other in services.values():
                        other.stop()
                    services.clear()
                    ctx.commands = CommandHandlers()
                    svc = services[spec.cadence] = PhoneService(cfg.model_copy(update={"cadence": spec.cadence}), ctx)
                    svc.start()
                    deadline = time.monotonic() + 10
                    while svc.modem.identity is None and time.monotonic() < deadline:
                        time.sleep(0.01)
                before = len([e for e in journal.events(limit=10**6) if e["type"] == "call.ended"])
                last_seq = journal.last_seq()
                rec = emu.place_call(spec)
                deadline = time.monotonic() + 60 * max(scale, 0.02) * 20
                ended = None
                while time.monotonic() < deadline:
                    evs = journal.events(after_seq=last_seq, limit=10**6)
                    if any(e["type"] == "call.ended" for e in evs) and rec.done.is_set():
                        ended = evs
                        break
                    time.sleep(0.01)
                out["calls"] += 1
                if ended is None:
                    out["failures"].append(f"call {i}: no call.ended (before={before})")
                    continue
                by_type: dict[str, list[dict]] = {}
                for e in ended:
                    by_type.setdefault(e["type"], []).append(e["payload"])
                if not rec.handset and rec.spec.rings_max >= 3:
                    out["unanswered_candidates"] += 1
                    if rec.answered_at_ring is not None and 1 <= rec.answered_at_ring <= 3:
                        out["answered_by_3"] += 1
                    else:
                        rings = [(e['type'], e['payload'].get('ring') or e['payload'].get('rings')) for e in ended]
                        out["failures"].append(f"call {i}: answered at {rec.answered_at_ring} ({spec.cadence}) "
                                               f"{rings}")
                if rec.cid_sent and (rec.answered_at_ring is None or rec.answered_at_ring >= 2
                                     or spec.cid_position == "before"):
                    out["cid_calls"] += 1
                    payload = (by_type.get("call.ended") or [{}])[-1]
                    want_num = normalise(spec.number, "cn")
                    want_absent = {"P": "private", "O": "unavailable"}.get(spec.absent or "")
                    if payload.get("number") == want_num and payload.get("number_absent_reason") == want_absent:
                        out["cid_ok"] += 1
                    else:
                        out["failures"].append(f"call {i}: caller id {payload.get('number')} != {want_num}")
                for a in by_type.get("call.answered", []):
                    if a["by"] == "agent" and a["ms_from_ring"] is not None and a["ring"] >= 2:
                        out["offhook_ms"].append(a["ms_from_ring"])
                for m in by_type.get("call.message_recorded", []):
                    out["recordings"] += 1
                    if read_recording(Path(m["path"])).data == bytes(rec.source):
                        out["exact"] += 1
                    else:
                        out["failures"].append(f"call {i}: recording differs")
                for svc_ in services.values():
                    if not svc_._thread.is_alive():
                        out["crashes"] += 1
            for svc_ in services.values():
                out["crashes"] += svc_.stats["errors"]
        except Exception as err:  # a crash of the harness or the agent counts, with its reason
            out["crashes"] += 1
            out["failures"].append(repr(err))
        finally:
            for svc_ in services.values():
                svc_.stop()
            emu.stop()
            journal.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    per = [args.calls // args.workers + (1 if w < args.calls % args.workers else 0) for w in range(args.workers)]
    started = time.monotonic()
    jobs = [(w, n, args.scale, ["usr5637", "cx93001"][w % 2]) for w, n in enumerate(per)]
    with mp.get_context("spawn").Pool(args.workers) as pool:
        parts = pool.map(run_line, jobs)
    wall = time.monotonic() - started
    tot: dict = {"offhook_ms": [], "failures": []}
    for p in parts:
        for k, v in p.items():
            tot[k] = tot.get(k, 0) + v if not isinstance(v, list) else tot.get(k, []) + v
    ms = sorted(tot["offhook_ms"])
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))] if ms else None
    pct = lambda a, b: round(100.0 * a / b, 2) if b else 100.0  # noqa: E731
    result = {"calls": tot["calls"],
              "answered_by_ring3_pct": pct(tot["answered_by_3"], tot["unanswered_candidates"]),
              "cid_captured_pct": pct(tot["cid_ok"], tot["cid_calls"]),
              "ring_to_offhook_p99_ms": p99,
              "recordings_byte_exact_pct": pct(tot["exact"], tot["recordings"]),
              "crashes": tot["crashes"]}
    if args.json:
        print(json.dumps(result))
        for f in tot["failures"][:20]:  # details for a human, off the JSON stream
            print("failure:", f, file=sys.stderr)
        return 0
    print(f"{'metric':32} {'value':>10}")
    for k, v in result.items():
        print(f"{k:32} {v!s:>10}")
    rows = [("ring_to_offhook_p50_ms", ms[len(ms) // 2] if ms else None),
            ("calls nobody else picked up", tot["unanswered_candidates"]), ("calls with caller ID", tot["cid_calls"]),
            ("recordings", tot["recordings"]), ("time scale", args.scale), ("wall seconds", round(wall, 1))]
    for k, v in rows:
        print(f"{k:32} {v!s:>10}")
    for f in tot["failures"][:20]:
        print("  failure:", f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
