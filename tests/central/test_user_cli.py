"""`frontdesk central user`: staff accounts from the command line (privacy tests: tests/privacy/)."""
from __future__ import annotations

import json
import subprocess
import sys

from .helpers import PASSWORD, SITE


def test_user_cli(tmp_path, sqlite_url):
    cfg = tmp_path / "central.toml"
    cfg.write_text(f'[central]\ndatabase_url = "{sqlite_url}"\n')
    def run(*a, stdin=""):
        return subprocess.run([sys.executable, "-m", "frontdesk", "central", "user", *a, "-c", str(cfg)],
                              input=stdin, capture_output=True, text=True, timeout=120)
    r = run("add", "liu", "--role", "desk", "--sites", SITE, "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"username": "liu", "role": "desk", "sites": [SITE]}
    r = run("add", "liu", "--role", "desk", "--sites", SITE, "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 2 and "exists already" in r.stderr
    r = run("add", "wu", "--role", "desk", "--sites", SITE, "--password-stdin", stdin="short\n")
    assert r.returncode == 2 and "at least 10" in r.stderr
    assert "liu" in run("list").stdout
