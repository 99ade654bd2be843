"""Reading request bodies with a size limit: refused from Content-Length before a byte is read,
and cut off while streaming when Content-Length is absent (chunked) or lies. Never more than the
limit is held, in memory or on disk."""
from __future__ import annotations

from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from starlette.types import Message

# What a multipart envelope adds around a file (boundaries, part headers, a note, an event id).
MULTIPART_OVERHEAD = 64 * 1024


def too_large(what: str, limit: int) -> HTTPException:
    """The 413 for a body or upload over `limit` bytes. "Connection: close" makes the server drop
    the connection instead of reading (and discarding) the rest of the body to reuse it."""
    return HTTPException(413, f"{what} is larger than {limit / 1_000_000:g} MB", headers={"Connection": "close"})


def _declared(request: Request, what: str, limit: int, allowed: int) -> None:
    value = request.headers.get("content-length")
    if value is not None and value.strip().isdigit() and int(value) > allowed:
        raise too_large(what, limit)


def limited(request: Request, what: str, limit: int, slack: int = 0) -> Request:
    """`request` whose body reads raise HTTP 413 as soon as more than `limit` + `slack` bytes came."""
    _declared(request, what, limit, limit + slack)
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit + slack:
                raise too_large(what, limit)
        return message

    return Request(request.scope, receive)


async def read_body(request: Request, what: str, limit: int) -> bytes:
    """The whole body, at most `limit` bytes (HTTP 413 past that)."""
    chunks = [chunk async for chunk in limited(request, what, limit).stream()]
    return b"".join(chunks)


async def read_form(request: Request, what: str, limit: int) -> FormData:
    """The multipart form, its body at most `limit` bytes plus the envelope (HTTP 413 past that);
    HTTP 422 for a body that is not multipart form data. Close it when done."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(422, "send the photo as multipart/form-data (field 'photo')")
    try:
        return await limited(request, what, limit, MULTIPART_OVERHEAD).form(max_files=1, max_fields=8)
    except HTTPException as err:
        if err.status_code == 413:
            raise
        raise HTTPException(422, f"the form could not be read: {err.detail}") from None
