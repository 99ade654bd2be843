"""The one rule for secrets (frontdesk/runtime/files.py): written owner-only, refused when others
may read them, and every service refuses to start on one with the file named and the fix."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from frontdesk.passes.keys import generate_key, load_private_key, save_private_key
from frontdesk.runtime.files import (
    EXIT_UNSAFE_FILE,
    UnsafeFileError,
    check_not_public,
    check_secret,
    private_dir,
    private_file,
    restrict_umask,
)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def frontdesk(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    # umask 0 in the child: what it writes is owner-only because the command sets its own umask.
    return subprocess.run([sys.executable, "-m", "frontdesk", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=lambda: os.umask(0))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_private_file_is_0600_from_the_start_whatever_the_umask_or_the_old_file(tmp_path):
    old = os.umask(0)
    try:
        target = tmp_path / "new" / "deeper" / "k.pem"
        private_file(target, b"secret")
        assert mode(target) == 0o600 and target.read_bytes() == b"secret"
        assert mode(target.parent) == 0o700 and mode(target.parent.parent) == 0o750
        loose = tmp_path / "loose.key"
        loose.write_bytes(b"old")
        os.chmod(loose, 0o644)
        save_private_key(generate_key(), loose)  # replaces it: the old mode does not survive
        assert mode(loose) == 0o600
        assert not list(tmp_path.glob(".*.tmp"))
        assert mode(private_dir(tmp_path / "d")) == 0o700
    finally:
        os.umask(old)


def test_restrict_umask_keeps_a_stricter_one_and_tightens_a_looser_one():
    old = os.umask(0o022)
    try:
        restrict_umask()
        assert os.umask(0o077) == 0o027
        restrict_umask()
        assert os.umask(old) == 0o077
    finally:
        os.umask(old)


@pytest.mark.parametrize("loose", [0o644, 0o640, 0o604, 0o660, 0o620])
def test_a_secret_others_may_read_is_refused_with_the_fix(tmp_path, loose):
    key = tmp_path / "site.key"
    save_private_key(generate_key(), key)
    check_secret(key)
    load_private_key(key)
    os.chmod(key, loose)
    with pytest.raises(UnsafeFileError) as err:
        load_private_key(key)
    assert str(key) in str(err.value) and f"chmod 600 {key}" in str(err.value) and f"{loose:04o}" in str(err.value)
    os.chmod(key, 0o400)
    load_private_key(key)  # read-only for its owner is fine


@pytest.mark.skipif(os.geteuid() != 0, reason="a file of another user can only be made by root")
def test_as_root_a_secret_another_user_owns_is_refused(tmp_path):
    key = tmp_path / "k.pem"
    save_private_key(generate_key(), key)
    os.chown(key, 65534, 65534)
    with pytest.raises(UnsafeFileError, match="belongs to .*uid 65534.*chown root"):
        check_secret(key)


def test_a_config_with_a_password_may_be_read_by_the_group_not_by_others(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("x")
    os.chmod(cfg, 0o640)
    check_not_public(cfg, "a password")
    os.chmod(cfg, 0o644)
    with pytest.raises(UnsafeFileError, match=f"chmod o-rwx {cfg}"):
        check_not_public(cfg, "a password")


def refused(done: subprocess.CompletedProcess, path: Path, fix: str) -> None:
    assert done.returncode == EXIT_UNSAFE_FILE, done.stdout + done.stderr
    assert "refusing to start" in done.stderr and str(path) in done.stderr and fix in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


# -- central ---------------------------------------------------------------------------------------

@pytest.fixture
def central_files(tmp_path):
    """A central file whose command keys, fleet CA and site pass key exist, all 0600."""
    root = tmp_path / "central"
    fleet = root / "fleet"
    pass_key = root / "pass" / "site.key"
    save_private_key(generate_key(), pass_key)
    cfg = root / "central.toml"
    port = free_port()
    cfg.write_text(f'[central]\ndatabase_url = "sqlite:///{root}/central.db"\nhttp_port = {free_port()}\n'
                   f'command_key_dir = "{root}/keys"\n\n[mqtt]\nport = {port}\n\n'
                   f'[fleet]\ndir = "{fleet}"\nbroker_host = "127.0.0.1"\nbroker_port = {port}\n\n'
                   f'[tickets.pass_keys]\nsite-a = "{pass_key}"\n')
    assert frontdesk("central", "keys", "create", "-c", str(cfg)).returncode == 0
    done = frontdesk("central", "broker-config", "-c", str(cfg))
    assert done.returncode == 0, done.stderr
    return cfg, root


@pytest.mark.parametrize("which", ["command key", "CA key", "central TLS key", "broker TLS key", "pass key"])
def test_central_refuses_to_start_with_a_key_others_may_read(central_files, which):
    cfg, root = central_files
    paths = {"command key": next((root / "keys").glob("*.pem")), "CA key": root / "fleet" / "ca" / "ca.key",
             "central TLS key": root / "fleet" / "central" / "central.key",
             "broker TLS key": root / "fleet" / "broker" / "server.key", "pass key": root / "pass" / "site.key"}
    for path in paths.values():
        assert mode(path) == 0o600, path  # as they were written
    os.chmod(paths[which], 0o644)
    refused(frontdesk("central", "run", "-c", str(cfg)), paths[which], f"chmod 600 {paths[which]}")


def test_central_starts_when_every_key_is_owner_only(central_files):
    cfg, _ = central_files
    proc = subprocess.Popen([sys.executable, "-m", "frontdesk", "central", "run", "-c", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(4)
        assert proc.poll() is None, proc.communicate()[0]
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.mark.parametrize("url", ["postgresql://frontdesk:s3cret@127.0.0.1:1/frontdesk", None])
def test_central_refuses_a_config_others_may_read_when_it_holds_a_password(tmp_path, url):
    cfg = tmp_path / "central.toml"
    if url:
        cfg.write_text(f'[central]\ndatabase_url = "{url}"\n')
    else:
        cfg.write_text(f'[central]\ndatabase_url = "sqlite:///{tmp_path}/c.db"\n\n'
                       '[mqtt]\nport = 1\nusername = "central"\npassword = "s3cret"\n')
    os.chmod(cfg, 0o644)
    done = frontdesk("central", "run", "-c", str(cfg))
    refused(done, cfg, f"chmod o-rwx {cfg}")
    assert "s3cret" not in done.stderr


# -- edge ------------------------------------------------------------------------------------------

def edge_file(tmp_path: Path, extra: str = "", mqtt: str | None = None) -> Path:
    tls = tmp_path / "tls"
    for name in ("ca.crt", "device.crt"):
        (tls / name).parent.mkdir(exist_ok=True)
        (tls / name).write_text("-----BEGIN CERTIFICATE-----\n")
    private_file(tls / "device.key", b"-----BEGIN PRIVATE KEY-----\n")
    cfg = tmp_path / "edge.toml"
    mqtt = mqtt or (f'[mqtt]\nport = {free_port()}\ntls_ca = "{tls}/ca.crt"\ntls_cert = "{tls}/device.crt"\n'
                    f'tls_key = "{tls}/device.key"\n')
    cfg.write_text(f'[site]\nid = "s"\n\n[edge]\ndevice = "d"\ndata_dir = "{tmp_path}/data"\n\n{mqtt}\n{extra}')
    return cfg


def test_edge_refuses_to_start_with_a_tls_key_others_may_read(tmp_path):
    cfg = edge_file(tmp_path)
    key = tmp_path / "tls" / "device.key"
    os.chmod(key, 0o644)
    refused(frontdesk("edge", "run", "-c", str(cfg)), key, f"chmod 600 {key}")
    assert not (tmp_path / "data").exists()  # refused before anything was opened


def test_edge_refuses_a_config_others_may_read_with_the_broker_password(tmp_path):
    cfg = edge_file(tmp_path, mqtt=f'[mqtt]\nport = {free_port()}\nusername = "d"\npassword = "pw"\n')
    os.chmod(cfg, 0o644)
    refused(frontdesk("edge", "run", "-c", str(cfg)), cfg, f"chmod o-rwx {cfg}")


def test_edge_refuses_a_private_pass_key_others_may_read_named_as_a_public_key(tmp_path):
    key = tmp_path / "site.key"
    save_private_key(generate_key(), key)
    os.chmod(key, 0o644)
    cfg = edge_file(tmp_path, extra=f'[uplink]\ncommand_public_keys = ["{key}"]\n')
    refused(frontdesk("edge", "run", "-c", str(cfg)), key, f"chmod 600 {key}")


def test_edge_starts_with_owner_only_secrets_and_its_stores_are_not_for_others(tmp_path):
    cfg = edge_file(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "frontdesk", "edge", "run", "-c", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: os.umask(0))
    try:
        wal = tmp_path / "data" / "journal.db-wal"
        deadline = time.monotonic() + 20
        while not wal.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()[0]
        assert wal.exists()
        for path in (tmp_path / "data", *(tmp_path / "data").iterdir()):
            assert mode(path) & 0o007 == 0, (path, oct(mode(path)))
        assert mode(tmp_path / "data") == 0o750
    finally:
        proc.terminate()
        proc.wait(20)


def test_passes_issue_refuses_a_key_others_may_read(tmp_path):
    key = tmp_path / "site.key"
    assert frontdesk("passes", "keygen", "--out", str(key)).returncode == 0
    assert mode(key) == 0o600
    os.chmod(key, 0o640)
    done = frontdesk("passes", "issue", "--key", str(key), "--site", "s", "--unit", "1-101", "--name", "x")
    refused(done, key, f"chmod 600 {key}")
