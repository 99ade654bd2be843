"""`frontdesk edge ...`: run the agent, write to its journal, see what is waiting."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from .config import load_edge
from .privacy import cli as privacy_cli


def register(sub: argparse._SubParsersAction) -> None:
    """Add `frontdesk edge` (run, note, status, enroll, check-config, privacy) to the command line's subparsers."""
    edge = sub.add_parser("edge", help="the edge agent").add_subparsers(dest="edge_command", metavar="ACTION")

    run = edge.add_parser("run", help="run the edge agent")
    run.add_argument("-c", "--config", required=True, help="edge TOML file")
    run.set_defaults(func=_run)

    note = edge.add_parser("note", help="write a desk note into the journal (a register entry)")
    note.add_argument("-c", "--config", required=True)
    note.add_argument("text")
    note.add_argument("--unit")
    note.add_argument("--author")
    note.set_defaults(func=_note)

    status = edge.add_parser("status", help="journal and outbox state")
    status.add_argument("-c", "--config", required=True)
    status.set_defaults(func=_status)

    enroll = edge.add_parser("enroll", help="install an enrolment bundle from `frontdesk central device add`")
    enroll.add_argument("bundle")
    enroll.add_argument("--dir", default="/etc/frontdesk", help="where edge.toml and tls/ go (default %(default)s)")
    enroll.add_argument("--data-dir", default="/var/lib/frontdesk/edge",
                        help="the journal's folder, for a new edge.toml")
    enroll.add_argument("--owner", default=None,
                        help="the user the agent runs as, given the key and config (default: frontdesk, when "
                             "run as root and that user exists)")
    enroll.add_argument("--replace-config", action="store_true",
                        help="write edge.toml from the bundle even if one exists (its device sections are lost)")
    enroll.set_defaults(func=_enroll)

    check = edge.add_parser("check-config", help="validate an edge TOML file")
    check.add_argument("config")
    check.set_defaults(func=_check_config)

    privacy_cli.register(edge)


def _check_config(args: argparse.Namespace) -> int:
    load_edge(args.config)  # a ConfigError is reported by frontdesk/cli.py with exit status 2
    print(f"{args.config}: ok")
    return 0


def _run(args: argparse.Namespace) -> int:
    from frontdesk.runtime.files import check_link_files

    from .agent import EdgeAgent

    # A private key named among the public keys is checked as the file loads (frontdesk/passes/keys.py).
    cfg = load_edge(args.config)
    # Refuse to start with a TLS key, or a file holding the broker password, that others may read.
    check_link_files(cfg.mqtt, args.config)
    logging.getLogger().setLevel(cfg.edge.log_level)
    EdgeAgent(cfg).run_forever()
    return 0


def _journal(args: argparse.Namespace):
    from .journal import Journal

    cfg = load_edge(args.config)
    return Journal(cfg.edge.journal_path, site=cfg.site.id, device=cfg.edge.device, tz=cfg.site.timezone)


def _note(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from frontdesk.schema.system import DeskNote

    from .journal import JournalError, SchemaError

    journal = _journal(args)
    try:
        event = journal.record(DeskNote(text=args.text, unit=args.unit, author=args.author))
    except (ValidationError, SchemaError, JournalError) as err:
        print(f"frontdesk edge note: not recorded: {err}", file=sys.stderr)
        return 1
    print(json.dumps({"id": event.id, "seq": event.seq}))
    return 0


def _status(args: argparse.Namespace) -> int:
    journal = _journal(args)
    print(json.dumps({"journal": str(journal.path), "last_seq": journal.last_seq(), "outbox": journal.backlog()}))
    return 0


def _service_user() -> str | None:
    """"frontdesk" (deploy/systemd/frontdesk-edge.service's user) when enrolling as root and it exists."""
    import os
    import pwd

    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("frontdesk").pw_name
    except KeyError:
        return None


def _enroll(args: argparse.Namespace) -> int:
    from pathlib import Path

    from frontdesk.enrolment import BundleError, load_bundle

    from .enroll import enroll

    try:
        done = enroll(load_bundle(args.bundle), Path(args.dir), Path(args.data_dir), args.replace_config,
                      owner=args.owner or _service_user())
    except BundleError as err:
        print(f"frontdesk edge enroll: {err}", file=sys.stderr)
        return 2
    except (OSError, LookupError) as err:  # LookupError: an --owner that does not exist
        print(f"frontdesk edge enroll: cannot install: {err}", file=sys.stderr)
        return 2
    for warning in done.warnings:
        print(f"frontdesk edge enroll: warning: {warning}", file=sys.stderr)
    print(json.dumps({"config": str(done.config), "config_written": done.config_written, "serial": done.serial}))
    return 0
