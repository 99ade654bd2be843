"""python -m frontdesk.drivers.modem.emulator ... (same as `frontdesk phone emulate ...`)."""
import argparse
import sys

from frontdesk.runtime.files import restrict_umask

from ..cli import register


def main() -> int:
    """Run `phone emulate` with the command-line arguments; returns its exit code."""
    restrict_umask()  # its recordings and logs are residents' calls (frontdesk/runtime/files.py)
    parser = argparse.ArgumentParser(prog="frontdesk-modem-emulator")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(["phone", "emulate", *sys.argv[1:]])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
