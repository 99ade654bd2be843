"""The one set of security headers and the static file serving both web apps use."""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from frontdesk.web import SECURITY_HEADERS, TOOLKIT_DIR, SecureRoute, static_router, toolkit_router


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "page.js").write_text("console.log(1);\n")
    (tmp_path / ".secret.js").write_text("no")
    (tmp_path / "notes.txt").write_text("no")
    app = FastAPI()
    app.include_router(static_router("/static", tmp_path))
    app.include_router(toolkit_router("/shared"))
    from fastapi import APIRouter
    router = APIRouter(route_class=SecureRoute)

    @router.get("/api/thing")
    def thing() -> dict:
        return {"ok": True}
    app.include_router(router)
    return TestClient(app)


def test_every_response_of_a_secure_route_carries_the_headers(client):
    for path in ("/static/js/page.js", "/shared/toolkit.js", "/api/thing"):
        res = client.get(path)
        assert res.status_code == 200, path
        for key, value in SECURITY_HEADERS.items():
            assert res.headers[key] == value, (path, key)
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp and "frame-ancestors 'none'" in csp
    assert client.get("/shared/toolkit.js").headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize("path", ["/static/.secret.js", "/static/notes.txt", "/static/js/missing.js",
                                  "/static/js/%2e%2e/%2e%2e/etc/passwd", "/static/js/..%2f..%2fpage.js",
                                  "/static/js/%2e%2e/.secret.js", "/shared/%2e%2e/masking.py"])
def test_nothing_outside_the_folder_or_of_another_kind(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("name", ["../toolkit.js", "static/../../masking.py", "/etc/passwd", "a\\..\\b.js", "", "x/"])
def test_names_that_could_leave_the_folder_are_refused(name):
    from fastapi import HTTPException

    from frontdesk.web import static_file
    with pytest.raises(HTTPException) as err:
        static_file(TOOLKIT_DIR, name)
    assert err.value.status_code == 404


def test_the_toolkit_is_one_file_in_one_folder():
    assert sorted(p.name for p in TOOLKIT_DIR.iterdir()) == ["toolkit.js"]
