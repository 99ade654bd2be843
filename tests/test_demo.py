"""`frontdesk demo --tour`: the whole system on one machine, walked through end to end."""
from __future__ import annotations

import subprocess
import sys


def test_demo_tour_sees_every_step_in_the_central_store(tmp_path):
    root = tmp_path / "demo"
    res = subprocess.run([sys.executable, "-m", "frontdesk", "demo", "--dir", str(root), "--tour"],
                         capture_output=True, text=True, timeout=300)
    out = res.stdout
    assert res.returncode == 0, out[-3000:] + res.stderr[-3000:]
    assert "frontdesk demo is running" in out and "mosquitto_sub" in out
    assert "FAIL" not in out
    tour = [line for line in out.splitlines() if line.startswith("tour:") and "steps seen" in line]
    assert tour and tour[0].split()[1] == tour[0].split()[3]  # "tour: N of N steps seen"
    assert list((root / "slips" / "lobby").glob("slip-*.png")), "the visitor badge was printed"
    assert out.rstrip().endswith("demo stopped")
    leftover = subprocess.run(["pgrep", "-f", str(root)], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""  # nothing the demo started is still running
