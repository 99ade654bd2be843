"""`frontdesk central ...`: run the central store, look at commands and quarantine."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from .config import load_central


def register(sub: argparse._SubParsersAction) -> None:
    """Add `frontdesk central` (run, migrate, send, commands, quarantine, user) to the command line."""
    central = sub.add_parser("central", help="the central ticket store").add_subparsers(
        dest="central_command", metavar="ACTION")

    run = central.add_parser("run", help="run the central store, MQTT ingest and HTTP API")
    run.add_argument("-c", "--config", required=True, help="central TOML file")
    run.set_defaults(func=_run)

    migrate = central.add_parser("migrate", help="create or upgrade the database schema")
    migrate.add_argument("-c", "--config", required=True)
    migrate.set_defaults(func=_migrate)

    send = central.add_parser("send", help="store a command for an edge (sent until acknowledged)")
    send.add_argument("-c", "--config", required=True)
    send.add_argument("site")
    send.add_argument("device")
    send.add_argument("type")
    send.add_argument("payload", nargs="?", default="{}", help="JSON object")
    send.set_defaults(func=_send)

    cmds = central.add_parser("commands", help="list commands and their delivery state")
    cmds.add_argument("-c", "--config", required=True)
    cmds.add_argument("--state", choices=["pending", "delivered", "rejected"])
    cmds.set_defaults(func=_commands)

    quar = central.add_parser("quarantine", help="list what ingest could not accept, with reasons")
    quar.add_argument("-c", "--config", required=True)
    quar.set_defaults(func=_quarantine)

    from .auth.cli import register as register_users
    register_users(central)  # frontdesk central user add|list|passwd|disable


def _store(args):
    from .store import Store
    return Store(load_central(args.config).central.database_url)


def _run(args: argparse.Namespace) -> int:
    from .service import CentralService

    cfg = load_central(args.config)
    logging.getLogger().setLevel(cfg.central.log_level)
    CentralService(cfg).run_forever()
    return 0


def _migrate(args: argparse.Namespace) -> int:
    store = _store(args)
    print(f"schema up to date ({store.backend})")
    return 0


def _send(args: argparse.Namespace) -> int:
    from frontdesk.schema import SchemaError, parse_command_payload

    try:
        payload = json.loads(args.payload)
    except ValueError as err:
        print(f"frontdesk central send: payload is not JSON: {err}", file=sys.stderr)
        return 2
    try:
        command = _store(args).create_command(args.site, args.device, parse_command_payload(args.type, payload))
    except SchemaError as err:
        print(f"frontdesk central send: {err}", file=sys.stderr)
        return 2
    print(json.dumps({"id": command.id, "state": "pending"}))
    return 0


def _commands(args: argparse.Namespace) -> int:
    for row in _store(args).list_commands(state=args.state):
        print(json.dumps(row, ensure_ascii=False))
    return 0


def _quarantine(args: argparse.Namespace) -> int:
    for row in _store(args).list_quarantine():
        print(json.dumps(row, ensure_ascii=False))
    return 0
