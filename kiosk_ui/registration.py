"""The screens' forms: walk-in registration, the gate's list of visitors in, check-out by hand,
and the masked echo of the phone number a visitor types.

    POST /api/visitors      {name, phone, unit, purpose, language}; 201 with the check-in as the
                            screen shows it, 422 {"field", "error"} with a catalogue code,
                            429 {"error": "rate_limited", "retry_after_s", "message"} past the
                            screen's limit (nothing recorded; the desk is told)
    POST /api/phone-mask    {phone}; {"masked"}: the number as the screen may show it
    GET  /api/present       gate only: visitors in (checked in here, not out), for the guard
    POST /api/present/{visit_id}/checkout   gate only: check a visitor out by hand

Every POST takes JSON from this origin only, at most MAX_BODY bytes; a bad body is refused with
a code the pages translate, and the next request is served as usual.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from frontdesk.masking import mask_phone
from frontdesk.web import SecureRoute

from .forms import LIMITS, FieldError, parse_walk_in
from .ratelimit import Refused
from .screens import Registrar, RegistrationUnavailable, Screens

MAX_BODY = 8 * 1024
# The guard's list of visitors in; more than this is central's business (the building report).
PRESENT_MAX = 100
# Said when the screen has taken as many walk-ins as a real lobby sends (kiosk_ui/ratelimit.py).
RATE_LIMITED = "登记过于频繁，请到前台办理 / Too many registrations in a row: please ask the desk"


def _refusal(status: int, error: str, detail: str | None = None, field: str | None = "form") -> JSONResponse:
    body: dict[str, Any] = {"error": error}
    if field is not None:
        body["field"] = field
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(body, status_code=status)


def _same_origin(request: Request) -> JSONResponse | None:
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        return _refusal(403, "bad_request", "cross-origin request")
    return None


async def _json_body(request: Request) -> tuple[Any, JSONResponse | None]:
    """The request's JSON body, or the refusal to answer with (type, origin, size, encoding)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return None, _refusal(415, "bad_request", "send the form as application/json")
    refusal = _same_origin(request)
    if refusal is not None:
        return None, refusal
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None, _refusal(413, "too_large", f"form larger than {MAX_BODY} bytes")
    try:
        return json.loads(body.decode("utf-8")), None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, _refusal(400, "bad_request", "the form is not UTF-8 JSON")


async def _register(screens: Screens, raw: Any) -> JSONResponse:
    try:
        form = parse_walk_in(raw, screens.config.language)
    except FieldError as err:
        return _refusal(422, err.code, field=err.field)
    registrar = screens.registrar()
    if registrar is None:
        return _refusal(503, "unavailable", "the access service is not running on this edge")
    refused = screens.limits.take("registration") if screens.limits is not None else None
    if refused is not None:
        return _rate_limited(refused)
    try:
        # The access service journals synchronously (fsync): keep that off the event loop.
        item = await asyncio.to_thread(registrar.register_walk_in, form, via=screens.config.role,
                                       language=form.language)
    except FieldError as err:
        # A typo is not a registration: the visitor may correct it without using up the limit.
        if screens.limits is not None:
            screens.limits.give_back("registration")
        return _refusal(422, err.code, field=err.field)
    except RegistrationUnavailable as err:  # our own words: no access service on this edge
        return _refusal(503, "unavailable", str(err))
    # Anything else is unexpected: the app's guard logs it and answers with a reference id only.
    return JSONResponse(item, status_code=201)


def _rate_limited(refused: Refused) -> JSONResponse:
    """429 with the code the pages translate, when to try again, and the message in both languages."""
    body = {"error": "rate_limited", "field": "form", "action": refused.action,
            "retry_after_s": refused.retry_after_s, "message": RATE_LIMITED}
    return JSONResponse(body, status_code=429, headers={"Retry-After": str(refused.retry_after_s)})


def _gate_registrar(screens: Screens) -> tuple[Registrar | None, JSONResponse | None]:
    # Who is in the building is for the guard's screen only: the lobby kiosk is public.
    if screens.config.role != "gate":
        return None, _refusal(403, "not_here", "only the gate-post screen lists visitors", field=None)
    registrar = screens.registrar()
    if registrar is None:
        return None, _refusal(503, "unavailable", "the access service is not running on this edge", field=None)
    return registrar, None


def registration_router(screens: Screens) -> APIRouter:
    """The routes listed in the module docstring."""
    router = APIRouter(route_class=SecureRoute)

    @router.post("/api/visitors")
    async def api_register(request: Request) -> JSONResponse:
        raw, refusal = await _json_body(request)
        return refusal if refusal is not None else await _register(screens, raw)

    @router.post("/api/phone-mask")
    async def api_phone_mask(request: Request) -> JSONResponse:
        raw, refusal = await _json_body(request)
        if refusal is not None:
            return refusal
        phone = raw.get("phone") if isinstance(raw, dict) else None
        if not isinstance(phone, str) or len(phone) > LIMITS["phone"]:
            return _refusal(422, "phone_invalid", field="phone")
        return JSONResponse({"masked": mask_phone(phone)})

    @router.get("/api/present")
    async def api_present() -> JSONResponse:
        registrar, refusal = _gate_registrar(screens)
        if registrar is None:
            return refusal or _refusal(503, "unavailable")
        visitors = await asyncio.to_thread(registrar.present)
        return JSONResponse({"visitors": visitors[:PRESENT_MAX], "more": max(0, len(visitors) - PRESENT_MAX)})

    @router.post("/api/present/{visit_id}/checkout")
    async def api_check_out(visit_id: str, request: Request) -> JSONResponse:
        refusal = _same_origin(request)
        if refusal is not None:
            return refusal
        registrar, refusal = _gate_registrar(screens)
        if registrar is None:
            return refusal or _refusal(503, "unavailable")
        item = await asyncio.to_thread(registrar.check_out, visit_id[:64])
        if item is None:
            return _refusal(404, "not_checked_in", "no such visitor in", field=None)
        return JSONResponse(item)

    return router


__all__ = ["MAX_BODY", "PRESENT_MAX", "registration_router"]
