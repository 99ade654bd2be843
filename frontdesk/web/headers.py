"""The one place that sets the security headers of the desk dashboard and the kiosk screens.

Both are no-build static pages that load nothing but their own files: no CDN, no inline script,
nothing framed, no form posted anywhere by the browser itself (scripts send JSON), no referrer
sent on. Every route of both apps is a `SecureRoute`, so the pages, their files and their API
answers all carry the headers; `Cache-Control: no-store` keeps personal data (names on a gate
screen, a caller's number on the desk) out of the browser's disk cache.
"""
from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
))

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def secure(response: Response) -> Response:
    """`response` with the security headers added (a header the route set itself is kept)."""
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


class SecureRoute(APIRoute):
    """A FastAPI route whose every response carries SECURITY_HEADERS.

    Use as `APIRouter(route_class=SecureRoute)`: it works for a router included into another
    app (central includes the dashboard's) where an app-wide middleware would also cover routes
    that are not ours (central's /docs loads its script from elsewhere).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler for this route, with `secure` applied to what it returns."""
        handler = super().get_route_handler()

        async def secured(request: Request) -> Response:
            return secure(await handler(request))

        return secured


__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "SecureRoute", "secure"]
