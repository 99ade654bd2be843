"""`frontdesk demo --tour`: the whole system on one machine, walked through end to end."""
from __future__ import annotations

import subprocess
import sys

from frontdesk.central.fleet.ca import FleetCA, write_private
from frontdesk.demo.brokercheck import mqtt_connect, stranger_steps, tls_context
from frontdesk.demo.system import DEVICE_ROLES, SITE, DemoSystem


def test_demo_tour_sees_every_step_in_the_central_store(tmp_path):
    root = tmp_path / "demo"
    res = subprocess.run([sys.executable, "-m", "frontdesk", "demo", "--dir", str(root), "--tour"],
                         capture_output=True, text=True, timeout=300)
    out = res.stdout
    assert res.returncode == 0, out[-3000:] + res.stderr[-3000:]
    assert "frontdesk demo is running" in out and "mosquitto_sub" in out
    assert "FAIL" not in out
    # The running demo's broker turned both strangers away (brokercheck.py).
    assert "ok  a plain MQTT client is refused" in out
    assert "ok  a TLS client without a fleet certificate is refused" in out
    tour = [line for line in out.splitlines() if line.startswith("tour:") and "steps seen" in line]
    assert tour and tour[0].split()[1] == tour[0].split()[3]  # "tour: N of N steps seen"
    assert list((root / "slips" / "lobby").glob("slip-*.png")), "the visitor badge was printed"
    # The production files the banner points at.
    for path in (root / "fleet" / "ca" / "ca.crt", root / "fleet" / "broker" / "mosquitto.conf",
                 *(root / "bundles" / f"{SITE}-{device}.frontdesk-bundle" for device in DEVICE_ROLES)):
        assert str(path) in out or str(path.parent) in out, path
        assert path.exists(), path
    assert out.rstrip().endswith("demo stopped")
    leftover = subprocess.run(["pgrep", "-f", str(root)], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""  # nothing the demo started is still running


def test_demo_broker_admits_only_the_fleets_certificates(tmp_path):
    system = DemoSystem(tmp_path / "demo")
    try:
        broker = system.start_fleet()
        host, port, ca = broker.host, broker.port, system.fleet_ca
        assert system.samples
        # Every bundle trusts the key the demo's sample passes are signed with.
        assert {tuple(b.pass_public_keys) for b in system.bundles.values()} == {(system.samples.public_key,)}
        tls = system.device_dir("desk-1") / "tls"
        # The desk's credential from its bundle is let in, so the refusals below are the broker's choice.
        assert mqtt_connect(host, port, tls_context(ca, host, tls / "device.crt", tls / "device.key")) \
            == (True, "accepted")
        assert mqtt_connect(host, port)[0] is False
        assert mqtt_connect(host, port, tls_context(ca, host))[0] is False
        # A certificate naming the desk, from a CA that is not the fleet's.
        other = FleetCA(tmp_path / "other")
        other.create("not the fleet")
        forged = other.issue(f"desk-1@{SITE}", days=1)
        write_private(tmp_path / "forged.key", forged.private_key_pem)
        (tmp_path / "forged.crt").write_bytes(forged.certificate_pem)
        assert mqtt_connect(host, port, tls_context(ca, host, tmp_path / "forged.crt", tmp_path / "forged.key"))[0] \
            is False
        lines: list[str] = []
        assert [s.ok for s in stranger_steps(host, port, ca, lines.append)] == [True, True]
        assert all(line.startswith("  ok ") for line in lines)
    finally:
        system.stop()
    assert not broker.running()
