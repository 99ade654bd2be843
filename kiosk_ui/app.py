"""The screens' web app: pages, the live stream, and the forms, each a router of its own.

    pages.py          GET /, /kiosk, /gate, /static/..., /shared/... (the JS toolkit), /api/config, /healthz
    stream.py         GET /api/stream (Server-Sent Events)
    registration.py   POST /api/visitors, /api/phone-mask; GET /api/present; POST /api/present/{id}/checkout

The app holds no decision logic: scans are decided and journaled by the access service, and
registration is handed to it (`Registrar`); the app only shows what was recorded. Every route
carries the security headers (frontdesk.web.SecureRoute); every request passes the guard first
(guard.py: the Host allow-list, same-origin forms, no exception text to the page).
"""
from __future__ import annotations

from fastapi import FastAPI

from .guard import ScreenGuard, allowed_host_names
from .pages import pages_router
from .registration import registration_router
from .screens import Registrar, RegistrationUnavailable, Screens
from .stream import stream_router


def create_app(screens: Screens) -> FastAPI:
    """The screens' app for one post (its role, language and feed are in `screens`)."""
    app = FastAPI(title="frontdesk screens", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(pages_router(screens))
    app.include_router(stream_router(screens))
    app.include_router(registration_router(screens))
    cfg = screens.config
    app.add_middleware(ScreenGuard, allowed_hosts=allowed_host_names(cfg.host, cfg.allowed_hosts))
    return app


__all__ = ["Registrar", "RegistrationUnavailable", "Screens", "create_app"]
