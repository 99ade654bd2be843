"""`frontdesk phone ...`: tools for people who run a real modem (and the emulator)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from .families import EMULATED, FAMILIES


def register(subparsers: Any) -> None:
    """Add the `phone` command (parse-cid, probe, emulate) to the top-level argparse subparsers."""
    phone = subparsers.add_parser("phone", help="desk phone line: voice modem tools")
    sub = phone.add_subparsers(dest="phone_command", metavar="SUBCOMMAND")

    p = sub.add_parser("parse-cid", help="print the caller-ID blocks in a capture of modem output (JSON lines)")
    p.add_argument("file", nargs="?", help="raw capture (default: standard input)")
    p.set_defaults(func=cmd_parse_cid)

    p = sub.add_parser("probe", help="initialise a modem and report its family, caller-ID and voice support")
    p.add_argument("device", help="modem URL: serial:/dev/ttyACM0, rfc2217://HOST:PORT or socket://HOST:PORT")
    p.add_argument("--country", default="cn", help="two-letter country code for AT+GCI (default cn)")
    p.add_argument("--family", choices=sorted(FAMILIES), help="skip detection")
    p.add_argument("--baudrate", type=int, default=115200)
    p.set_defaults(func=cmd_probe)

    p = sub.add_parser("emulate", help="run an emulated voice modem on a pseudo-terminal")
    p.add_argument("--family", choices=sorted(EMULATED), default="usr5637")
    p.add_argument("--link", help="also make this symlink to the pty (a stable device name)")
    p.add_argument("--time-scale", type=float, default=None, help="1.0 = real time; 0.1 = ten times faster")
    p.add_argument("--scenario", help="TOML or JSON scenario file (calls and faults)")
    p.add_argument("--call", action="append", default=[], metavar="NUMBER",
                   help="place a call from NUMBER after 2 s (repeatable; 'none' for no caller ID)")
    p.add_argument("--cadence", default="cn")
    p.add_argument("--exit-when-done", action="store_true", help="exit once every call has ended")
    p.set_defaults(func=cmd_emulate)
    phone.set_defaults(func=lambda args: (phone.print_help(), 2)[1])


def cmd_parse_cid(args: argparse.Namespace) -> int:
    """`phone parse-cid`: print each caller-ID block of a capture file (or stdin) as a JSON line;
    exit code 1 when the file cannot be read."""
    from .callerid import parse_capture

    try:
        data = Path(args.file).read_bytes() if args.file else sys.stdin.buffer.read()
    except OSError as err:
        print(f"frontdesk phone parse-cid: {err}", file=sys.stderr)
        return 1
    for block in parse_capture(data):
        out = block.to_json()
        print(json.dumps({k: out[k] for k in ("number", "name", "number_absent_reason", "name_absent_reason",
                                               "date", "time", "mesg", "format", "raw", "error")},
                         ensure_ascii=False))
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    """`phone probe`: initialise the modem and print its identity as JSON; exit code 0 only when it
    has voice codecs and a caller-ID command, 1 on a modem error, 2 on a bad URL."""
    from ..device import DeviceURLError
    from .modem import ModemError, open_modem

    try:
        modem = open_modem(args.device, do_not_open=True, family=args.family, country=args.country,
                           baudrate=args.baudrate)
    except DeviceURLError as err:
        print(f"frontdesk phone probe: {err}", file=sys.stderr)
        return 2
    try:
        modem.open()
        ident = modem.initialise(idle_voice=False)
        report = ident.to_json()
        report["device"] = args.device
        report["pcm_u8_codec_id"] = modem.codec_id() if ident.codecs else None
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0 if ident.codecs and ident.caller_id_command else 1
    except ModemError as err:
        print(f"frontdesk phone probe: {args.device}: {err}", file=sys.stderr)
        return 1
    finally:
        modem.close()


def cmd_emulate(args: argparse.Namespace) -> int:
    """`phone emulate`: run an emulated modem on a pty with the scenario's calls and faults (and
    --call ones) until Ctrl-C or, with --exit-when-done, until every call ended; prints one JSON line per call."""
    from .emulator import CallSpec, ModemEmulator
    from .emulator.scenario import ScenarioError, load_scenario, tone

    scenario = {"family": args.family, "time_scale": 1.0, "calls": [], "faults": []}
    if args.scenario:
        try:
            scenario = load_scenario(args.scenario)
        except ScenarioError as err:
            print(f"frontdesk phone emulate: {err}", file=sys.stderr)
            return 2
    scale = args.time_scale if args.time_scale is not None else scenario["time_scale"]
    family = scenario["family"] if args.scenario else args.family
    emu = ModemEmulator(family, time_scale=scale, link=args.link)
    emu.start()
    print(json.dumps({"device": emu.device, "url": emu.url, "pty": emu.slave_path, "family": family,
                      "time_scale": scale}),
          flush=True)
    records = []
    for at, spec in scenario["calls"]:
        records.append(emu.place_call(spec, at))
    for i, number in enumerate(args.call):
        spec = CallSpec(cadence=args.cadence, number=None if number == "none" else number,
                        cid_format="none" if number == "none" else "formatted", message=tone(3.0))
        records.append(emu.place_call(spec, 2.0 + i * 60))
    for f in scenario["faults"]:
        kind = f["kind"]
        action: dict[str, Callable[[], None]] = {
            "wedge": partial(emu.wedge, f.get("until", "reopen")), "unplug": emu.unplug, "replug": emu.replug,
            "garbage": partial(emu.send_garbage, f.get("data", b""))}
        emu._at(float(f.get("at", 0)), action[kind])
    try:
        while True:
            time.sleep(0.2)
            if args.exit_when_done and records and all(r.done.is_set() for r in records):
                break
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    for r in records:
        print(json.dumps({"number": r.spec.number, "rings": r.rings, "answered_at_ring": r.answered_at_ring,
                          "handset": r.handset, "abandoned": r.abandoned, "message_bytes": len(r.source),
                          "played_bytes": len(r.played)}), flush=True)
    return 0
