"""`frontdesk demo`: the whole system on one machine, on embedded defaults.

This is the one place where everything is wired together (system.py): a fleet provisioned on the
fly (fleet.py: the fleet CA, Mosquitto on the TLS configuration central generates, every edge
installed from its enrolment bundle), the central store on SQLite with its API and dashboard, and
the edges of a small property — the desk (phone line through the modem emulator, work-order
printer), the lobby kiosk and a gate post (cameras fed from image folders, badge printer) — each a
real process talking over loopback, exactly as they would across a building. samples.py makes the
site key, a visitor pass and staff cards; tour.py walks a visitor, a guard and a caller through it
and checks every step arrived; brokercheck.py checks that the broker turns strangers away.
"""
from .cli import register
from .system import DemoSystem

__all__ = ["DemoSystem", "register"]
