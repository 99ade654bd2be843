"""The screens' guard over HTTP: which Host names are served, cross-site forms, and what a page is
told when something inside fails (in a browser: test_guard_browser.py)."""
import json
import logging

import httpx
import pytest

from frontdesk.kiosk_ui.guard import allowed_host_names, host_name

GOOD = {"name": "张三", "phone": "13812345678", "unit": "3-1502", "purpose": "visit", "language": "zh-Hans"}


def port_of(post) -> int:
    return post.kiosk.server.bound_port


def get(post, path="/api/config", **headers):
    return httpx.get(f"http://127.0.0.1:{port_of(post)}{path}", headers=headers, timeout=10)


def register(post, **headers):
    return httpx.post(f"http://127.0.0.1:{port_of(post)}/api/visitors", content=json.dumps(GOOD),
                      headers={"Content-Type": "application/json", **headers}, timeout=10)


def test_host_names_parsed_and_allowed():
    assert host_name("LocalHost:8410") == "localhost" and host_name("[::1]:8410") == "[::1]"
    assert host_name("evil.example") == "evil.example" and host_name("[::1") == "" and host_name("") == ""
    assert allowed_host_names("127.0.0.1") == {"127.0.0.1", "localhost", "[::1]"}
    assert "10.0.0.5" in allowed_host_names("10.0.0.5")
    assert "[fe80::1]" in allowed_host_names("fe80::1")
    # A wildcard bind allows nothing by itself: the names it answers to must be listed.
    assert allowed_host_names("0.0.0.0", ["kiosk.local"]) == {"127.0.0.1", "localhost", "[::1]", "kiosk.local"}


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}",
                                  "localhost.evil.example", "0.0.0.0:{port}", "", "[::1"])
def test_foreign_host_names_get_a_plain_400(make_post, host):
    post = make_post("kiosk")
    for path in ("/api/config", "/kiosk", "/api/stream", "/healthz"):
        res = get(post, path, Host=host.format(port=port_of(post)))
        assert res.status_code == 400, (host, path, res.text)
        assert res.headers["content-type"].startswith("text/plain")
        assert "Host not accepted" in res.text and "主机名" in res.text
        assert res.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'self'" in res.headers["Content-Security-Policy"]
    # A refused Host records nothing.
    assert register(post, Host="evil.example").status_code == 400
    assert post.events("visitor.checked_in") == []


def test_loopback_names_and_configured_names_are_served(make_post):
    post = make_post("kiosk", kiosk={"allowed_hosts": ["kiosk-lobby.local"]})
    port = port_of(post)
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", f"[::1]:{port}", f"kiosk-lobby.local:{port}"):
        assert get(post, Host=host).status_code == 200, host
    assert get(post, Host="other.local").status_code == 400


def test_cross_site_forms_are_refused(make_post):
    post = make_post("gate", access={"role": "gate"}, kiosk={"role": "gate"})
    port = port_of(post)
    origin = f"http://127.0.0.1:{port}"
    assert register(post, Origin=origin).status_code == 201
    for headers in ({"Origin": "http://evil.example"}, {"Origin": f"http://evil.example:{port}"},
                    {"Origin": "null"}, {"Origin": f"http://localhost:{port}"},  # not the origin it is sent to
                    {"Origin": f"https://127.0.0.1:{port}"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site"}):
        res = register(post, **headers)
        assert (res.status_code, res.json()["error"]) == (403, "cross_site"), headers
    (visit,) = [e["payload"]["visit_id"] for e in post.events("visitor.checked_in")]
    # The gate's check-out by hand has no body at all: a cross-site form could send it.
    url = f"http://127.0.0.1:{port}/api/present/{visit}/checkout"
    assert httpx.post(url, headers={"Origin": "http://evil.example"}).status_code == 403
    assert post.events("visitor.checked_out") == []
    assert httpx.post(url, headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"}).status_code == 200


def test_an_unexpected_failure_answers_a_reference_not_the_exception(make_post, monkeypatch, caplog):
    post = make_post("kiosk")

    def broken(*args, **kwargs):
        raise RuntimeError("db at /var/lib/frontdesk/journal.db: password=hunter2")

    monkeypatch.setattr(post.access, "register_walk_in", broken)
    with caplog.at_level(logging.ERROR, logger="frontdesk.edge.kiosk"):
        res = register(post)
    assert res.status_code == 500
    body = res.json()
    assert body["error"] == "internal" and len(body["reference"]) == 8
    assert "hunter2" not in res.text and "RuntimeError" not in res.text and "/var/lib" not in res.text
    assert "请到前台办理" in body["message"] and "please ask the desk" in body["message"]
    assert body["reference"] in body["message"]
    # The log has the traceback, under the same reference.
    (record,) = [r for r in caplog.records if body["reference"] in r.getMessage()]
    assert record.exc_info and "hunter2" in str(record.exc_info[1])
    # The next visitor is served as usual.
    monkeypatch.undo()
    assert register(post).status_code == 201


def test_a_page_that_fails_answers_plain_text_without_the_exception(make_post, monkeypatch):
    post = make_post("kiosk")
    from frontdesk.kiosk_ui import pages

    def broken(*args, **kwargs):
        raise OSError("/srv/secret/kiosk.html: permission denied")

    monkeypatch.setattr(pages, "static_file", broken)
    res = get(post, "/kiosk")
    assert res.status_code == 500 and res.headers["content-type"].startswith("text/plain")
    assert "secret" not in res.text and "OSError" not in res.text
    assert "Something went wrong" in res.text and "出了点问题" in res.text
