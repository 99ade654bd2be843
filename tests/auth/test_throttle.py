"""The login throttle, on SQLite and PostgreSQL: per (account, address) pair, per account, per
address; Retry-After growing to its cap; a success resets; unknown names answered like real ones;
X-Forwarded-For believed only from trusted proxies; lockouts audited and logged."""
from __future__ import annotations

import logging

import pytest
from starlette.requests import Request

import frontdesk.central.auth.accounts as accounts_module
from frontdesk.central.auth.clients import client_address, networks

from .helpers import PASSWORD


def _locked(r, seconds: int) -> None:
    assert r.status_code == 429, (r.status_code, r.text)
    assert r.headers["Retry-After"] == str(seconds), r.headers.get("Retry-After")
    assert f"{seconds} s" in r.json()["detail"]


def test_pair_lock_grows_and_a_refused_attempt_checks_no_password(logins, monkeypatch):
    logins.central.user("desk")
    checked = []
    real = accounts_module.verify_password
    monkeypatch.setattr(accounts_module, "verify_password", lambda *a: checked.append(1) or real(*a))
    logins.fail("desk", 5)
    assert len(checked) == 5
    _locked(logins.login("desk", PASSWORD), 30)  # even the right password is refused ...
    _locked(logins.login("desk", "wrong again"), 30)
    assert len(checked) == 5  # ... without looking at it, and refused tries do not count
    logins.clock.advance(seconds=29)
    _locked(logins.login("desk", PASSWORD), 1)
    # another address is not held back by this pair (the account has 5 of its 20)
    assert logins.login("desk", "wrong from elsewhere", "10.0.0.2").status_code == 401
    logins.clock.advance(seconds=2)
    logins.fail("desk", 1)  # the 6th failure: 60 s
    _locked(logins.login("desk", PASSWORD), 60)
    waits = []
    for _ in range(6):  # 120, 240, 480, then the cap of 15 min
        logins.clock.advance(seconds=901)
        logins.fail("desk", 1)
        waits.append(int(logins.login("desk", PASSWORD).headers["Retry-After"]))
    assert waits == [120, 240, 480, 900, 900, 900]
    logins.clock.advance(seconds=901)
    assert logins.login("desk", PASSWORD).status_code == 200
    # a success starts the counters again: 5 more failures before a lock
    logins.fail("desk", 5)
    _locked(logins.login("desk", PASSWORD), 30)


def test_the_window_forgets_old_failures(logins):
    logins.central.user("desk")
    logins.fail("desk", 4)
    logins.clock.advance(minutes=61)
    logins.fail("desk", 4)  # the first four are forgotten: no lock yet
    assert logins.login("desk", PASSWORD).status_code == 200


def test_unknown_and_real_names_get_the_same_answers(logins):
    logins.central.user("desk")
    answers = {}
    for name, address in (("desk", "10.0.1.1"), ("nobody-here", "10.0.1.2")):
        for i in range(5):
            r = logins.login(name, f"wrong {i}", address)
            assert (r.status_code, r.json()) == (401, {"detail": "wrong user name or password"})
        r = logins.login(name, "anything", address)
        answers[name] = (r.status_code, r.headers["Retry-After"], r.json())
    assert answers["desk"] == answers["nobody-here"]
    assert answers["desk"][0] == 429


def test_account_limit_across_addresses_spares_a_familiar_address(logins, caplog):
    logins.central.user("desk")
    assert logins.login("desk", PASSWORD, "192.168.1.10").status_code == 200  # the desk PC, familiar
    caplog.set_level(logging.WARNING, logger="frontdesk.central.auth.throttle")
    for n in range(4):  # 4 addresses x 5 = the account's 20
        logins.fail("desk", 5, f"203.0.113.{n}")
    _locked(logins.login("desk", PASSWORD, "198.51.100.7"), 30)  # a new address: the account is locked
    assert "login locked: account 'desk'" in caplog.text
    # the desk PC is held back by its own pair counter only, and its login resets the account's
    assert logins.login("desk", PASSWORD, "192.168.1.10").status_code == 200
    assert logins.login("desk", "wrong", "198.51.100.7").status_code == 401
    audit = logins.central.accounts.list_audit(sites=None)
    locks = [a for a in audit if a["action"] == "login.locked"]
    assert len(locks) == 4 and {a["entity_id"] for a in locks} == {"desk"}
    assert "account" in locks[0]["detail"] and "pair" in locks[-1]["detail"]  # newest first


def test_one_address_spraying_many_names_is_stopped_without_locking_them(logins):
    logins.central.user("desk")
    assert logins.login("desk", PASSWORD, "10.2.0.1").status_code == 200  # desk works from the shared address
    for n in range(6):  # 6 names x 5 = the address's 30 (each pair locks at 5 too)
        logins.fail(f"guess-{n}", 5, "10.2.0.1")
    _locked(logins.login("manager-x", "some guess", "10.2.0.1"), 30)  # a 7th name from there: refused
    # ... but from anywhere else that name (or a sprayed one) is only at its pair counter
    assert logins.login("manager-x", "some guess", "10.3.0.1").status_code == 401
    assert logins.login("guess-0", "some guess", "10.3.0.1").status_code == 401
    # and the account that logs in from the shared address is not held back by the address lock
    assert logins.login("desk", PASSWORD, "10.2.0.1").status_code == 200


PROXY = {"auth": {"trusted_proxies": ["10.9.0.1", "10.8.0.0/16"]}}


@pytest.mark.parametrize("logins", [PROXY], indirect=True, ids=["trusted-proxy"])
def test_forwarded_for_is_believed_only_from_trusted_proxies(logins):
    logins.central.user("desk")
    via = {"X-Forwarded-For": "198.51.100.20"}
    logins.fail("desk", 5, "10.9.0.1", via)
    _locked(logins.login("desk", PASSWORD, "10.9.0.1", via), 30)
    # the same proxy for another client: that client's own pair
    assert logins.login("desk", PASSWORD, "10.9.0.1", {"X-Forwarded-For": "198.51.100.21"}).status_code == 200
    # a client claiming to be someone else each time: the header is ignored, the peer is counted
    for i in range(5):
        r = logins.login("desk", "wrong", "203.0.113.9", {"X-Forwarded-For": f"192.0.2.{i}"})
        assert r.status_code == 401
    _locked(logins.login("desk", PASSWORD, "203.0.113.9", {"X-Forwarded-For": "192.0.2.99"}), 30)


def test_forwarded_for_only_from_trusted_proxies_by_default(logins):
    logins.central.user("desk")
    for i in range(5):  # no trusted proxies configured: the header counts for nothing
        assert logins.login("desk", "wrong", "127.0.0.1", {"X-Forwarded-For": f"192.0.2.{i}"}).status_code == 401
    _locked(logins.login("desk", PASSWORD, "127.0.0.1", {"X-Forwarded-For": "192.0.2.50"}), 30)


def _request(peer: str, forwarded: list[str]) -> Request:
    headers = [(b"x-forwarded-for", v.encode()) for v in forwarded]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers, "client": (peer, 1)})


def test_client_address_walks_forwarded_for_from_the_right():
    proxies = networks(["10.9.0.1", "10.8.0.0/16"])
    assert client_address(_request("10.9.0.1", ["1.1.1.1"]), proxies) == "1.1.1.1"
    # what the client wrote itself (left) is ignored: the first untrusted hop from the right counts
    assert client_address(_request("10.9.0.1", ["6.6.6.6, 2.2.2.2, 10.8.3.4"]), proxies) == "2.2.2.2"
    assert client_address(_request("10.9.0.1", ["6.6.6.6", "2.2.2.2"]), proxies) == "2.2.2.2"
    assert client_address(_request("10.9.0.1", ["junk, 2.2.2.2"]), proxies) == "2.2.2.2"
    assert client_address(_request("10.9.0.1", ["2.2.2.2, junk"]), proxies) == "10.9.0.1"
    assert client_address(_request("10.9.0.1", []), proxies) == "10.9.0.1"
    assert client_address(_request("5.5.5.5", ["1.1.1.1"]), proxies) == "5.5.5.5"
    assert client_address(_request("5.5.5.5", ["1.1.1.1"]), ()) == "5.5.5.5"


@pytest.mark.parametrize("logins", [PROXY], indirect=True, ids=["trusted-proxy"])
def test_residents_sign_in_limits_count_the_client_a_trusted_proxy_names(logins):
    """The residents' code requests are limited per client address (10 per 15 min) by the same
    rule: behind a trusted proxy each resident is counted, not the proxy."""
    ask = "/api/v1/sites/garden-court/resident/code"
    proxy = logins.client("10.9.0.1")
    for i in range(12):  # 12 residents behind the proxy: none is held back by the others
        r = proxy.post(ask, json={"phone": f"1360013{i:04d}"}, headers={"X-Forwarded-For": f"198.51.100.{i}"})
        assert r.status_code == 202, (i, r.text)
    same = [proxy.post(ask, json={"phone": f"1370013{i:04d}"}, headers={"X-Forwarded-For": "198.51.100.200"})
            .status_code for i in range(11)]
    assert same == [202] * 10 + [429]
    # an untrusted client cannot spread its requests over made-up addresses
    direct = logins.client("203.0.113.50")
    spoofed = [direct.post(ask, json={"phone": f"1380013{i:04d}"}, headers={"X-Forwarded-For": f"192.0.2.{i}"})
               .status_code for i in range(11)]
    assert spoofed == [202] * 10 + [429]
