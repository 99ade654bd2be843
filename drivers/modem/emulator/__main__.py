"""python -m frontdesk.drivers.modem.emulator ... (same as `frontdesk phone emulate ...`)."""
import argparse
import os
import sys

from ..cli import register


def main() -> int:
    """Run `phone emulate` with the command-line arguments; returns its exit code."""
    # Its recordings and logs are residents' calls: nothing for others (the rule of
    # frontdesk/runtime/files.py restrict_umask, which drivers/ may not import).
    os.umask(os.umask(0o027) | 0o027)
    parser = argparse.ArgumentParser(prog="frontdesk-modem-emulator")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(["phone", "emulate", *sys.argv[1:]])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
