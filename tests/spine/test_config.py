"""Configuration errors name the file, the key and what is wrong."""
from __future__ import annotations

import pytest

from frontdesk.central.config import load_central
from frontdesk.cli import main
from frontdesk.config import ConfigError
from frontdesk.edge.config import load_edge

GOOD = """
[site]
id = "garden-court"
timezone = "Asia/Shanghai"
[edge]
device = "desk-1"
data_dir = "/tmp/x"
[mqtt]
port = 1883
"""


def write(tmp_path, text, name="edge.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_file_loads(tmp_path):
    cfg = load_edge(write(tmp_path, GOOD))
    assert cfg.site.id == "garden-court" and cfg.edge.journal_path.name == "journal.db"
    assert cfg.uplink.batch_max_events == 500


@pytest.mark.parametrize("text, expected", [
    (GOOD.replace("port = 1883", "port = 70000"),
     "edge.toml: mqtt.port: Input should be less than or equal to 65535 (got 70000)"),
    (GOOD.replace('device = "desk-1"', 'devcie = "desk-1"'), "edge.toml: edge.devcie: unknown key"),
    (GOOD.replace('device = "desk-1"', ""), "edge.toml: edge.device: required key is missing"),
    (GOOD.replace("Asia/Shanghai", "Asia/Atlantis"), "edge.toml: site.timezone: Value error, unknown time zone"),
    (GOOD.replace('"garden-court"', '"garden/court"'), "edge.toml: site.id: String should match pattern"),
    (GOOD + "\n[uplink]\nack_timeout_s = -1\n", "edge.toml: uplink.ack_timeout_s"),
    ("[site\nid=1", "edge.toml: not valid TOML"),
])
def test_errors_name_file_key_and_problem(tmp_path, text, expected):
    with pytest.raises(ConfigError) as err:
        load_edge(write(tmp_path, text))
    assert expected in str(err.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_edge(tmp_path / "missing.toml")
    bad = tmp_path / "edge.toml"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_edge(bad)


def test_central_database_url_checked(tmp_path):
    with pytest.raises(ConfigError, match="central.database_url: Value error, must be a sqlite"):
        load_central(write(tmp_path, '[central]\ndatabase_url = "mysql://x"\n', "central.toml"))


def test_cli_reports_config_errors_and_exits_2(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("port = 1883", 'port = "x"'))
    assert main(["edge", "check-config", str(path)]) == 2
    assert "mqtt.port" in capsys.readouterr().err


def test_a_public_key_that_does_not_load_is_refused_by_the_key_that_lists_it():
    import pytest
    from pydantic import ValidationError

    from frontdesk.edge.access.config import AccessConfig
    from frontdesk.edge.config import UplinkConfig

    for model, field in ((AccessConfig, "site_public_keys"), (UplinkConfig, "command_public_keys")):
        with pytest.raises(ValidationError, match=f"(?s){field}.*not 32 bytes of base64"):
            model(**{field: ["ed25519:xx"]})


def test_the_command_line_names_its_version():
    """A vulnerability report names the version (SECURITY.md): `frontdesk --version`."""
    import subprocess
    import sys

    from frontdesk import __version__

    out = subprocess.run([sys.executable, "-m", "frontdesk", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"frontdesk {__version__}"
