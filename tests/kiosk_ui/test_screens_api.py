"""The screens' HTTP side: registration input checks, the live stream, headers, catalogues, config."""
import json
import re
from pathlib import Path

import httpx
import pytest

from frontdesk.config import ConfigError
from frontdesk.edge.config import parse_edge
from frontdesk.edge.services import EdgeContext, build_services
from frontdesk.kiosk_ui import catalogs
from frontdesk.kiosk_ui.config import LANGUAGES
from frontdesk.passes import public_text
from frontdesk.schema.access import Reason
from frontdesk.web import TOOLKIT_DIR

from .kiosk_post import a_pass

STATIC = Path(catalogs.__file__).parent / "static"
GOOD = {"name": "张三", "phone": "13812345678", "unit": "3-1502", "purpose": "visit", "language": "zh-Hans"}


def post_json(url, body, **headers):
    return httpx.post(url + "/api/visitors", content=body if isinstance(body, bytes) else json.dumps(body),
                      headers={"Content-Type": "application/json", **headers}, timeout=10)


def test_walk_in_answer_shows_only_the_masked_phone(make_post):
    post = make_post("kiosk")
    res = post_json(post.url, GOOD)
    assert res.status_code == 201, res.text
    item = res.json()
    assert item["phone_masked"] == "138****5678" and "13812345678" not in res.text
    assert (item["kind"], item["decision"], item["via"], item["name"], item["unit"]) == \
        ("checked_in", "allow", "walk_in", "张三", "3-1502")
    assert item["host_notified"] and item["badge_requested"]
    # The badge is printed in the language the visitor was using.
    post_json(post.url, {**GOOD, "language": "en"})
    assert [e["payload"]["language"] for e in post.events("print.requested")] == ["zh", "en"]


@pytest.mark.parametrize("body, status, field, error", [
    (b"\xff\xfe not utf-8", 400, "form", "bad_request"),
    (b"{not json", 400, "form", "bad_request"),
    (b"[1, 2, 3]", 422, "form", "bad_request"),
    (json.dumps({**GOOD, "name": "x" * 65}).encode(), 422, "name", "too_large"),
    (json.dumps({**GOOD, "name": ["a"]}).encode(), 422, "name", "bad_request"),
    (json.dumps({**GOOD, "name": "  "}).encode(), 422, "name", "name_required"),
    (json.dumps({**GOOD, "name": "a\u0000b"}).encode(), 422, "name", "name_invalid"),
    (json.dumps({**GOOD, "phone": "abc"}).encode(), 422, "phone", "phone_invalid"),
    (json.dumps({**GOOD, "unit": "<script>"}).encode(), 422, "unit", "unit_invalid"),
    (json.dumps({**GOOD, "purpose": "smuggling"}).encode(), 422, "purpose", "purpose_invalid"),
    (json.dumps({**GOOD, "language": "fr"}).encode(), 422, "language", "bad_request"),
    (json.dumps({**GOOD, "padding": "x" * 9000}).encode(), 413, "form", "too_large"),
])
def test_bad_registrations_are_refused_and_nothing_is_recorded(make_post, body, status, field, error):
    post = make_post("kiosk")
    res = post_json(post.url, body)
    assert (res.status_code, res.json()["field"], res.json()["error"]) == (status, field, error), res.text
    # Every refusal is a message the screens can show in both languages.
    for lang in LANGUAGES:
        assert f"error.{error}" in catalogs.load(lang)
    assert post.events("visitor.checked_in") == [] and post.events("print.requested") == []
    # ...and the service is still there for the next visitor.
    assert post_json(post.url, GOOD).status_code == 201


def test_phone_echo_is_masked_by_the_server_and_bad_input_refused(make_post):
    post = make_post("kiosk")

    def mask(body, **headers):
        return httpx.post(post.url + "/api/phone-mask", content=body if isinstance(body, bytes) else json.dumps(body),
                          headers={"Content-Type": "application/json", **headers}, timeout=10)
    res = mask({"phone": "13912345678"})
    assert (res.status_code, res.json()) == (200, {"masked": "139****5678"})
    for body, status in (({"phone": 139}, 422), ({"phone": "1" * 33}, 422), ([1], 422), ({}, 422),
                         (b"{not json", 400), (b"\xff", 400)):
        assert mask(body).status_code == status, body
    assert mask({"phone": "13912345678"}, Origin="http://evil.example").status_code == 403
    assert mask({"phone": "13912345678"}).status_code == 200  # still serving
    assert post.events("visitor.checked_in") == []


def test_other_sites_and_content_types_cannot_register(make_post):
    post = make_post("kiosk")
    assert post_json(post.url, GOOD, Origin="http://evil.example").status_code == 403
    res = httpx.post(post.url + "/api/visitors", content=json.dumps(GOOD), headers={"Content-Type": "text/plain"})
    assert res.status_code == 415
    assert post.events("visitor.checked_in") == []


def test_without_access_service_registration_is_unavailable(make_post):
    post = make_post("kiosk", with_access=False)
    res = post_json(post.url, GOOD)
    assert (res.status_code, res.json()["error"]) == (503, "unavailable")
    assert httpx.get(post.url + "/healthz").json()["access"] == "missing"


def test_pages_are_self_contained_and_locked_down(make_post):
    post = make_post("gate", access={"role": "gate"}, kiosk={"role": "gate"})
    res = httpx.get(post.url + "/", follow_redirects=False)
    assert res.status_code == 307 and res.headers["location"] == "/gate"
    for path in ("/kiosk", "/gate"):
        res = httpx.get(post.url + path)
        assert res.status_code == 200
        csp = res.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        # Offline: nothing is fetched from anywhere but this server.
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", res.text), path
        refs = re.findall(r"""(?:src|href)="(/[^"]+)\"""", res.text)
        assert "/shared/toolkit.js" in refs  # the JS toolkit shared with the desk dashboard
        for ref in refs:
            got = httpx.get(post.url + ref)
            assert got.status_code == 200 and "script-src 'self'" in got.headers["content-security-policy"], ref
    for css_js in [*STATIC.rglob("*.[cj]s*"), *TOOLKIT_DIR.rglob("*.js")]:
        text = css_js.read_text(encoding="utf-8")
        assert not re.search(r"url\(\s*['\"]?(https?:)?//|https?://", text), css_js
        # Text goes in with textContent only: nothing on the page parses data as markup.
        assert not re.search(r"\.(inner|outer)HTML\s*[+]?=|insertAdjacentHTML|document\.write|eval\(", text), css_js


def test_live_stream_snapshot_then_scans(make_post, site_key):
    post = make_post("gate", access={"role": "gate"}, kiosk={"role": "gate", "heartbeat_s": 0.3})
    post.access.scan_card("12345678", reader="test")
    with httpx.stream("GET", post.url + "/api/stream", timeout=10) as res:
        assert res.headers["content-type"].startswith("text/event-stream")
        lines = res.iter_lines()
        events = []

        def next_event():
            kind = data = None
            for line in lines:
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and kind:
                    return kind, data
        kind, snap = next_event()
        assert kind == "snapshot" and [i["reason"] for i in snap["items"]] == ["unknown_card"]
        assert snap["status"]["access"] == "running"
        _, token = a_pass(site_key)
        post.access.scan_payload(token.encode())
        while len(events) < 2:
            events.append(next_event())
    kinds = [k for k, _ in events]
    assert "scan" in kinds
    scan = next(d for k, d in events if k == "scan")
    assert (scan["kind"], scan["name"], scan["unit"]) == ("checked_in", "王小明", "3-1502")
    assert scan["seq"] > snap["items"][-1]["seq"]
    # Screens never receive what is only for the journal: payload bytes, full phone, badge code.
    assert not {"payload_hex", "phone", "checkout_code"} & set(scan)


def test_catalogues_agree_and_cover_every_reason_and_key():
    catalogs.check()
    for lang in LANGUAGES:
        cat = catalogs.load(lang)
        for reason in Reason.__args__:
            if reason != "ok":
                assert f"reason.{reason}" in cat, (lang, reason)
    used = set()
    for page in STATIC.glob("*.html"):
        used |= set(re.findall(r'data-i18n(?:-placeholder|-aria)?="([^"]+)"', page.read_text(encoding="utf-8")))
    for script in (STATIC / "js").glob("*.js"):
        used |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_]+)"', script.read_text(encoding="utf-8")))
    missing = used - set(catalogs.load("zh-Hans"))
    assert not missing, missing


def test_catalogue_problems_are_reported(tmp_path, monkeypatch):
    (tmp_path / "zh-Hans.json").write_text(json.dumps({"a.b": "你好 {name}", "c.d": "x"}), encoding="utf-8")
    (tmp_path / "en.json").write_text(json.dumps({"a.b": "Hello {nme}"}), encoding="utf-8")
    monkeypatch.setattr(catalogs, "I18N_DIR", tmp_path)
    catalogs.load.cache_clear()
    try:
        with pytest.raises(catalogs.CatalogError) as err:
            catalogs.check()
        assert "missing key 'c.d'" in str(err.value) and "'a.b' uses ['nme']" in str(err.value)
    finally:
        catalogs.load.cache_clear()


def edge_file(tmp_path, site_key, kiosk: str) -> dict:
    import tomllib
    text = (f'[site]\nid = "sunrise"\n\n[edge]\ndevice = "gate-2"\ndata_dir = "{tmp_path}"\n\n'
            f'[access]\nrole = "gate"\nsite_public_keys = ["{public_text(site_key)}"]\n\n[kiosk]\n{kiosk}')
    return tomllib.loads(text)


def test_kiosk_section_in_the_edge_file(tmp_path, site_key):
    cfg = parse_edge(edge_file(tmp_path, site_key, 'role = "gate"\nlanguage = "en"\nport = 0\n'))
    assert (cfg.kiosk.role, cfg.kiosk.language, cfg.kiosk.host) == ("gate", "en", "127.0.0.1")
    assert parse_edge(edge_file(tmp_path, site_key, "")).kiosk.port == 8410
    with pytest.raises(ConfigError, match="kiosk.colour: unknown key"):
        parse_edge(edge_file(tmp_path, site_key, 'colour = "blue"\n'))
    with pytest.raises(ConfigError, match="kiosk.role"):
        parse_edge(edge_file(tmp_path, site_key, 'role = "lobby"\n'))


def test_agent_builds_the_screen_with_the_access_service(tmp_path, site_key):
    from frontdesk.edge.journal import Journal

    cfg = parse_edge(edge_file(tmp_path, site_key, 'role = "gate"\nport = 0\n'))
    journal = Journal(cfg.edge.journal_path, site="sunrise", device="gate-2")
    ctx = EdgeContext(journal=journal, site="sunrise", device="gate-2", tz="UTC", country="cn", data_dir=tmp_path)
    services = build_services(cfg.service_sections(), ctx)
    names = [s.name for s in services]
    assert names.index("access") < names.index("kiosk")
    try:
        for s in services:
            s.start()
        kiosk = services[names.index("kiosk")]
        assert kiosk.wait_ready(10)
        assert httpx.get(kiosk.url + "/api/config").json()["role"] == "gate"
        res = post_json(kiosk.url, GOOD)
        assert res.status_code == 201 and res.json()["post_role"] == "gate"
    finally:
        for s in reversed(services):
            s.stop()
        journal.close()


def test_kiosk_serve_command_runs_the_screen_and_stops_on_sigterm(tmp_path, site_key):
    import signal
    import subprocess
    import sys

    from frontdesk.runtime.ports import free_port

    port = free_port()
    config = tmp_path / "edge.toml"
    config.write_text(f'[site]\nid = "sunrise"\nname = "朝阳花园"\n\n'
                      f'[edge]\ndevice = "kiosk-9"\ndata_dir = "{tmp_path}"\n\n'
                      f'[access]\nrole = "gate"\nsite_public_keys = ["{public_text(site_key)}"]\n', encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "frontdesk", "kiosk", "serve", "-c", str(config), "--role", "gate",
                             "--language", "en", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline()
        assert f"gate screen at http://127.0.0.1:{port}/gate" in line, (line, proc.stderr.read() if proc.poll() else "")
        cfg = httpx.get(f"http://127.0.0.1:{port}/api/config").json()
        assert (cfg["role"], cfg["language"], cfg["site_name"]) == ("gate", "en", "朝阳花园")
        res = post_json(f"http://127.0.0.1:{port}", GOOD)
        assert res.status_code == 201
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        proc.stdout.close()
        proc.stderr.close()
    # The registration is in the edge's journal, waiting for the agent to ship it.
    from frontdesk.edge.journal import Journal
    journal = Journal(tmp_path / "journal.db", site="sunrise", device="kiosk-9")
    try:
        assert [e["type"] for e in journal.events()] == ["visitor.checked_in"]
    finally:
        journal.close()


def test_kiosk_serve_refuses_a_bad_config(tmp_path):
    import subprocess
    import sys

    config = tmp_path / "edge.toml"
    config.write_text(f'[site]\nid = "s"\n\n[edge]\ndevice = "k"\ndata_dir = "{tmp_path}"\n\n[kiosk]\nrole = "lobby"\n')
    res = subprocess.run([sys.executable, "-m", "frontdesk", "kiosk", "serve", "-c", str(config)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "kiosk.role" in res.stderr


def test_the_public_kiosk_stream_lists_no_earlier_visitors(make_post):
    post = make_post("kiosk", kiosk={"result_s": 1})
    post.access.register_walk_in("李四", "13912345678", "5-0802", "visit")

    def snapshot():
        with httpx.stream("GET", post.url + "/api/stream", timeout=10) as res:
            for line in res.iter_lines():
                if line.startswith("data: ") and '"items"' in line:
                    return json.loads(line[6:])["items"]

    assert [i["name"] for i in snapshot()] == ["李四"]   # still on the screen
    import time
    time.sleep(1.2)
    assert snapshot() == []                              # gone: the next visitor cannot read it
