"""The desk dashboard served by central: its pages, their static files, and the live stream.
Tickets, registers (the call register is the desk's list of calls, the visit register's on-site
view is the roll call), statistics, accounts and commands all come from central's own API
(/api/v1/...); this router only adds what exists for the screens alone.

Pages are plain HTML + CSS + JS (no build step, no CDN): every value from the server is put on
the page with textContent, never as markup, so text fields cannot inject HTML.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse

from frontdesk.topics import ID_PATTERN

from ..store import Store
from .live import HubFull, LiveHub, sse_message

STATIC = Path(__file__).parent / "static"
PAGES = ("desk", "board", "visitors", "registers", "stats", "commands", "login")
_ASSET = re.compile(r"^[a-z][a-z0-9_-]{0,40}\.(css|js|svg|png)$")
_MEDIA = {"css": "text/css", "js": "text/javascript", "svg": "image/svg+xml", "png": "image/png"}
# Headers for every dashboard response: no framing by other sites, no inline script allowed.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                               "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

HEARTBEAT_S = 15.0


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the sites they may see (None = all) and whether personal data is masked."""
    sites: tuple[str, ...] | None
    mask: bool

    def scope(self, site: str | None) -> tuple[str, ...] | None:
        if site is None:
            return self.sites
        if self.sites is not None and site not in self.sites:
            raise HTTPException(403, f"no access to site {site!r}")
        return (site,)


def dashboard_router(store: Store, hub: LiveHub | None = None,
                     require: Callable[[str], Callable[..., Any]] | None = None) -> APIRouter:
    """Build the router and register its live hub as a post-commit listener of `store`.

    `require` is central's auth dependency factory (permission -> FastAPI dependency returning
    the staff member, raising 401/403); with it the live stream needs a login with the
    `live.read` permission, carries only the account's sites, and masks personal data for roles
    that may not see it. Without it the stream is open, like the foundation API.
    """
    hub = hub or LiveHub()
    store.listeners.append(hub.publish)
    router = APIRouter(tags=["dashboard"])
    router.hub = hub  # type: ignore[attr-defined]  # benches and tests read its counters

    if require is None:
        def viewer() -> Viewer:
            return Viewer(sites=None, mask=False)
    else:
        from ..auth.roles import PERSONAL_DATA_ROLES
        staff_dep = require("live.read")

        def viewer(staff=Depends(staff_dep)) -> Viewer:
            return Viewer(sites=staff.site_filter(), mask=staff.role not in PERSONAL_DATA_ROLES)

    @router.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/dashboard/desk", status_code=307)

    @router.get("/dashboard", include_in_schema=False)
    @router.get("/dashboard/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/dashboard/desk", status_code=307)

    @router.get("/dashboard/{page}", include_in_schema=False)
    def page(page: str) -> FileResponse:
        if page not in PAGES:
            raise HTTPException(404, "no such page")
        return FileResponse(STATIC / f"{page}.html", media_type="text/html; charset=utf-8",
                            headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

    @router.get("/dashboard/static/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        if not _ASSET.match(name) or not (STATIC / name).is_file():
            raise HTTPException(404, "no such file")
        return FileResponse(STATIC / name, media_type=_MEDIA[name.rsplit(".", 1)[1]],
                            headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

    @router.get("/api/v1/dashboard/live", summary="Server-Sent Events: new committed events, live",
                response_class=StreamingResponse)
    async def live(request: Request, site: str | None = Query(None, pattern=f"^{ID_PATTERN}$"),
                   who: Viewer = Depends(viewer)) -> StreamingResponse:
        try:
            sub = hub.subscribe(who.scope(site), mask=who.mask)
        except HubFull as err:
            raise HTTPException(503, str(err)) from None

        async def stream():
            try:
                yield sse_message("hello", {"site": site})
                while True:
                    if await request.is_disconnected():
                        return
                    batch, dropped = await sub.next_batch(HEARTBEAT_S)
                    if dropped:
                        # The browser missed events: it reloads its state over HTTP.
                        yield sse_message("resync", {"dropped": dropped})
                    for item in batch:
                        yield sse_message("event", item, item["id"])
                    if not batch and not dropped:
                        yield b": keep-alive\n\n"
            except asyncio.CancelledError:
                pass
            finally:
                hub.unsubscribe(sub)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return router
