"""The screens' pages, their files, and what the pages ask first (/api/config, /healthz)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

from frontdesk.web import SecureRoute, static_file, static_router, toolkit_router

from .config import LANGUAGES
from .screens import Screens

STATIC = Path(__file__).parent / "static"
# Where the pages load the JS toolkit they share with the desk dashboard from.
TOOLKIT_URL = "/shared"


def pages_router(screens: Screens) -> APIRouter:
    """/ (the configured screen), /kiosk, /gate, /static/..., /shared/..., /api/config, /healthz."""
    cfg = screens.config
    router = APIRouter(route_class=SecureRoute)
    router.include_router(static_router("/static", STATIC))
    router.include_router(toolkit_router(TOOLKIT_URL))

    @router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def index() -> Response:
        return RedirectResponse(f"/{cfg.role}", status_code=307)

    @router.api_route("/kiosk", methods=["GET", "HEAD"], include_in_schema=False)
    def kiosk_page() -> FileResponse:
        return static_file(STATIC, "kiosk.html")

    @router.api_route("/gate", methods=["GET", "HEAD"], include_in_schema=False)
    def gate_page() -> FileResponse:
        return static_file(STATIC, "gate.html")

    @router.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "access": screens.feed.status.get("access", "missing"),
                "subscribers": screens.feed.fanout.subscribers}

    @router.get("/api/config")
    def api_config() -> dict[str, Any]:
        return {
            "role": cfg.role, "language": cfg.language, "languages": list(LANGUAGES),
            "idle_timeout_s": cfg.idle_timeout_s, "idle_warning_s": cfg.idle_warning_s,
            "result_s": cfg.result_s, "recent_scans": cfg.recent_scans, "heartbeat_s": cfg.heartbeat_s,
            "direction": cfg.direction, "site_name": screens.site_name, "device": screens.device,
            "tz": screens.tz,
        }

    return router


__all__ = ["STATIC", "TOOLKIT_URL", "pages_router"]
