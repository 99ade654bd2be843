"""The architecture is the folders: each layer imports only what it may.

drivers/ know nothing of frontdesk (real and emulated hardware only); central/ never touches the
edge, hardware or the kiosk screens; edge/ and kiosk_ui/ never reach into central; the shared
contract (frontdesk/) depends on none of them. Only the wiring that starts whole systems — the
command line and the demo — may import across.
"""
from __future__ import annotations

import pytest

from .layout import Module, imports, modules

EDGE_SIDE = ("frontdesk.edge", "frontdesk.drivers", "frontdesk.kiosk_ui")
# Wiring that assembles whole systems from every part.
WIRING = ("frontdesk.cli", "frontdesk.__main__", "frontdesk.demo")


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def forbidden(module: Module) -> tuple[str, ...]:
    """The packages `module` must not import."""
    name = module.name
    if _under(name, WIRING) or name.rsplit(".", 1)[-1] == "cli":  # every part's `cli` module is wiring
        return ()
    if _under(name, ("frontdesk.drivers",)):
        return ("frontdesk",)  # anything of frontdesk but the drivers themselves; see below
    if _under(name, ("frontdesk.central",)):
        return EDGE_SIDE
    if _under(name, ("frontdesk.edge", "frontdesk.kiosk_ui")):
        return ("frontdesk.central",)
    return (*EDGE_SIDE, "frontdesk.central")  # the shared contract: schema, topics, config, ...


def violations() -> list[str]:
    found = []
    for module in modules():
        banned = forbidden(module)
        for line, target in imports(module):
            if _under(target, ("frontdesk.drivers",)) and _under(module.name, ("frontdesk.drivers",)):
                continue
            if _under(target, banned):
                found.append(f"{module.rel}:{line} imports {target}")
    return sorted(set(found))


def test_every_layer_imports_only_what_it_may():
    assert violations() == []


@pytest.mark.parametrize(("name", "target", "allowed"), [
    ("frontdesk.drivers.modem.modem", "frontdesk.schema", False),
    ("frontdesk.drivers.modem.modem", "frontdesk.drivers.audio.pcm", True),
    ("frontdesk.central.store", "frontdesk.edge.journal", False),
    ("frontdesk.central.store", "frontdesk.schema", True),
    ("frontdesk.edge.phone.service", "frontdesk.central.tickets", False),
    ("frontdesk.edge.phone.service", "frontdesk.drivers.modem", True),
    ("frontdesk.kiosk_ui.app", "frontdesk.central.passes", False),
    ("frontdesk.schema.call", "frontdesk.edge", False),
    ("frontdesk.demo.system", "frontdesk.central.store", True),
    ("frontdesk.passes.cli", "frontdesk.central.passes", True),
    ("frontdesk.passes.token", "frontdesk.central.passes", False),
])
def test_the_rules_read_as_written(name, target, allowed):
    module = Module(path=None, name=name, is_package=False)  # type: ignore[arg-type]
    same_drivers = _under(target, ("frontdesk.drivers",)) and _under(name, ("frontdesk.drivers",))
    assert (same_drivers or not _under(target, forbidden(module))) is allowed
