"""Server-Sent Events as both web apps send them."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi.responses import StreamingResponse

# No proxy (nginx in front of central) may buffer or cache a live stream.
_STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def sse_message(event: str, data: Any, event_id: str | int | None = None) -> bytes:
    """One message. JSON never contains a raw newline, so one `data:` line carries the object."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"{head}event: {event}\ndata: {body}\n\n".encode()


def sse_retry(ms: int) -> bytes:
    """Tells the browser's EventSource how long to wait before it reconnects by itself."""
    return f"retry: {ms}\n\n".encode()


def sse_response(body: AsyncIterator[bytes]) -> StreamingResponse:
    """A live stream response from an async iterator of messages."""
    return StreamingResponse(body, media_type="text/event-stream", headers=_STREAM_HEADERS)


__all__ = ["sse_message", "sse_response", "sse_retry"]
