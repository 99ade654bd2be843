"""`frontdesk demo` brings the whole system up on embedded defaults and takes it down again."""
from __future__ import annotations

import subprocess
import sys


def test_demo_runs_and_shows_events_arriving(tmp_path):
    res = subprocess.run([sys.executable, "-m", "frontdesk", "demo", "--dir", str(tmp_path / "demo"),
                          "--seconds", "2"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    out = res.stdout
    assert "frontdesk demo is running" in out
    assert "events in the central store so far: 2" in out  # edge.started + the demo's desk note
    assert "mosquitto_sub" in out and "/api/v1/events" in out
    assert out.rstrip().endswith("demo stopped")
    # nothing left running that the demo started
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path / "demo")], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
