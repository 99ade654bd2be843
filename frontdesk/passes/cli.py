"""`frontdesk passes ...`: site keys and visitor passes from the command line.

    frontdesk passes keygen --out /etc/frontdesk/site.key     # prints the public key for [access]
    frontdesk passes issue --key site.key --site sunrise --unit 3-1502 --name 王小明 --png pass.png
    frontdesk passes check pass.png --public ed25519:... --site sunrise
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `passes` command (keygen, issue, check) to the top-level argparse subparsers."""
    p = sub.add_parser("passes", help="site keys and signed visitor passes")
    ps = p.add_subparsers(dest="passes_command", metavar="ACTION", required=True)

    k = ps.add_parser("keygen", help="make a site signing key (private file) and print its public key")
    k.add_argument("--out", required=True, type=Path, help="private key file to write (mode 0600)")
    k.add_argument("--force", action="store_true", help="overwrite an existing file")
    k.set_defaults(func=_keygen)

    i = ps.add_parser("issue", help="sign a visitor pass (what central does for a resident)")
    i.add_argument("--key", required=True, type=Path)
    i.add_argument("--site", required=True)
    i.add_argument("--unit", required=True, help="host unit, e.g. 3-1502")
    i.add_argument("--name", required=True, help="visitor display name")
    i.add_argument("--hours", type=float, default=24.0)
    i.add_argument("--multi", action="store_true", help="may be used more than once")
    i.add_argument("--png", type=Path, help="also write the QR code as a PNG")
    i.set_defaults(func=_issue)

    c = ps.add_parser("check", help="verify a pass token or an image of one, as a post would (no replay memory)")
    c.add_argument("what", help="a FDP1:... token, or an image file")
    c.add_argument("--public", required=True, action="append", help="site public key (ed25519:... or a file)")
    c.add_argument("--site", required=True)
    c.set_defaults(func=_check)


def _keygen(args: argparse.Namespace) -> int:
    from . import generate_key, key_id, public_text, save_private_key

    if args.out.exists() and not args.force:
        print(f"frontdesk: {args.out} exists (use --force to replace it)", file=sys.stderr)
        return 1
    key = generate_key()
    save_private_key(key, args.out)
    print(json.dumps({"private_key": str(args.out), "key_id": key_id(key).hex(), "public_key": public_text(key)}))
    return 0


def _issue(args: argparse.Namespace) -> int:
    from frontdesk.central.passes import issue_pass

    from . import load_private_key

    try:
        pass_id, token = issue_pass(load_private_key(args.key), site=args.site, host_unit=args.unit,
                                    visitor_name=args.name, hours=args.hours, single_use=not args.multi)
    except ValueError as err:
        print(f"frontdesk: {err}", file=sys.stderr)
        return 1
    if args.png:
        import segno
        segno.make(token, error="m", micro=False).save(str(args.png), scale=6, border=4)
    print(json.dumps({"pass_id": pass_id, "token": token, "png": str(args.png) if args.png else None},
                     ensure_ascii=False))
    return 0


def _check(args: argparse.Namespace) -> int:
    from . import KeyError_, Rejection, keyring, load_public_key, verify_pass

    try:
        keys = keyring([load_public_key(k) for k in args.public])
    except KeyError_ as err:
        print(f"frontdesk: {err}", file=sys.stderr)
        return 2
    tokens: list[bytes] = []
    if args.what.startswith("FDP1:"):
        tokens = [args.what.encode()]
    else:
        from frontdesk.drivers.scan import default_chain
        from frontdesk.drivers.scan.corpus import read_gray
        try:
            tokens = [s.raw for s in default_chain().decode(read_gray(args.what))]
        except (OSError, ValueError) as err:
            print(json.dumps({"ok": False, "reason": "malformed", "detail": str(err)}))
            return 1
        if not tokens:
            print(json.dumps({"ok": False, "reason": "malformed", "detail": "no code found in the image"}))
            return 1
    status = 0
    for raw in tokens:
        try:
            vp = verify_pass(raw, keys, site=args.site)
            print(json.dumps({"ok": True, **vp.to_json()}, ensure_ascii=False))
        except Rejection as rej:
            print(json.dumps({"ok": False, "reason": rej.reason, "detail": rej.detail, "pass_id": rej.pass_id}))
            status = 1
    return status
