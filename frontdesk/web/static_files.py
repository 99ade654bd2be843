"""Serving a folder of static files (pages, scripts, styles, catalogues) under a URL prefix.

Both web apps serve their own folder and the shared JS toolkit's (TOOLKIT_DIR) this way, so a
path can never leave its folder and every file goes out with the security headers.
"""
from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from .headers import SecureRoute

# The JS toolkit the dashboard and the kiosk screens share (translations, time, live stream, API map).
TOOLKIT_DIR = Path(__file__).parent / "static"

MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# One path segment: no dot files, no "..", nothing a file system reads specially.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


def static_file(folder: Path, name: str) -> FileResponse:
    """The file `name` (a relative path, "/"-separated) inside `folder`; 404 for anything else."""
    parts = name.split("/")
    suffix = Path(name).suffix
    if len(parts) > 4 or not all(_SEGMENT.match(p) and p != ".." for p in parts) or suffix not in MEDIA_TYPES:
        raise HTTPException(404, "no such file")
    path = folder.joinpath(*parts)
    if not path.is_file() or not path.resolve().is_relative_to(folder.resolve()):
        raise HTTPException(404, "no such file")
    return FileResponse(path, media_type=MEDIA_TYPES[suffix])


def static_router(url_prefix: str, folder: Path) -> APIRouter:
    """GET/HEAD `{url_prefix}/{name}` for every file under `folder`."""
    router = APIRouter(route_class=SecureRoute)

    @router.api_route(url_prefix + "/{name:path}", methods=["GET", "HEAD"], include_in_schema=False)
    def asset(name: str) -> FileResponse:
        return static_file(folder, name)

    return router


def toolkit_router(url_prefix: str) -> APIRouter:
    """The shared JS toolkit's folder under `url_prefix` (each app picks its own prefix)."""
    return static_router(url_prefix, TOOLKIT_DIR)


__all__ = ["MEDIA_TYPES", "TOOLKIT_DIR", "static_file", "static_router", "toolkit_router"]
