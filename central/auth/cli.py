"""`frontdesk central user add|list|passwd|disable`: staff accounts."""
from __future__ import annotations

import argparse
import getpass
import json
import sys

from .roles import ROLES


def register(central_sub: argparse._SubParsersAction) -> None:
    """Add `frontdesk central user` (add, list, passwd, disable) under `frontdesk central`."""
    user = central_sub.add_parser("user", help="staff accounts").add_subparsers(dest="user_command", metavar="ACTION")
    add = user.add_parser("add", help="create a staff account")
    add.add_argument("-c", "--config", required=True)
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--sites", required=True, help="comma-separated site ids, or * for every site")
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=_add)
    ls = user.add_parser("list", help="list staff accounts")
    ls.add_argument("-c", "--config", required=True)
    ls.set_defaults(func=_list)
    pw = user.add_parser("passwd", help="set a new password (ends the user's sessions)")
    pw.add_argument("-c", "--config", required=True)
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    pw.set_defaults(func=_passwd)
    off = user.add_parser("disable", help="disable an account (ends its sessions)")
    off.add_argument("-c", "--config", required=True)
    off.add_argument("username")
    off.set_defaults(func=_disable)


def _accounts(args):
    from datetime import timedelta

    from ..config import load_central
    from ..store import Store
    from .accounts import Accounts
    cfg = load_central(args.config)
    return Accounts(Store(cfg.central.database_url).engine, timedelta(minutes=cfg.auth.session_ttl_min))


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit("frontdesk central user: the passwords differ")
    return first


def _add(args) -> int:
    from .accounts import AccountError
    try:
        staff = _accounts(args).add_user(args.username, _password(args), args.role,
                                         [s.strip() for s in args.sites.split(",") if s.strip()], args.name)
    except AccountError as err:
        print(f"frontdesk central user add: {err}", file=sys.stderr)
        return 2
    print(json.dumps({"username": staff.username, "role": staff.role, "sites": list(staff.sites)}))
    return 0


def _list(args) -> int:
    for row in _accounts(args).list_users():
        print(json.dumps(row, ensure_ascii=False))
    return 0


def _passwd(args) -> int:
    accounts = _accounts(args)
    if accounts.get_user(args.username) is None:
        print(f"frontdesk central user passwd: no user {args.username!r}", file=sys.stderr)
        return 2
    try:
        accounts.set_password(args.username, _password(args))
    except ValueError as err:
        print(f"frontdesk central user passwd: {err}", file=sys.stderr)
        return 2
    return 0


def _disable(args) -> int:
    _accounts(args).set_active(args.username, False)
    return 0
