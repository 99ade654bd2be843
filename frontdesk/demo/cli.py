"""`frontdesk demo [--tour] [--seconds S] [--dir DIR]`."""
from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from .system import SITE, DemoSystem


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `demo` command to the top-level argparse subparsers."""
    demo = sub.add_parser("demo", help="run broker, central, printers and three edges on this machine")
    demo.add_argument("--dir", default="var/demo", help="where the demo keeps its files (default var/demo)")
    demo.add_argument("--seconds", type=float, default=None,
                      help="stop after this long (default: until Ctrl-C; with --tour: stop after the tour)")
    demo.add_argument("--tour", action="store_true",
                      help="walk a visitor, a guard and a caller through the system and check each step")
    demo.set_defaults(func=_demo)


def _banner(system: DemoSystem) -> str:
    b, samples = system.broker, system.samples
    assert b is not None and samples is not None, "the banner is for a started demo"
    bundles, ca = system.bundle_file("<device>"), system.fleet_ca
    lobby, gate = system.edges["lobby-1"], system.edges["gate-1"]
    lobby_camera = lobby.camera_dir(system.root)
    return f"""
frontdesk demo is running  (files in {system.root})

  broker      mosquitto on {b.host}:{b.port}, TLS only, a fleet certificate per client
              log: {b.data_dir / 'mosquitto.log'}
  central     {system.api}/dashboard/  (desk dashboard: log in as desk / {system.password('desk')})
              {system.api}/dashboard/tech  (technician's phone: tech / {system.password('tech')})
              {system.api}/r/{SITE}  (residents: a code from the desk home's 住户 panel)
              {system.api}/docs  (API)           store: {system.root / 'central' / 'central.db'}
  desk-1      work-order printer tcp://127.0.0.1:{system.printers['desk']}   slips: {system.slips_dir('desk')}
  lobby-1     kiosk screen http://127.0.0.1:{lobby.screen_port}/kiosk     camera: folder:{lobby_camera}
              badge printer tcp://127.0.0.1:{system.printers['lobby']}   slips: {system.slips_dir('lobby')}
  gate-1      gate screen  http://127.0.0.1:{gate.screen_port}/gate      camera: folder:{gate.camera_dir(system.root)}

  the fleet, as central provisions a site (generated on the fly)
    fleet CA          {ca}
    broker config     {b.config}   (with frontdesk.acl and crl.pem)
    bundles           {bundles}
    installed         {system.device_dir('<device>')}/   (edge.toml, tls/ from the bundle)
    devices           frontdesk central device list -c {system.central_toml}

  try:
    a visitor pass:      copy {samples.folder}/pass-*.png into {lobby.camera_dir(system.root)}/
                         (make another: frontdesk passes issue --key {samples.key_file} --site {SITE} \\
                           --unit 3-1202 --name "李四" --png pass.png)
    a staff card:        copy {samples.folder}/card-STAFF-0007.png into {gate.camera_dir(system.root)}/
    a stranger knocks:   mosquitto_sub -h {b.host} -p {b.port} --cafile {ca} -t 'frontdesk/v1/#' -v
                         (turned away without a fleet certificate; plain MQTT gets no answer at all)
    list events:         curl -s -H 'Authorization: Bearer {system.token}' '{system.api}/api/v1/events?limit=20'
    a desk note:         frontdesk edge note -c {system.edge_toml('desk-1')} "3-201 厨房漏水" --unit 3-201
    command states:      frontdesk central commands -c {system.central_toml}
"""


def _say(line: str) -> None:
    print(line, flush=True)


def _tour(system: DemoSystem) -> int:
    """Knock on the broker as strangers, then walk the tour; returns how many checks failed."""
    from .brokercheck import stranger_steps
    from .tour import run_tour

    assert system.broker
    _say("demo: the broker is the production one (TLS, a fleet certificate per client)")
    checks = stranger_steps(system.broker.host, system.broker.port, system.fleet_ca, _say)
    steps = run_tour(system, _say)
    failed = sum(not s.ok for s in steps)
    _say(f"tour: {len(steps) - failed} of {len(steps)} steps seen in the central store")
    return failed + sum(not c.ok for c in checks)


def _demo(args: argparse.Namespace) -> int:
    system = DemoSystem(Path(args.dir).resolve())
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    try:
        system.start()
        assert system.samples
        system.samples.visitor_pass()  # one ready to try by hand
        system.samples.card("STAFF-0007")
        print(_banner(system), flush=True)
        failed = _tour(system) if args.tour else 0
        seconds = args.seconds if args.seconds is not None else (0 if args.tour else None)
        if seconds != 0:
            print("Ctrl-C stops everything." if seconds is None else f"running for {seconds:.0f} s", flush=True)
        deadline = None if seconds is None else time.monotonic() + seconds
        while not stop["now"] and (deadline is None or time.monotonic() < deadline):
            dead = system.dead()
            if dead:
                print(f"{', '.join(dead)} exited; see the logs in {system.root}", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 1 if failed else 0
    except KeyboardInterrupt:
        return 0
    finally:
        system.stop()
        print("demo stopped", flush=True)
