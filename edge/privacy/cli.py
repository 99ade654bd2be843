"""`frontdesk edge privacy find|erase`: where a resident's data still is on this edge, and erasing it
on an edge with no link to central (the same code as the privacy.erase command)."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from frontdesk.schema.privacy import add_subject_arguments, subject_from_arguments

DEFAULT_CONFIG = "/etc/frontdesk/edge.toml"


def register(edge: argparse._SubParsersAction) -> None:
    """Add `privacy find` and `privacy erase` under `frontdesk edge`."""
    privacy = edge.add_parser("privacy", help="residents' personal data on this edge").add_subparsers(
        dest="privacy_command", metavar="ACTION")

    find = privacy.add_parser("find", help="list every place TEXT is still stored (exit 1 when found)")
    find.add_argument("text")
    find.add_argument("-c", "--config", default=DEFAULT_CONFIG, help="edge TOML file (default %(default)s)")
    find.add_argument("--json", action="store_true", help="one JSON document instead of lines")
    find.set_defaults(func=_find)

    erase = privacy.add_parser("erase", help="erase one person's data here, as central's privacy.erase does")
    erase.add_argument("-c", "--config", default=DEFAULT_CONFIG, help="edge TOML file (default %(default)s)")
    add_subject_arguments(erase)
    erase.set_defaults(func=_erase)


def _print_lines(report: dict[str, Any]) -> None:
    for row in report["rows"]:
        if row.get("error"):
            print(f"database {row['database']}: {row['error']}")
            continue
        key = ", ".join(f"{k}={v}" for k, v in row["key"].items())
        where = f" {row['path']}" if row["path"] else ""
        print(f"row   {row['database']} {row['table']} [{key}] {row['column']}{where}")
    for f in report["files"]:
        print(f"file  {f['file']} ({f['where']})")
    for hit in report["raw_live"]:
        print(f"raw   {hit['file']} @{hit['offset']} ({hit['where']})")
    if report["raw_unused"]:
        print("free pages / WAL (no row shows it, the file still holds it):")
        for hit in report["raw_unused"]:
            print(f"raw   {hit['file']} @{hit['offset']} ({hit['where']})")
    if not report["found"]:
        print(f"not found: {report['text']!r} is stored nowhere under this edge's data folder")


def _find(args: argparse.Namespace) -> int:
    from ..config import load_edge
    from .find import find

    cfg = load_edge(args.config)
    report = find(args.text, cfg.edge.data_dir).as_dict()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        _print_lines(report)
    return 1 if report["found"] else 0


def _erase(args: argparse.Namespace) -> int:

    from ..config import load_edge
    from ..journal import Journal, JournalError
    from ..services import EdgeContext
    from .service import PrivacyService

    subject = subject_from_arguments(args, "frontdesk edge privacy erase")
    if subject is None:
        return 2
    cfg = load_edge(args.config)
    journal = Journal(cfg.edge.journal_path, site=cfg.site.id, device=cfg.edge.device, tz=cfg.site.timezone)
    try:
        ctx = EdgeContext(journal=journal, site=cfg.site.id, device=cfg.edge.device, tz=cfg.site.timezone,
                          country=cfg.site.country, data_dir=cfg.edge.data_dir, site_name=cfg.site.name)
        phone = getattr(cfg, "phone", None)
        service = PrivacyService(cfg.retention, ctx, area_code=getattr(phone, "area_code", None))
        try:
            result = service.erase_now(subject)
        except JournalError as err:
            print(f"frontdesk edge privacy erase: nothing erased: {err}", file=sys.stderr)
            return 1
    finally:
        journal.close()
    print(json.dumps(result, ensure_ascii=False))
    return 0


__all__ = ["register"]
