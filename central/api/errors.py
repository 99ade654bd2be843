"""What a client sees when something goes wrong: never a stack trace or an exception's text.

An unhandled exception in any route answers 500 with a generic message in Chinese and English and
a reference id; the same id is logged with the traceback, so an administrator can find it from
what a user reads out. Expected errors keep their JSON `detail` (401, 403, 404, 409, 422, 429 ...)
for the API; a 404 or 405 on a page a browser opens (the dashboard, the residents' pages) is a
plain page instead of JSON.
"""
from __future__ import annotations

import logging
import secrets
from html import escape

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from frontdesk.web import secure

log = logging.getLogger(__name__)

_TEXTS = {
    404: ("找不到这个页面", "This page does not exist."),
    405: ("这个地址不能这样打开", "This address cannot be opened this way."),
    500: ("服务器出错了，请稍后再试；如果一再出现，请把下面的编号告诉管理员",
          "Something went wrong on the server. Please try again later; if it keeps happening, give the "
          "administrator the reference below."),
}


def _wants_page(request: Request) -> bool:
    """A browser opening a page (not a script calling the API)."""
    path = request.url.path
    if path.startswith("/api/"):
        return False
    return path.startswith("/dashboard") or "text/html" in request.headers.get("accept", "")


def _page(status: int, reference: str | None = None) -> Response:
    zh, en = _TEXTS[status]
    ref = f'<p>编号 / Reference: <code>{escape(reference)}</code></p>' if reference else ""
    body = (f'<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{status}</title></head>'
            f'<body><main><h1>{status}</h1><p>{zh}</p><p lang="en">{en}</p>{ref}'
            f'<p><a href="/dashboard/">返回 / Back to the dashboard</a></p></main></body></html>')
    return secure(HTMLResponse(body, status_code=status))


def install_error_pages(app: FastAPI) -> None:
    """Register the generic 500 and the plain 404/405 pages on `app`."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405) and _wants_page(request):
            return _page(exc.status_code)
        return await http_exception_handler(request, exc)

    @app.exception_handler(Exception)
    async def unhandled(request: Request, exc: Exception) -> Response:
        reference = secrets.token_hex(6)
        log.error("unhandled error, reference %s, in %s %s", reference, request.method, request.url.path,
                  exc_info=(type(exc), exc, exc.__traceback__))
        if _wants_page(request):
            return _page(500, reference)
        zh, en = _TEXTS[500]
        return JSONResponse({"detail": f"{zh} / {en}", "reference": reference}, status_code=500)
