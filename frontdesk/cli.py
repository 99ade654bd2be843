"""The `frontdesk` command.

Each role contributes its own subcommands: a module listed in COMMAND_MODULES has
`register(subparsers)` that adds its parsers, each with `func=handler(args) -> int`.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from . import __version__
from .config import ConfigError
from .runtime.files import EXIT_UNSAFE_FILE, UnsafeFileError, restrict_umask

COMMAND_MODULES = [
    "frontdesk.kiosk_ui.cli",
    "frontdesk.drivers.modem.cli",
    "frontdesk.edge.transcribe.cli",
    "frontdesk.edge.cli",
    "frontdesk.central.cli",
    "frontdesk.demo",
    "frontdesk.drivers.scan.cli",
    "frontdesk.passes.cli",
    "frontdesk.edge.printing.cli",
]


def build_parser() -> argparse.ArgumentParser:
    """The `frontdesk` argument parser, with the subcommands of every module in COMMAND_MODULES
    (importing each of them)."""
    parser = argparse.ArgumentParser(prog="frontdesk", description="Front-desk and lobby edge system.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    # the version a vulnerability report names (SECURITY.md)
    parser.add_argument("--version", action="version", version=f"frontdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the `frontdesk` command on `argv` (default sys.argv[1:]); returns the exit code
    (2 without a command or on a configuration error, 78 when a secret others may read stops a
    service from starting, 130 on Ctrl-C)."""
    # First of all: every store, recording and key this process makes is unreadable by others
    # (frontdesk/runtime/files.py), whatever umask the shell or service manager handed down.
    restrict_umask()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic announces each of its plugins at INFO on import; only its warnings matter here.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ConfigError as err:
        print(f"frontdesk: configuration error:\n{err}", file=sys.stderr)
        return 2
    except UnsafeFileError as err:
        print(f"frontdesk: refusing to start: {err}", file=sys.stderr)
        return EXIT_UNSAFE_FILE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
