"""Checks that keep the code in one shape: ruff (lint, import order), mypy, short functions."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from .layout import PACKAGES, ROOT, modules

BIN = Path(sys.executable).parent
# A function longer than this reads as several; split it where its parts have names.
MAX_FUNCTION_LINES = 80
# Alembic migrations are written-out snapshots, kept whole on purpose.
LONG_ALLOWED = ("central/migrations/",)


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=600, check=False)


def test_ruff_is_clean_over_the_whole_tree():
    done = _run([str(BIN / "ruff"), "check", "--no-cache", "."], ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def link_tree(where: Path) -> Path:
    """The package as it installs (frontdesk/edge, frontdesk/central, ...), made of links to the
    folders, so mypy sees the same module names the code imports."""
    top = where / "frontdesk"
    top.mkdir()
    for entry in (ROOT / "frontdesk").iterdir():
        if entry.name != "__pycache__":
            (top / entry.name).symlink_to(entry)
    for folder, package in PACKAGES.items():
        if folder != "frontdesk":
            (top / package.split(".")[1]).symlink_to(ROOT / folder)
    return where


def test_mypy_is_clean(tmp_path):
    tree = link_tree(tmp_path)
    done = _run([str(BIN / "mypy"), "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental",
                 "--python-executable", sys.executable, "-p", "frontdesk"], tree)
    assert done.returncode == 0, done.stdout + done.stderr


def long_functions() -> list[str]:
    found = []
    for module in modules():
        if module.rel.startswith(LONG_ALLOWED):
            continue
        for node in ast.walk(module.tree()):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length >= MAX_FUNCTION_LINES:
                    found.append(f"{module.rel}:{node.lineno} {node.name} is {length} lines")
    return found


def test_no_function_is_80_lines_or_longer():
    assert long_functions() == []
