"""The desk dashboard served by central: its pages, their static files, and the live stream.
Tickets, registers (the call register is the desk's list of calls, the visit register's on-site
view is the roll call), statistics, accounts and commands all come from central's own API
(/api/v1/...); this router only adds what exists for the screens alone.

Pages are plain HTML + CSS + JS (no build step, no CDN): every value from the server is put on
the page with textContent, never as markup, so text fields cannot inject HTML. The translations,
time formatting, live-stream wrapper and API map are the JS toolkit shared with the kiosk
screens (frontdesk/web/static), served here under /dashboard/shared/.
"""
from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, StreamingResponse

from frontdesk.topics import ID_PATTERN
from frontdesk.web import (
    Fanout,
    FanoutFull,
    SecureRoute,
    Subscriber,
    sse_message,
    sse_response,
    static_file,
    static_router,
    toolkit_router,
)

from ..auth.audit import audit_read
from ..auth.roles import PERSONAL_DATA_ROLES, event_types
from ..store import Store
from .live import LIVE_PREFIXES, LiveEvents, LiveItem
from .masking import mask_live_item

STATIC = Path(__file__).parent / "static"
PAGES = ("desk", "board", "visitors", "registers", "stats", "commands", "login", "tech",
         "ticket", "ticket-new")

# The stream sends a `ping` when nothing else happened for this long; the page's toolkit
# reconnects after three missed beats (a half-open connection EventSource would not notice).
HEARTBEAT_S = 15.0
# An open stream checks this often that its session still holds (not logged out, expired, idle,
# or the account disabled) and ends when it does not; the page then finds itself logged out and
# goes to the login, instead of an unattended screen showing what comes in.
SESSION_CHECK_S = 15.0


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the sites they may see (None = all), whether personal data is masked, the
    event types their role may receive (roles.py EVENT_TYPES, within LIVE_PREFIXES), and the staff
    account (None for the open stream of an app without accounts)."""
    sites: tuple[str, ...] | None
    mask: bool
    types: tuple[str, ...] = LIVE_PREFIXES
    staff: Any = None

    def scope(self, site: str | None) -> tuple[str, ...] | None:
        """The sites a stream for `site` (None: every site the viewer may see) carries; 403 if none."""
        if site is None:
            return self.sites
        if self.sites is not None and site not in self.sites:
            raise HTTPException(403, f"no access to site {site!r}")
        return (site,)

    def subscribe(self, hub: Fanout[LiveItem], site: str | None) -> Subscriber[LiveItem]:
        """This viewer's subscription: only its sites, personal data masked if its role says so."""
        sites, types = self.scope(site), self.types

        def wants(item: LiveItem) -> bool:
            return (sites is None or item["site"] in sites) and item["type"].startswith(types)
        return hub.subscribe(wants=wants, view=mask_live_item if self.mask else None)

    def audit(self, request: Request, site: str | None) -> None:
        """One audit entry for this subscription, when it opens (not one per event): a stream shown
        in full carries whatever personal data comes next, so opening it is the personal read.
        Masked streams (roles outside PERSONAL_DATA_ROLES) write nothing."""
        accounts = getattr(request.app.state, "accounts", None)
        if self.staff is None or accounts is None:
            return
        sites = self.scope(site)
        audit_read(accounts, self.staff, "live_stream", None, site, None, always=True, role=self.staff.role,
                   sites=list(sites) if sites is not None else ["*"], types=list(self.types))


def _viewer_dependency(require: Callable[[str], Callable[..., Any]] | None) -> Callable[..., Viewer]:
    if require is None:
        def everyone() -> Viewer:
            return Viewer(sites=None, mask=False)
        return everyone

    staff_dep = require("live.read")

    def staff_viewer(staff: Any = Depends(staff_dep)) -> Viewer:
        return Viewer(sites=staff.site_filter(), mask=staff.role not in PERSONAL_DATA_ROLES,
                      types=live_types(staff.role), staff=staff)
    return staff_viewer


def live_types(role: str) -> tuple[str, ...]:
    """The event type prefixes a live stream of `role` carries: what a screen reacts to
    (LIVE_PREFIXES) that the role may receive (roles.py EVENT_TYPES)."""
    allowed = event_types(role)
    return tuple(p for p in LIVE_PREFIXES if allowed is None or p.startswith(allowed))


async def _live_messages(request: Request, sub: Subscriber[LiveItem], site: str | None,
                         alive: Callable[[Request], bool] | None = None) -> AsyncIterator[bytes]:
    yield sse_message("hello", {"site": site, "heartbeat_s": HEARTBEAT_S})
    checked = time.monotonic()
    while True:
        if await request.is_disconnected():
            return
        if alive is not None and time.monotonic() - checked >= SESSION_CHECK_S:
            checked = time.monotonic()
            if not await run_in_threadpool(alive, request):
                return
        batch = await sub.next_batch(HEARTBEAT_S)
        if batch.dropped:
            # The browser missed events: it reloads its state over HTTP.
            yield sse_message("resync", {"dropped": batch.dropped})
        for item in batch.items:
            yield sse_message("event", item, item["id"])
        if batch.closed:
            return
        if not batch.items and not batch.dropped:
            yield sse_message("ping", {})


def dashboard_router(store: Store, hub: Fanout[LiveItem] | None = None,
                     require: Callable[[str], Callable[..., Any]] | None = None,
                     alive: Callable[[Request], bool] | None = None) -> APIRouter:
    """Build the router and register its live events as a post-commit listener of `store`.

    `require` is central's auth dependency factory (permission -> FastAPI dependency returning
    the staff member, raising 401/403); with it the live stream needs a login with the
    `live.read` permission, carries only the account's sites, and masks personal data for roles
    that may not see it. Without it the stream is open, like the foundation API. `alive` says
    whether the request's session still holds; an open stream ends once it does not.
    """
    live = LiveEvents(hub)
    store.listeners.append(live)
    viewer = _viewer_dependency(require)
    router = APIRouter(tags=["dashboard"], route_class=SecureRoute)
    router.include_router(static_router("/dashboard/static", STATIC))
    router.include_router(toolkit_router("/dashboard/shared"))

    @router.get("/", include_in_schema=False)
    @router.get("/dashboard", include_in_schema=False)
    @router.get("/dashboard/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/dashboard/desk", status_code=307)

    # The technician's phone page keeps its shell in a service worker so it opens with no signal
    # (in a lift). Served from here rather than /dashboard/static/ because a worker only controls
    # pages under its own folder: this one may take the scope /dashboard/tech.
    @router.get("/dashboard/tech-sw.js", include_in_schema=False)
    def tech_worker() -> Any:
        return static_file(STATIC, "sw.js")

    @router.get("/dashboard/{page}", include_in_schema=False)
    def page(page: str) -> Any:
        if page not in PAGES:
            raise HTTPException(404, "no such page")
        return static_file(STATIC, f"{page}.html")

    @router.get("/api/v1/dashboard/live", summary="Server-Sent Events: new committed events, live",
                response_class=StreamingResponse)
    async def live_stream(request: Request, site: str | None = Query(None, pattern=f"^{ID_PATTERN}$"),
                          who: Viewer = Depends(viewer)) -> StreamingResponse:
        try:
            sub = who.subscribe(live.hub, site)
        except FanoutFull as err:
            raise HTTPException(503, str(err)) from None
        try:
            await run_in_threadpool(who.audit, request, site)
        except BaseException:
            live.hub.unsubscribe(sub)
            raise

        async def stream() -> AsyncIterator[bytes]:
            try:
                async for message in _live_messages(request, sub, site, alive):
                    yield message
            finally:
                live.hub.unsubscribe(sub)

        return sse_response(stream())

    return router
