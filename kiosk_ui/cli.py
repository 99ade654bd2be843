"""`frontdesk kiosk serve`: the kiosk or gate-post screen on its own, without the edge agent.

Runs the screens with the access service from the same edge TOML file (camera, card readers,
keys), journaling into the edge's journal; the agent ships those events to central when it runs.
Use it to set up a post's screen and camera, or on a post whose agent is not up yet. The agent
itself serves the screens when its file has a [kiosk] section: do not run both against one camera.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from frontdesk.config import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    """Add `frontdesk kiosk serve` to the command line."""
    kiosk = sub.add_parser("kiosk", help="the lobby kiosk and gate-post screens").add_subparsers(
        dest="kiosk_command", metavar="ACTION")
    serve = kiosk.add_parser("serve", help="serve the screen (and run the access service) without the agent")
    serve.add_argument("-c", "--config", required=True, help="edge TOML file ([site], [edge], [access], [kiosk])")
    serve.add_argument("--role", choices=["kiosk", "gate"], help="override [kiosk] role")
    serve.add_argument("--language", choices=["zh-Hans", "en"], help="override [kiosk] language")
    serve.add_argument("--host", help="override [kiosk] host")
    serve.add_argument("--port", type=int, help="override [kiosk] port")
    serve.add_argument("--no-access", action="store_true",
                       help="do not run the access service (screens load but cannot scan or register)")
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from frontdesk.edge.config import load_edge
    from frontdesk.edge.journal import Journal
    from frontdesk.edge.services import EdgeContext, _resolve

    from .config import KioskConfig
    from .service import KioskService

    cfg = load_edge(args.config)
    base = getattr(cfg, "kiosk", None) or KioskConfig()
    overrides = {k: v for k, v in (("role", args.role), ("language", args.language), ("host", args.host),
                                   ("port", args.port)) if v is not None}
    try:
        kiosk_cfg = KioskConfig.model_validate({**base.model_dump(), **overrides})
    except ValueError as err:
        raise ConfigError(f"{args.config}: kiosk: {err}") from None
    journal = Journal(cfg.edge.journal_path, site=cfg.site.id, device=cfg.edge.device, tz=cfg.site.timezone)
    ctx = EdgeContext(journal=journal, site=cfg.site.id, device=cfg.edge.device, tz=cfg.site.timezone,
                      country=cfg.site.country, data_dir=cfg.edge.data_dir, site_name=cfg.site.name)
    services = []
    access_cfg = getattr(cfg, "access", None)
    if access_cfg is not None and not args.no_access:
        from frontdesk.edge.services import SERVICES
        services.append(_resolve(SERVICES["access"][1])(access_cfg, ctx))
    elif not args.no_access:
        print(f"frontdesk kiosk serve: {args.config} has no [access] section: the screen cannot scan or register",
              file=sys.stderr)
    kiosk = KioskService(kiosk_cfg, ctx)
    services.append(kiosk)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    for service in services:
        service.start()
    if kiosk.wait_ready(10):
        print(f"frontdesk kiosk serve: {kiosk_cfg.role} screen at {kiosk.url}/{kiosk_cfg.role}", flush=True)
    else:
        print(f"frontdesk kiosk serve: not listening yet: {kiosk.server.error or 'starting'}", file=sys.stderr,
              flush=True)
    done.wait()
    for service in reversed(services):
        service.stop()
    journal.close()
    return 0
