"""What central shows beyond loopback: the session cookie's Secure flag per host, the config check
for a plain cookie on the network, the API documentation switch, and error answers that never
carry an exception's text."""
from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from frontdesk.central.config import ConfigError, loopback, parse_central, secure_cookies

from ..central.helpers import PASSWORD, Central


def _cfg(central: dict | None = None, **sections) -> dict:
    return {"central": {"database_url": "sqlite:////tmp/x.db", **(central or {})}, **sections}


@pytest.mark.parametrize(("host", "public_url", "secure"), [
    ("127.0.0.1", "", False), ("::1", "", False), ("localhost", "", False), ("127.0.0.2", "", False),
    ("0.0.0.0", "", True), ("::", "", True), ("192.168.1.20", "", True), ("desk.garden.lan", "", True),
    # a TLS front end on this machine: central on loopback, the public address is https
    ("127.0.0.1", "https://desk.example.com", True), ("127.0.0.1", "http://desk.example.com", False),
])
def test_secure_cookie_follows_the_host(host, public_url, secure):
    cfg = parse_central(_cfg({"http_host": host}, tickets={"public_url": public_url}))
    assert secure_cookies(cfg) is secure


def test_cookie_secure_is_an_explicit_override():
    assert secure_cookies(parse_central(_cfg(auth={"cookie_secure": True}))) is True
    with pytest.raises(ConfigError, match="allow_insecure_cookie"):
        parse_central(_cfg({"http_host": "0.0.0.0"}, auth={"cookie_secure": False}))
    cfg = parse_central(_cfg({"http_host": "0.0.0.0"}, auth={"cookie_secure": False, "allow_insecure_cookie": True}))
    assert secure_cookies(cfg) is False
    # on loopback a plain cookie needs no permission
    assert secure_cookies(parse_central(_cfg(auth={"cookie_secure": False}))) is False
    assert loopback("localhost") and not loopback("0.0.0.0")


@pytest.mark.parametrize(("host", "secure"), [("127.0.0.1", False), ("0.0.0.0", True)])
def test_login_sets_the_cookie_secure_beyond_loopback(sqlite_url, host, secure):
    c = Central(sqlite_url, {"central": {"database_url": sqlite_url, "http_host": host}})
    try:
        c.user("desk")
        r = TestClient(c.app, base_url="https://testserver").post(
            "/api/v1/auth/login", json={"username": "desk", "password": PASSWORD})
        assert r.status_code == 200
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert ("; secure" in cookie) is secure
    finally:
        c.close()


DOCS = ("/docs", "/redoc", "/openapi.json")


def test_api_docs_are_off_by_default(sqlite_url):
    c = Central(sqlite_url)
    try:
        client = TestClient(c.app)
        for path in DOCS:
            assert client.get(path).status_code == 404, path
    finally:
        c.close()


def test_api_docs_on_when_asked(sqlite_url):
    c = Central(sqlite_url, {"auth": {"api_docs": True}})
    try:
        client = TestClient(c.app)
        for path in DOCS:
            assert client.get(path).status_code == 200, path
        assert "/api/v1/auth/login" in client.get("/openapi.json").json()["paths"]
    finally:
        c.close()


SECRET = "password=hunter2 at /srv/secret/db.sqlite"


def test_an_unhandled_exception_answers_a_generic_500(sqlite_url, caplog):
    c = Central(sqlite_url)
    try:
        def broken(*args, **kwargs):
            raise RuntimeError(SECRET)

        c.tickets.board = broken  # GET /api/v1/tickets fails inside the route
        client = c.client("desk")
        client_quiet = TestClient(c.app, raise_server_exceptions=False, headers=dict(client.headers))
        caplog.set_level(logging.ERROR, logger="frontdesk.central.api.errors")
        r = client_quiet.get("/api/v1/tickets")
        assert r.status_code == 500
        body = r.text
        for leak in ("hunter2", "secret", "RuntimeError", "Traceback", "board", ".py"):
            assert leak not in body, leak
        ref = r.json()["reference"]
        assert "服务器出错了" in r.json()["detail"] and "Something went wrong" in r.json()["detail"]
        # the reference finds the traceback in the log
        logged = [rec for rec in caplog.records if ref in rec.getMessage()]
        assert logged and logged[0].exc_info and SECRET in str(logged[0].exc_info[1])
        # a page a browser opens gets the same as a plain page
        r = client_quiet.get("/api/v1/tickets", headers={"Accept": "text/html"})
        assert r.status_code == 500 and "hunter2" not in r.text
    finally:
        c.close()


def test_an_unhandled_exception_on_a_page_is_a_plain_page(sqlite_url):
    c = Central(sqlite_url)
    try:
        import frontdesk.central.dashboard.routes as routes

        def broken(*args, **kwargs):
            raise OSError(SECRET)

        client = TestClient(c.app, raise_server_exceptions=False)
        original = routes.static_file
        routes.static_file = broken
        try:
            r = client.get("/dashboard/board", headers={"Accept": "text/html"})
        finally:
            routes.static_file = original
        assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
        assert "hunter2" not in r.text and "OSError" not in r.text and "编号 / Reference" in r.text
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    finally:
        c.close()


def test_missing_pages_are_plain_pages_and_api_errors_keep_their_detail(sqlite_url):
    c = Central(sqlite_url)
    try:
        client = TestClient(c.app)
        for path in ("/dashboard/no-such-page", "/dashboard/static/no-such.js", "/dashboard/a/b/c"):
            r = client.get(path, headers={"Accept": "text/html"})
            assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), path
            assert "找不到这个页面" in r.text and "This page does not exist" in r.text
        r = client.post("/dashboard/desk")
        assert r.status_code == 405 and r.headers["content-type"].startswith("text/html")
        # the API answers JSON with its detail, as before
        r = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
        assert client.get("/api/v1/tickets").json() == {"detail": "log in first"}
        desk = c.client("desk")
        r = desk.get("/api/v1/tickets/nope")
        assert r.status_code == 404 and isinstance(r.json()["detail"], str)
        r = desk.post("/api/v1/tickets", json={"site": "garden-court"})
        assert r.status_code == 422 and isinstance(r.json()["detail"], list)
    finally:
        c.close()
