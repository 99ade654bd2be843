"""GET /api/stream: the screens' live stream (Server-Sent Events).

`snapshot` on connect (the recent decisions a screen may show, the feed's numbering, the device
status), then `scan` per decision and `status` when the camera or readers change, and `ping` as
a heartbeat the page's watchdog listens for.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from frontdesk.web import SecureRoute, Subscriber, sse_message, sse_response, sse_retry

from .feed import Message
from .screens import Screens

# The page reconnects this quickly after a dropped connection; its own watchdog handles the
# connections that die silently.
RETRY_MS = 2000


def snapshot_items(screens: Screens) -> list[dict[str, Any]]:
    """The recent decisions a screen that (re)connects may show."""
    cfg = screens.config
    items = screens.feed.recent(cfg.recent_scans)
    if cfg.role == "gate":
        return items
    # The lobby kiosk is public and lists nobody: only what may still be on its screen (a
    # decision made while the page was reconnecting), never earlier visitors.
    cutoff = datetime.now(UTC) - timedelta(seconds=cfg.result_s)
    return [i for i in items if _when(i.get("at")) >= cutoff]


async def _messages(screens: Screens, sub: Subscriber[Message]) -> AsyncIterator[bytes]:
    feed = screens.feed
    yield sse_retry(RETRY_MS)
    yield sse_message("snapshot", {"items": snapshot_items(screens), "boot": feed.boot, "head": feed.head,
                                   "status": feed.status})
    while True:
        batch = await sub.next_batch(screens.config.heartbeat_s)
        if batch.dropped or batch.closed:
            # Too far behind (or the service is stopping): end the stream; the page reconnects
            # and catches up from a fresh snapshot.
            return
        if not batch.items:
            yield sse_message("ping", {"head": feed.head})
        for kind, data in batch.items:
            yield sse_message(kind, data, data.get("seq") if kind == "scan" else None)


def stream_router(screens: Screens) -> APIRouter:
    """GET /api/stream."""
    router = APIRouter(route_class=SecureRoute)

    @router.get("/api/stream")
    async def api_stream() -> StreamingResponse:
        sub = screens.feed.subscribe()

        async def body() -> AsyncIterator[bytes]:
            try:
                async for message in _messages(screens, sub):
                    yield message
            finally:
                screens.feed.fanout.unsubscribe(sub)

        return sse_response(body())

    return router


def _when(value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


__all__ = ["stream_router", "snapshot_items"]
