"""The screens' web app: static pages, the live stream, and walk-in registration.

    GET  /              the screen this post is configured for (/kiosk or /gate)
    GET  /kiosk         lobby kiosk (visitors: scan a pass, register as walk-in, check out)
    GET  /gate          gate-post screen (guard: allow/deny with reason, recent scans, registration)
    GET  /api/config    role, language, timings the pages need
    GET  /api/stream    Server-Sent Events: `snapshot` on connect, `scan` per decision, `status`
                        when the camera or readers change, `ping` as a heartbeat
    POST /api/visitors  walk-in registration {name, phone, unit, purpose, language}; 201 with the
                        check-in as the screen shows it, 422 {"field", "error"} with a catalogue code
    GET  /api/present   gate only: visitors in (checked in here, not out), for the guard
    POST /api/present/{visit_id}/checkout   gate only: check a visitor out by hand

The app holds no decision logic: scans are decided and journaled by the access service, and
registration is handed to it (`Registrar`); the app only shows what was recorded.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles

from .config import LANGUAGES, KioskConfig
from .feed import LiveFeed
from .forms import FieldError, WalkIn, parse_walk_in

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_BODY = 8 * 1024
# The guard's list of visitors in; more than this is central's business (the building report).
PRESENT_MAX = 100

# The pages load nothing but their own files: no CDN, no inline script, nothing framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
                                "frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class RegistrationUnavailable(Exception):
    """Registration cannot be taken now (the access service is not running); the message says why."""


class Registrar(Protocol):
    def register_walk_in(self, form: WalkIn, *, via: str, language: str) -> dict[str, Any]:
        """Record the visitor's check-in; return it as a screen item. FieldError for a bad field."""

    def present(self) -> list[dict[str, Any]]:
        """Visitors checked in at this post and not out yet (phones masked)."""

    def check_out(self, visit_id: str) -> dict[str, Any] | None:
        """Check a present visitor out by hand; the check-out as a screen item, None if not present."""


@dataclass
class Screens:
    """Everything the app needs from its host (the edge service or `frontdesk kiosk serve`)."""

    config: KioskConfig
    feed: LiveFeed
    registrar: Callable[[], Registrar | None]
    site_name: str = ""
    device: str = ""
    tz: str = "UTC"


def _sse(event: str, data: Any, event_id: int | None = None) -> bytes:
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {event}")
    # json.dumps never emits a raw newline, so one data: line carries the whole object.
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


def create_app(screens: Screens) -> FastAPI:
    cfg = screens.config
    app = FastAPI(title="frontdesk screens", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if request.url.path.startswith("/api/") or request.url.path in ("/", "/kiosk", "/gate"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def index() -> Response:
        return RedirectResponse(f"/{cfg.role}", status_code=307)

    @app.api_route("/kiosk", methods=["GET", "HEAD"], include_in_schema=False)
    def kiosk_page() -> Response:
        return FileResponse(STATIC / "kiosk.html", media_type="text/html; charset=utf-8")

    @app.api_route("/gate", methods=["GET", "HEAD"], include_in_schema=False)
    def gate_page() -> Response:
        return FileResponse(STATIC / "gate.html", media_type="text/html; charset=utf-8")

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "access": screens.feed.status.get("access", "missing"),
                "subscribers": screens.feed.subscribers()}

    @app.get("/api/config")
    def api_config() -> dict[str, Any]:
        return {
            "role": cfg.role, "language": cfg.language, "languages": list(LANGUAGES),
            "idle_timeout_s": cfg.idle_timeout_s, "idle_warning_s": cfg.idle_warning_s,
            "result_s": cfg.result_s, "recent_scans": cfg.recent_scans, "heartbeat_s": cfg.heartbeat_s,
            "direction": cfg.direction, "site_name": screens.site_name, "device": screens.device,
            "tz": screens.tz,
        }

    def _snapshot_items() -> list[dict[str, Any]]:
        items = screens.feed.recent(cfg.recent_scans)
        if cfg.role == "gate":
            return items
        # The lobby kiosk is public and lists nobody: only what may still be on its screen (a
        # decision made while the page was reconnecting), never earlier visitors.
        cutoff = datetime.now(UTC) - timedelta(seconds=cfg.result_s)
        return [i for i in items if _when(i.get("at")) >= cutoff]

    @app.get("/api/stream")
    async def api_stream(request: Request) -> StreamingResponse:
        sub = screens.feed.subscribe(asyncio.get_running_loop())

        async def body() -> AsyncIterator[bytes]:
            try:
                # Reconnect quickly; the page adds its own watchdog for silently dead connections.
                yield b"retry: 2000\n\n"
                yield _sse("snapshot", {"items": _snapshot_items(), "boot": screens.feed.boot,
                                        "head": screens.feed.head, "status": screens.feed.status})
                while True:
                    try:
                        kind, data = await sub.get(cfg.heartbeat_s)
                    except TimeoutError:
                        yield _sse("ping", {"head": screens.feed.head})
                        continue
                    if kind == "closed":
                        return
                    yield _sse(kind, data, data.get("seq") if kind == "scan" else None)
            finally:
                sub.close()

        return StreamingResponse(body(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @app.post("/api/visitors")
    async def api_register(request: Request) -> JSONResponse:
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return JSONResponse({"field": "form", "error": "bad_request",
                                 "detail": "send the form as application/json"}, status_code=415)
        refusal = _same_origin(request)
        if refusal is not None:
            return refusal
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return JSONResponse({"field": "form", "error": "too_large",
                                     "detail": f"form larger than {MAX_BODY} bytes"}, status_code=413)
        try:
            raw = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            return JSONResponse({"field": "form", "error": "bad_request", "detail": f"not UTF-8 JSON: {err}"},
                                status_code=400)
        try:
            form = parse_walk_in(raw, cfg.language)
        except FieldError as err:
            return JSONResponse({"field": err.field, "error": err.code}, status_code=422)
        registrar = screens.registrar()
        if registrar is None:
            return JSONResponse({"field": "form", "error": "unavailable",
                                 "detail": "the access service is not running on this edge"}, status_code=503)
        try:
            # The access service journals synchronously (fsync): keep that off the event loop.
            item = await asyncio.to_thread(registrar.register_walk_in, form, via=cfg.role, language=form.language)
        except FieldError as err:
            return JSONResponse({"field": err.field, "error": err.code}, status_code=422)
        except RegistrationUnavailable as err:
            return JSONResponse({"field": "form", "error": "unavailable", "detail": str(err)}, status_code=503)
        except Exception as err:  # recorded nothing: say so on screen, keep serving
            log.exception("kiosk: walk-in registration failed")
            return JSONResponse({"field": "form", "error": "failed", "detail": f"{type(err).__name__}: {err}"[:300]},
                                status_code=500)
        return JSONResponse(item, status_code=201)

    # Who is in the building is for the guard's screen only: the lobby kiosk is public.
    def _gate_registrar() -> tuple[Registrar | None, JSONResponse | None]:
        if cfg.role != "gate":
            return None, JSONResponse({"error": "not_here", "detail": "only the gate-post screen lists visitors"},
                                      status_code=403)
        registrar = screens.registrar()
        if registrar is None:
            return None, JSONResponse({"error": "unavailable",
                                       "detail": "the access service is not running on this edge"}, status_code=503)
        return registrar, None

    @app.get("/api/present")
    async def api_present() -> JSONResponse:
        registrar, refusal = _gate_registrar()
        if refusal is not None:
            return refusal
        visitors = await asyncio.to_thread(registrar.present)
        return JSONResponse({"visitors": visitors[:PRESENT_MAX], "more": max(0, len(visitors) - PRESENT_MAX)})

    @app.post("/api/present/{visit_id}/checkout")
    async def api_check_out(visit_id: str, request: Request) -> JSONResponse:
        refusal = _same_origin(request)
        if refusal is None:
            registrar, refusal = _gate_registrar()
        if refusal is not None:
            return refusal
        item = await asyncio.to_thread(registrar.check_out, visit_id[:64])
        if item is None:
            return JSONResponse({"error": "not_checked_in", "detail": "no such visitor in"}, status_code=404)
        return JSONResponse(item)

    return app


def _when(value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _same_origin(request: Request) -> JSONResponse | None:
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        return JSONResponse({"field": "form", "error": "bad_request", "detail": "cross-origin request"},
                            status_code=403)
    return None


__all__ = ["Registrar", "RegistrationUnavailable", "Screens", "create_app"]
