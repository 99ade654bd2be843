"""What every request to the screens' app passes first: the Host it names, the Origin of a form
it sends, and the answer given when something inside fails.

Host: the app has no login and serves on loopback, but a web page anywhere can rebind its own
name to 127.0.0.1 (DNS rebinding) and then read this app's answers from the visitor's or the
guard's own browser as if they were its own origin. Such requests carry the page's name in
Host, so only the loopback names, the configured bind address and `[kiosk] allowed_hosts` are
served; anything else is 400 with a plain message.

Origin: a cross-site page cannot read the answers, but it could still send a form (a walk-in, a
check-out). A request that changes something must come from one of the allowed names, and from
the very origin it is sent to; Chromium always sends Origin with such requests. Requests without
Origin (curl, the tests, the agent's own tools) are only refused when the browser says, through
Sec-Fetch-Site, that they came from another site.

Errors: an unexpected exception is logged with its traceback under a short reference id, and the
screen is told only a generic message in both languages with that id, so the desk can find the
log line; exception text (paths, SQL, names) never reaches a public screen. Expected refusals (a
form to correct, a pass refused) are answered by the routes with their own specific reasons.
"""
from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.web.headers import SECURITY_HEADERS

log = logging.getLogger("frontdesk.edge.kiosk")

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
# Addresses a server binds to that no browser puts in Host: they allow nothing by themselves.
_WILDCARDS = ("0.0.0.0", "::", "[::]", "")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

BAD_HOST = "主机名不被接受 / Host not accepted: open this screen at http://127.0.0.1 on the kiosk itself."
CROSS_SITE = "跨站请求被拒绝 / Cross-site request refused."
# The generic answer to any failure inside; {ref} is the id the log line carries.
INTERNAL_ZH = "出了点问题，请到前台办理（编号 {ref}）"
INTERNAL_EN = "Something went wrong; please ask the desk (reference {ref})"


def allowed_host_names(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The Host names served: loopback, the bind address (unless a wildcard) and `extra`."""
    names = {*LOOPBACK_NAMES, *(name.lower() for name in extra)}
    bind = bind_host.strip().lower()
    if bind not in _WILDCARDS:
        names.add(f"[{bind}]" if ":" in bind and not bind.startswith("[") else bind)
    return frozenset(names)


def host_name(host_header: str) -> str:
    """The name part of a Host header value (no port), lower case; '' when there is none."""
    host = host_header.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[:end + 1] if end > 0 else ""
    return host.split(":", 1)[0]


def new_reference() -> str:
    """A short id for one failure, said on the screen and written in the log."""
    return secrets.token_hex(4)


def internal_error_body(ref: str) -> dict[str, Any]:
    """The JSON a page gets for a failure inside: a code it translates, the id, both languages."""
    return {"error": "internal", "field": "form", "reference": ref,
            "message": f"{INTERNAL_ZH.format(ref=ref)} / {INTERNAL_EN.format(ref=ref)}"}


class ScreenGuard:
    """ASGI middleware doing the three checks of the module docstring around the whole app."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if host_name(host) not in self.allowed:
            log.warning("kiosk: refused a request for host %r (not in the allowed names)", host[:100])
            await _answer(send, 400, BAD_HOST.encode(), "text/plain; charset=utf-8")
            return
        if scope["method"] not in SAFE_METHODS and not self._same_origin(headers, scope, host):
            log.warning("kiosk: refused a cross-site %s %s (Origin %r)", scope["method"], scope["path"],
                        headers.get("origin", "")[:100])
            await _answer(send, 403, _json({"error": "cross_site", "field": "form", "message": CROSS_SITE}),
                          "application/json")
            return
        await self._serve(scope, receive, send)

    def _same_origin(self, headers: Headers, scope: Scope, host: str) -> bool:
        origin = headers.get("origin")
        if origin is None:
            return headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
        parts = urlsplit(origin)
        scheme = scope.get("scheme", "http")
        return (parts.scheme == scheme and host_name(parts.netloc) in self.allowed
                and parts.netloc.lower() == host.strip().lower())

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            ref = new_reference()
            log.exception("kiosk: unhandled error [ref %s] in %s %s", ref, scope.get("method"), scope.get("path"))
            if started:  # a stream already under way: it just ends, and the page reconnects
                return
            if str(scope.get("path", "")).startswith("/api/"):
                await _answer(send, 500, _json(internal_error_body(ref)), "application/json")
            else:
                text = f"{INTERNAL_ZH.format(ref=ref)}\n{INTERNAL_EN.format(ref=ref)}\n"
                await _answer(send, 500, text.encode(), "text/plain; charset=utf-8")


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


async def _answer(send: Send, status: int, body: bytes, content_type: str) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


__all__ = ["LOOPBACK_NAMES", "ScreenGuard", "allowed_host_names", "host_name", "internal_error_body",
           "new_reference"]
