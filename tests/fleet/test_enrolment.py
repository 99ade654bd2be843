"""Provisioning from the command line (issue #11, point 1): sites and devices registered at
central, one bundle per device, `frontdesk edge enroll` installing it with the right file modes;
re-credentialing replaces only the credential; every bad bundle is refused with its reason and
nothing is written."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from frontdesk.central.fleet.broker import render_acl
from frontdesk.central.fleet.roles import ROLES, config_template
from frontdesk.edge.config import parse_edge
from frontdesk.edge.enroll import edge_config_text, enroll
from frontdesk.enrolment import MAX_BUNDLE_BYTES, BundleError, load_bundle

SITE = "garden-court"


def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "frontdesk", *args], capture_output=True, text=True, timeout=60)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def central_file(tmp_path, database_url) -> Path:
    cfg = tmp_path / "central.toml"
    cfg.write_text(f'[central]\ndatabase_url = "{database_url}"\ncommand_key_dir = "{tmp_path / "keys"}"\n\n'
                   f'[fleet]\ndir = "{tmp_path / "fleet"}"\norganisation = "花园物业"\n'
                   f'broker_host = "mqtt.garden.lan"\nbroker_names = ["10.0.0.5"]\n')
    run("central", "keys", "create", "-c", str(cfg))
    return cfg


def mode(path: Path) -> str:
    return oct(path.stat().st_mode & 0o777)


def test_a_device_from_registration_to_enrolled(tmp_path, central_file):
    c = str(central_file)
    added = json.loads(run("central", "site", "add", "-c", c, SITE, "--name", "花园阁物业服务中心").stdout)
    assert mode(Path(added["pass_key"])) == "0o600"
    bundle = tmp_path / "desk-1.bundle"
    out = json.loads(run("central", "device", "add", "-c", c, SITE, "desk-1", "--role", "desk",
                         "-o", str(bundle)).stdout)
    assert mode(bundle) == "0o600" and out["serial"]
    # Refusals, each with its reason and exit status 2.
    for args, reason in ((("device", "add", "-c", c, SITE, "desk-1", "--role", "desk"), "registered already"),
                         (("device", "add", "-c", c, "nowhere", "desk-1", "--role", "desk"), "not registered"),
                         (("device", "add", "-c", c, SITE, "central-rules", "--role", "desk"), "reserved"),
                         (("site", "add", "-c", c, SITE), "registered already"),
                         (("device", "recredential", "-c", c, SITE, "desk-9"), "not registered")):
        done = run("central", *args, ok=False)
        assert done.returncode == 2 and reason in done.stderr, (args, done.stderr)
    # The broker's files from the registry.
    conf = json.loads(run("central", "broker-config", "-c", c).stdout)
    acl = (Path(conf["mosquitto_conf"]).parent / "frontdesk.acl").read_text()
    assert "user desk-1@garden-court\ntopic write frontdesk/v1/garden-court/desk-1/events\n" in acl
    san = x509.load_pem_x509_certificate((Path(conf["mosquitto_conf"]).parent / "server.crt").read_bytes()) \
        .extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "mqtt.garden.lan" in san.get_values_for_type(x509.DNSName)
    assert conf["central_mqtt"]["tls_cert"].endswith("central.crt")
    # A new name for the broker: the next broker-config gives it a certificate carrying it.
    central_file.write_text(central_file.read_text().replace('"10.0.0.5"', '"10.0.0.6"'))
    run("central", "broker-config", "-c", c)
    san = x509.load_pem_x509_certificate((Path(conf["mosquitto_conf"]).parent / "server.crt").read_bytes()) \
        .extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["10.0.0.6"]

    # On the edge.
    etc, data = tmp_path / "etc", tmp_path / "var"
    done = json.loads(run("edge", "enroll", str(bundle), "--dir", str(etc), "--data-dir", str(data)).stdout)
    assert done["config_written"] and done["serial"] == out["serial"]
    assert mode(etc / "tls" / "device.key") == "0o600" and mode(etc / "edge.toml") == "0o640"
    assert mode(etc / "tls") == "0o700"
    run("edge", "check-config", str(etc / "edge.toml"))
    written = tomllib.loads((etc / "edge.toml").read_text())
    assert written["site"]["name"] == "花园阁物业服务中心" and written["mqtt"]["host"] == "mqtt.garden.lan"
    assert written["phone"]["device"] == "serial:/dev/frontdesk-modem" and "printer" in written
    assert written["mqtt"]["port"] == 8883

    # Re-credentialing: a new certificate; the edited edge file is left alone.
    (etc / "edge.toml").write_text((etc / "edge.toml").read_text().replace('family = "auto"', 'family = "cx93001"'))
    before = (etc / "edge.toml").read_bytes()
    fresh = tmp_path / "desk-1.new"
    run("central", "device", "recredential", "-c", c, SITE, "desk-1", "-o", str(fresh))
    again = json.loads(run("edge", "enroll", str(fresh), "--dir", str(etc)).stdout)
    assert not again["config_written"] and again["serial"] != out["serial"]
    assert (etc / "edge.toml").read_bytes() == before
    assert (etc / "tls" / "device.crt").read_text() == json.loads(fresh.read_text())["certificate"]

    # Another device's bundle does not take over this machine unless told to.
    gate = tmp_path / "gate.bundle"
    run("central", "device", "add", "-c", c, SITE, "gate-1", "--role", "gate", "-o", str(gate))
    refused = run("edge", "enroll", str(gate), "--dir", str(etc), ok=False)
    assert refused.returncode == 2 and "belongs to desk-1@garden-court" in refused.stderr
    assert (etc / "tls" / "device.crt").read_text() == json.loads(fresh.read_text())["certificate"]
    run("edge", "enroll", str(gate), "--dir", str(etc), "--replace-config")
    assert tomllib.loads((etc / "edge.toml").read_text())["access"]["role"] == "gate"

    listing = [json.loads(line) for line in run("central", "device", "list", "-c", c).stdout.splitlines()]
    desk = next(d for d in listing if d["device"] == "desk-1")
    assert desk["state"] == "active" and len(desk["credentials"]) == 2
    retired = json.loads(run("central", "device", "retire-old", "-c", c, SITE, "desk-1").stdout)
    assert retired["revoked"] == 1
    crl = x509.load_pem_x509_crl((Path(conf["mosquitto_conf"]).parent / "crl.pem").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(int(out["serial"], 16)) is not None


@pytest.mark.parametrize("role", ROLES)
def test_every_role_starts_from_a_valid_edge_file(tmp_path, role):
    from frontdesk.passes.keys import generate_key, public_text
    key = public_text(generate_key())
    template = config_template(role, property_name="花园阁", pass_public_keys=[key])
    bundle = _bundle(tmp_path, role=role, template=template, keys=[key])
    text = edge_config_text(bundle, Path("/etc/frontdesk/tls"), Path("/var/lib/frontdesk/edge"))
    parse_edge(tomllib.loads(text))


def test_the_acl_grants_a_device_its_four_topics_and_nothing_else():
    acl = render_acl([("s1", "desk-1"), ("s2", "desk-1")])
    blocks = {b.splitlines()[0]: b.splitlines()[1:] for b in acl.split("\n\n") if b.startswith("user ")}
    central = blocks.pop("user frontdesk-central")
    assert all(line.split()[1] == ("read" if "events" in line or "status" in line else "write") for line in central)
    assert blocks["user desk-1@s1"] == ["topic write frontdesk/v1/s1/desk-1/events",
                                        "topic write frontdesk/v1/s1/desk-1/status",
                                        "topic read frontdesk/v1/s1/desk-1/acks",
                                        "topic read frontdesk/v1/s1/desk-1/commands"]
    assert "pattern" not in acl and "%u" not in acl
    assert "+" not in "".join(line for block in blocks.values() for line in block)


# -- bad bundles ---------------------------------------------------------------------------------

def _fleet_bundle(tmp_path, device="desk-1"):
    """A genuine bundle from a registry (SQLite) for the tampering cases."""
    from frontdesk.demo.fleet import LocalFleet
    from frontdesk.passes.keys import generate_key, public_text
    fleet = LocalFleet(tmp_path / "f", f"sqlite:///{tmp_path / 'f.db'}", [public_text(generate_key())])
    if not fleet.registry().sites():
        fleet.add_site(SITE)
    return fleet, json.loads(fleet.registry().add_device(SITE, device, "agent"))


def _bundle(tmp_path, role="agent", template="", keys=None):
    from frontdesk.enrolment import Bundle
    _, raw = _fleet_bundle(tmp_path / role)
    raw.update(role=role, config_template=template)
    if keys:
        raw["pass_public_keys"] = keys
    return Bundle.model_validate(raw)


def _expired(fleet, raw):
    ca_key = serialization.load_pem_private_key(fleet.registry().ca.key_path.read_bytes(), None)
    ca = x509.load_pem_x509_certificate(raw["ca_certificate"].encode())
    key = serialization.load_pem_private_key(raw["private_key"].encode(), None)
    then = datetime.now(UTC) - timedelta(days=400)
    cert = (x509.CertificateBuilder().subject_name(x509.load_pem_x509_certificate(raw["certificate"].encode()).subject)
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(then).not_valid_after(then + timedelta(days=30)).sign(ca_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _tampered(tmp_path, case):
    fleet, raw = _fleet_bundle(tmp_path)
    if case == "another device's certificate":
        raw["certificate"] = json.loads(fleet.registry().add_device(SITE, "gate-1", "agent"))["certificate"]
    elif case == "a key that is not the certificate's":
        other = ec.generate_private_key(ec.SECP256R1())
        raw["private_key"] = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()).decode()
    elif case == "a certificate from another CA":
        _, foreign = _fleet_bundle(tmp_path / "elsewhere")
        raw["certificate"], raw["private_key"] = foreign["certificate"], foreign["private_key"]
    elif case == "an expired certificate":
        raw["certificate"] = _expired(fleet, raw)
    elif case == "garbage instead of PEM":
        raw["certificate"] = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
    return json.dumps(raw).encode()


BAD_FILES = {
    "not JSON": b"{this is not json",
    "not UTF-8": b"\xff\xfe{}",
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "larger than any bundle": b" " * (MAX_BUNDLE_BYTES + 10),
    "a JSON list": b"[1, 2]",
    "another format": json.dumps({"format": "frontdesk-enrolment/9"}).encode(),
    "format only": json.dumps({"format": "frontdesk-enrolment/1"}).encode(),
}
TAMPERED = ["another device's certificate", "a key that is not the certificate's", "a certificate from another CA",
            "an expired certificate", "garbage instead of PEM"]


@pytest.mark.parametrize("case", list(BAD_FILES) + TAMPERED + ["an extra key", "a device id with a slash",
                                                                "a directory", "no such file"])
def test_a_bad_bundle_is_refused_with_its_reason_and_nothing_is_written(tmp_path, case):
    path = tmp_path / "bundle"
    if case in BAD_FILES:
        path.write_bytes(BAD_FILES[case])
    elif case in TAMPERED:
        path.write_bytes(_tampered(tmp_path, case))
    elif case == "an extra key":
        _, raw = _fleet_bundle(tmp_path)
        path.write_text(json.dumps({**raw, "trust_everyone": True}))
    elif case == "a device id with a slash":
        _, raw = _fleet_bundle(tmp_path)
        path.write_text(json.dumps({**raw, "device": "desk-1/../../x"}))
    elif case == "a directory":
        path.mkdir()
    target = tmp_path / "etc"
    done = run("edge", "enroll", str(path), "--dir", str(target), ok=False)
    assert done.returncode == 2 and done.stderr.startswith("frontdesk edge enroll: "), done.stderr
    assert "Traceback" not in done.stderr
    assert not target.exists()
    with pytest.raises(BundleError):
        enroll(load_bundle(path), target)


@pytest.mark.skipif(__import__("os").geteuid() != 0, reason="giving files to another user needs root")
def test_enroll_gives_the_key_to_the_user_the_agent_runs_as(tmp_path):
    import pwd
    _, raw = _fleet_bundle(tmp_path)
    bundle = tmp_path / "b"
    bundle.write_text(json.dumps(raw))
    run("edge", "enroll", str(bundle), "--dir", str(tmp_path / "etc"), "--owner", "nobody")
    key = tmp_path / "etc" / "tls" / "device.key"
    assert pwd.getpwuid(key.stat().st_uid).pw_name == "nobody" and mode(key) == "0o600"
    done = run("edge", "enroll", str(bundle), "--dir", str(tmp_path / "etc2"), "--owner", "no-such-user", ok=False)
    assert done.returncode == 2 and "cannot install" in done.stderr
