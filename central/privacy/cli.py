"""`frontdesk central privacy find|erase`: where a text is still stored, and erasing one person (the
same erasure as POST /api/v1/privacy/erase, audited as the command line)."""
from __future__ import annotations

import argparse
import getpass
import json
import sys

from frontdesk.schema.privacy import add_subject_arguments, subject_from_arguments

DEFAULT_CONFIG = "/etc/frontdesk/central.toml"


def register(central_sub: argparse._SubParsersAction) -> None:
    """Add `frontdesk central privacy` (find, erase) under `frontdesk central`."""
    privacy = central_sub.add_parser("privacy", help="residents' personal data: find and erase").add_subparsers(
        dest="privacy_command", metavar="ACTION", required=True)
    find = privacy.add_parser("find", help="list every place TEXT is still stored (exit 1 if found, 0 if not)")
    find.add_argument("text")
    find.add_argument("-c", "--config", default=DEFAULT_CONFIG, help=f"central TOML file (default {DEFAULT_CONFIG})")
    find.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    find.set_defaults(func=_find)
    erase = privacy.add_parser("erase", help="erase one person at central and on the site's edges")
    erase.add_argument("-c", "--config", default=DEFAULT_CONFIG, help=f"central TOML file (default {DEFAULT_CONFIG})")
    add_subject_arguments(erase)
    erase.add_argument("--site", help="erase on this site only (default: every site)")
    erase.set_defaults(func=_erase)


def _open(args: argparse.Namespace, *, signing: bool = False):
    from ..command_keys import KeyringError, attach
    from ..config import ConfigError, load_central
    from ..store import Store
    try:
        cfg = load_central(args.config)
    except (ConfigError, OSError) as err:
        raise SystemExit(f"frontdesk central privacy: {err}") from None
    store = Store(cfg.central.database_url)
    if signing:
        try:
            attach(store, cfg.central)  # the edges' privacy.erase commands are signed like any other
        except KeyringError as err:
            raise SystemExit(f"frontdesk central privacy: {err}") from None
    return cfg, store


def _find(args: argparse.Namespace) -> int:
    from .find import describe, find
    _cfg, store = _open(args)
    try:
        result = find(store, args.text)
    finally:
        store.close()
    print(json.dumps(result, ensure_ascii=False) if args.json else describe(result))
    return 1 if result["found"] else 0


def _erase(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from ..auth.accounts import Accounts, Staff
    from .service import Privacy
    subject = subject_from_arguments(args, "frontdesk central privacy erase")
    if subject is None:
        return 2
    cfg, store = _open(args, signing=True)
    accounts = Accounts(store.engine, timedelta(minutes=cfg.auth.session_ttl_min))
    staff = Staff(id=0, username=f"cli:{getpass.getuser()}"[:64], display_name="command line", role="admin",
                  sites=("*",))
    try:
        request = Privacy(store, accounts, cfg.privacy).requests.erase(
            staff, subject, args.site, (args.site,) if args.site else None)
    except ValueError as err:
        print(f"frontdesk central privacy erase: {err}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(json.dumps(request, ensure_ascii=False))
    return 0
