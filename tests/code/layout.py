"""Where each module of the source tree lives, and what it imports.

The repository is laid out by role and installs as one `frontdesk` package (setup.py maps the
folders); these helpers read the files as text, so the checks need nothing imported.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# folder -> package it installs as (the same table as setup.py's ROOTS)
PACKAGES = {"frontdesk": "frontdesk", "edge": "frontdesk.edge", "drivers": "frontdesk.drivers",
            "central": "frontdesk.central", "kiosk_ui": "frontdesk.kiosk_ui"}


@dataclass(frozen=True)
class Module:
    path: Path
    name: str  # dotted, as installed
    is_package: bool

    @property
    def rel(self) -> str:
        return self.path.relative_to(ROOT).as_posix()

    def tree(self) -> ast.Module:
        return ast.parse(self.path.read_text(encoding="utf-8"), filename=str(self.path))


def modules() -> Iterator[Module]:
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            yield Module(path, ".".join([package, *parts]), is_package)


def imports(module: Module) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import, relative ones resolved."""
    base = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
    for node in ast.walk(module.tree()):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - node.level + 1]
                target = ".".join(anchor + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            # `from . import x` names submodules as often as attributes: check both readings.
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}"
