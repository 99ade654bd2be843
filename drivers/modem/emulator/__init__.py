"""A voice modem on a pseudo-terminal, for tests, the demo and benchmarks.

The agent opens the pty's slave path (or a stable symlink to it) exactly as it opens a real
modem; the emulator speaks the modem's side of the protocol on the master side.
"""
from .core import CallRecord, CallSpec, ModemEmulator
from .scenario import load_scenario

__all__ = ["CallRecord", "CallSpec", "ModemEmulator", "load_scenario"]
