"""The password policy, for every way a password is set: the API (POST /users), the accounts
(add_user, set_password), the `frontdesk central user` CLI and the demo's accounts."""
from __future__ import annotations

import subprocess
import sys

import pytest

from frontdesk.central.auth.accounts import AccountError
from frontdesk.central.auth.policy import WeakPassword, check_password
from frontdesk.demo.system import ACCOUNTS, DemoSystem

from ..central.helpers import SITE
from .helpers import PASSWORD

REFUSED = [
    ("12345678", "at least 10 characters"),
    ("1234567890", "commonly used password"),
    ("password123", "commonly used password"),
    ("P@ssw0rd2024", "commonly used password"),
    ("qwertyuiop", "commonly used password"),
    ("aaaaaaaaaaaa", "repeated"),
    ("abcabcabcabc", "repeated"),
    ("abcdefghijkl", "sequence"),
    ("zhao-secret-99", "user name"),  # for the user zhao
    ("ZHAO2026abcd", "user name"),
    ("19871231abc", "date"),
    # passwords common in China: pinyin names and words, love numbers
    ("woaini1314520", "pinyin"),
    ("zhangwei1988", "pinyin"),
    ("wangfang520520", "pinyin"),
]


@pytest.mark.parametrize(("password", "why"), REFUSED, ids=[p for p, _ in REFUSED])
def test_weak_passwords_are_refused_saying_why(password, why):
    with pytest.raises(WeakPassword) as err:
        check_password(password, "zhao", "Zhao Min")
    assert why in str(err.value)


@pytest.mark.parametrize("password", [PASSWORD, "correct-horse-9", "lobby-demo-2026", "tea kettle on the sill",
                                      "Li Wei 1988!"])
def test_good_passwords_pass(password):
    check_password(password, "zhao", "Zhao Min")


def test_the_demo_accounts_pass_the_policy_and_no_two_demos_share_one(tmp_path):
    first, second = DemoSystem(tmp_path / "one"), DemoSystem(tmp_path / "two")
    for username in ACCOUNTS:
        check_password(first.password(username), username, username)
        assert first.password(username) != second.password(username)
        assert DemoSystem(tmp_path / "one").password(username) == first.password(username)  # kept in its folder
    assert (tmp_path / "one" / "accounts.json").stat().st_mode & 0o077 == 0


def test_api_refuses_a_weak_password(central_sqlite):
    admin = central_sqlite.client("admin")
    r = admin.post("/api/v1/users", json={"username": "zhao", "password": "12345678", "role": "guard",
                                          "sites": [SITE]})
    assert r.status_code == 422 and "at least 10 characters" in r.json()["detail"]
    r = admin.post("/api/v1/users", json={"username": "zhao", "password": "password1234", "role": "guard",
                                          "sites": [SITE]})
    assert r.status_code == 422 and "commonly used password" in r.json()["detail"]
    assert central_sqlite.accounts.get_user("zhao") is None
    r = admin.post("/api/v1/users", json={"username": "zhao", "password": "tea kettle on the sill", "role": "guard",
                                          "sites": [SITE]})
    assert r.status_code == 201


def test_set_password_refuses_a_weak_one_and_keeps_the_old(central_sqlite):
    accounts = central_sqlite.accounts
    central_sqlite.user("desk")
    with pytest.raises(AccountError, match="user name"):
        accounts.set_password("desk", "my-desk-password")
    with pytest.raises(AccountError, match="sequence"):
        accounts.set_password("desk", "9876543210")
    assert accounts.login("desk", PASSWORD) is not None
    accounts.set_password("desk", "tea kettle on the sill")
    assert accounts.login("desk", PASSWORD) is None


def test_cli_refuses_a_weak_password(tmp_path, sqlite_url):
    cfg = tmp_path / "central.toml"
    cfg.write_text(f'[central]\ndatabase_url = "{sqlite_url}"\n')

    def run(*a, stdin=""):
        return subprocess.run([sys.executable, "-m", "frontdesk", "central", "user", *a, "-c", str(cfg)],
                              input=stdin, capture_output=True, text=True, timeout=120)

    r = run("add", "wulin", "--role", "desk", "--sites", SITE, "--password-stdin", stdin="12345678\n")
    assert r.returncode == 2 and "at least 10 characters" in r.stderr
    r = run("add", "wulin", "--role", "desk", "--sites", SITE, "--password-stdin", stdin="iloveyou123\n")
    assert r.returncode == 2 and "commonly used password" in r.stderr
    r = run("add", "wulin", "--role", "desk", "--sites", SITE, "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    r = run("passwd", "wulin", "--password-stdin", stdin="WuLin-on-duty-7\n")
    assert r.returncode == 2 and "user name" in r.stderr
