"""`frontdesk central ...`: run the central store, look at commands and quarantine, manage command keys
and the fleet."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import TYPE_CHECKING

from .config import load_central

if TYPE_CHECKING:
    from .store import Store


def register(sub: argparse._SubParsersAction) -> None:
    """Add `frontdesk central` (run, migrate, send, commands, quarantine, keys, site, device, broker-config,
    user, privacy) to the command line."""
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

    _register_keys(central)

    from .fleet.cli import register as register_fleet
    register_fleet(central)  # frontdesk central site|device|broker-config

    from .auth.cli import register as register_users
    register_users(central)  # frontdesk central user add|list|passwd|disable

    from .privacy.cli import register as register_privacy
    register_privacy(central)  # frontdesk central privacy find|erase


def _register_keys(central: argparse._SubParsersAction) -> None:
    keys = central.add_parser("keys", help="central's command-signing keys").add_subparsers(
        dest="keys_command", metavar="ACTION", required=True)
    for name, help_ in (("create", "make the first signing key (prints the public key edges must trust)"),
                        ("show", "list the keys: id, public key, active or retired"),
                        ("rotate", "make a new key, send every known edge its public key (signed by the "
                                   "current key), then sign with it")):
        p = keys.add_parser(name, help=help_)
        p.add_argument("-c", "--config", required=True)
        p.set_defaults(func=_keys)
    retire = keys.add_parser("retire", help="stop using a key and tell every known edge to stop trusting it")
    retire.add_argument("-c", "--config", required=True)
    retire.add_argument("key_id")
    retire.set_defaults(func=_keys)


def _store(args: argparse.Namespace, *, signing: bool = False) -> Store:
    """The store of the config file; with `signing`, with central's command signer attached."""
    from .command_keys import KeyringError, attach
    from .store import Store

    cfg = load_central(args.config).central
    store = Store(cfg.database_url)
    if signing:
        try:
            attach(store, cfg)
        except KeyringError as err:
            raise SystemExit(f"frontdesk central: {err}") from None
    return store


def _keys(args: argparse.Namespace) -> int:
    from . import command_keys

    cfg = load_central(args.config).central
    if cfg.command_key_dir is None:
        print("frontdesk central keys: set [central] command_key_dir first", file=sys.stderr)
        return 2
    keyring = command_keys.CommandKeyring(cfg.command_key_dir)
    try:
        if args.keys_command == "create":
            if keyring.key_ids():
                print(f"frontdesk central keys: {keyring.dir} already holds keys (use rotate)", file=sys.stderr)
                return 2
            keyring.create()
        elif args.keys_command == "rotate":
            kid, ids = command_keys.rotate(_store(args, signing=True), keyring)
            print(json.dumps({"active": kid, "trust_commands": len(ids)}))
        elif args.keys_command == "retire":
            ids = command_keys.retire(_store(args, signing=True), keyring, args.key_id)
            print(json.dumps({"retired": args.key_id, "trust_commands": len(ids)}))
        active = keyring.active_id()
    except command_keys.KeyringError as err:
        print(f"frontdesk central keys: {err}", file=sys.stderr)
        return 2
    if args.keys_command in ("create", "show"):
        for kid, public in keyring.public_keys().items():
            print(json.dumps({"key_id": kid, "public_key": public, "active": kid == active}))
        for kid in keyring.retired_ids():
            print(json.dumps({"key_id": kid, "retired": True}))
    return 0


def _run(args: argparse.Namespace) -> int:
    from .file_checks import check_central_files
    from .service import CentralService

    cfg = load_central(args.config)
    check_central_files(cfg, args.config)  # no secret others may read (exit 78 with the fix)
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
        store = _store(args, signing=True)
        command = store.create_command(args.site, args.device, parse_command_payload(args.type, payload))
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
