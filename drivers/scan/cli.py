"""`frontdesk scan IMAGE...`: decode image files the way the kiosk decodes camera frames.

Prints one JSON object per image, in order:
    {"image": "pass.png", "symbols": [{"format", "text", "bytes_hex", "polygon"}, ...]}
or, for a file that cannot be read, {"image": ..., "symbols": [], "error": "..."} (exit code 1).
"""
from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `scan` command to the top-level argparse subparsers."""
    p = sub.add_parser("scan", help="decode barcodes in image files (JSON line per image)")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--decoders", default="zxing,zbar",
                   help="comma-separated decoder order (default: the shipped chain zxing,zbar)")
    p.add_argument("--legacy-charsets", default="",
                   help="charsets tried in order for payloads that are neither ECI-marked nor UTF-8, e.g. "
                        "gb18030,shift_jis for older Chinese generators (default: the decoders' own guess)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """`scan`: print one JSON line per image; exit code 1 if an image could not be read, 2 for an unknown charset."""
    import codecs

    from .chain import default_chain
    from .corpus import read_gray

    legacy = tuple(c.strip() for c in args.legacy_charsets.split(",") if c.strip())
    for name in legacy:
        try:
            codecs.lookup(name)
        except LookupError:
            print(f"frontdesk: unknown charset {name!r}", file=sys.stderr)
            return 2
    chain = default_chain(tuple(d.strip() for d in args.decoders.split(",") if d.strip()), legacy=legacy or None)
    status = 0
    try:
        for path in args.images:
            doc: dict = {"image": path, "symbols": []}
            try:
                doc["symbols"] = [s.to_json() for s in chain.decode(read_gray(path))]
            except (OSError, ValueError) as err:
                doc["error"] = str(err)
                status = 1
            print(json.dumps(doc, ensure_ascii=False), flush=True)
    finally:
        chain.close()
    return status
