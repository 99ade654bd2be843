"""`frontdesk central site|device|broker-config`: the fleet from the command line.

Bundles are written with mode 0600 (they hold the device's private key); everything else prints
one JSON object per line, so scripts can read it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from frontdesk.config import ConfigError, SiteConfig

from ..config import load_central
from .ca import FleetCAError, write_private
from .registry import Fleet, FleetError
from .roles import ROLES


def register(central: argparse._SubParsersAction) -> None:
    """Add `site`, `device` and `broker-config` under `frontdesk central`."""
    site = central.add_parser("site", help="the sites of the fleet").add_subparsers(
        dest="site_command", metavar="ACTION", required=True)
    add = site.add_parser("add", help="register a site (and make its pass-signing key)")
    _common(add, device=False)
    add.add_argument("--name", default="", help="display name, e.g. 示范花园物业服务中心")
    add.add_argument("--timezone", default="Asia/Shanghai")
    add.add_argument("--country", default="cn")
    add.set_defaults(func=_site_add)
    ls = site.add_parser("list", help="the registered sites")
    ls.add_argument("-c", "--config", required=True)
    ls.set_defaults(func=lambda a: _print(_fleet(a).sites()))

    dev = central.add_parser("device", help="the devices of the fleet").add_subparsers(
        dest="device_command", metavar="ACTION", required=True)
    add = dev.add_parser("add", help="register a device and write its enrolment bundle")
    _common(add, bundle=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.set_defaults(func=_device_change)
    ls = dev.add_parser("list", help="devices, their state and certificates")
    ls.add_argument("-c", "--config", required=True)
    ls.add_argument("--site")
    ls.set_defaults(func=lambda a: _print(_fleet(a).devices(a.site)))
    for name, help_, bundle in (
            ("disable", "revoke the device's certificates and close its topics at the broker", False),
            ("enable", "enable a disabled device with a new certificate (writes a bundle)", True),
            ("recredential", "a new certificate in a new bundle; the old one works until retire-old", True),
            ("retire-old", "revoke all but the device's newest certificate", False)):
        p = dev.add_parser(name, help=help_)
        _common(p, bundle=bundle)
        if name == "disable":
            p.add_argument("--reason", default="")
        p.set_defaults(func=_device_change)

    conf = central.add_parser("broker-config", help="write the broker's TLS configuration, ACL and CRL "
                              "from the registry (and central's own client certificate)")
    conf.add_argument("-c", "--config", required=True)
    conf.set_defaults(func=_broker_config)


def _common(p: argparse.ArgumentParser, *, device: bool = True, bundle: bool = False) -> None:
    p.add_argument("-c", "--config", required=True, help="central TOML file")
    p.add_argument("site")
    if device:
        p.add_argument("device")
    if bundle:
        p.add_argument("-o", "--output", help="bundle file (default: SITE-DEVICE.frontdesk-bundle)")


def _fleet(args: argparse.Namespace) -> Fleet:
    from ..command_keys import CommandKeyring
    from ..store import Store

    cfg = load_central(args.config)
    keys = []
    if cfg.central.command_key_dir is not None and cfg.central.command_key_dir.exists():
        keys = sorted(CommandKeyring(cfg.central.command_key_dir).public_keys().values())
    try:
        return Fleet(Store(cfg.central.database_url), cfg.fleet, dict(cfg.tickets.pass_keys), keys)
    except FleetError as err:
        raise SystemExit(f"frontdesk central: {err}") from None


def _print(rows: list[dict]) -> int:
    for row in rows:
        print(json.dumps(row, ensure_ascii=False, default=str))
    return 0


def _fail(err: Exception) -> int:
    print(f"frontdesk central: {err}", file=sys.stderr)
    return 2


def _site_add(args: argparse.Namespace) -> int:
    fleet = _fleet(args)
    try:
        site = SiteConfig(id=args.site, name=args.name, timezone=args.timezone, country=args.country)
        key = fleet.add_site(site)
    except (FleetError, FleetCAError, ValueError, ConfigError) as err:
        return _fail(err)
    print(json.dumps({"site": site.id, "pass_key": str(key)}))
    return 0


def _device_change(args: argparse.Namespace) -> int:
    fleet = _fleet(args)
    command = args.device_command
    try:
        if command == "add":
            result: bytes | int = fleet.add_device(args.site, args.device, args.role)
        elif command == "disable":
            result = fleet.disable(args.site, args.device, args.reason)
        elif command == "enable":
            result = fleet.enable(args.site, args.device)
        elif command == "recredential":
            result = fleet.recredential(args.site, args.device)
        else:
            result = fleet.retire_old(args.site, args.device)
    except (FleetError, FleetCAError) as err:
        return _fail(err)
    if isinstance(result, int):
        print(json.dumps({"site": args.site, "device": args.device, "revoked": result}))
        return 0
    out = Path(args.output or f"{args.site}-{args.device}.frontdesk-bundle")
    write_private(out, result)
    print(json.dumps({"site": args.site, "device": args.device, "bundle": str(out),
                      "serial": json.loads(result)["serial"]}))
    return 0


def _broker_config(args: argparse.Namespace) -> int:
    fleet = _fleet(args)
    try:
        conf = fleet.write_broker_config()
    except (FleetError, FleetCAError, OSError) as err:
        return _fail(err)
    ca, cert, key = fleet.central_credentials()
    print(json.dumps({"mosquitto_conf": str(conf), "central_mqtt": {
        "host": fleet.cfg.broker_host, "port": fleet.cfg.broker_port,
        "tls_ca": str(ca), "tls_cert": str(cert), "tls_key": str(key)}}))
    return 0
