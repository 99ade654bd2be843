"""Evidence of the work: a technician's photos, the resident's signed confirmation, and reading
them back. The checks on the images themselves are in tickets/attachments.py; the size limits
here hold before and while the body is read (bodies.py)."""
from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from frontdesk.ids import new_id
from frontdesk.schema.tickets import TicketAttachmentAdded, TicketTransitioned

from ..auth.accounts import Staff
from ..tickets import lifecycle
from ..tickets.attachments import ImageRefused, prepare
from ..tickets.writer import derived_id
from .bodies import read_body, read_form, too_large
from .deps import EVENT_ID_FIELD, TICKET, Api, EventId, as_json, build, out, shown

NOTE = Field(default=None, max_length=2000)
MB = 1_000_000
SIGNATURE_MAX = 1 * MB
# A base64 signature of SIGNATURE_MAX bytes, and room for the rest of the JSON.
CONFIRM_BODY_MAX = SIGNATURE_MAX * 4 // 3 + 16 * 1024
CONFIRMED, DONE = "confirmed", "done"


class PhotoFields(BaseModel):
    """The form fields sent with a photo besides the file."""
    event_id: EventId = EVENT_ID_FIELD
    note: str | None = NOTE


class Confirm(BaseModel):
    """The resident's confirmation taken on the technician's phone. `method` says how the resident
    confirmed: "signature" (drawn on the screen, sent as a PNG in base64, a data: URL allowed).
    A code the resident reads out from an SMS is to come as another method."""
    method: Literal["signature"] = "signature"
    signature_png: str = Field(min_length=1)
    note: str | None = NOTE
    event_id: EventId = EVENT_ID_FIELD


# The bodies these routes read themselves (to hold the size limits while reading), for the OpenAPI schema.
PHOTO_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["photo"],
    "properties": {"photo": {"type": "string", "format": "binary"}, "event_id": {"type": "string"},
                   "note": {"type": "string", "maxLength": 2000}}}}}}}
CONFIRM_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": Confirm.model_json_schema(ref_template="#/components/schemas/{model}")}}}}


def _resent(api: Api, staff: Staff, ticket_id: str, kind: str, event_id: str) -> dict[str, Any] | None:
    """The attachment an earlier request with this event_id added (a resend), None if the id is new;
    HTTP 409 if the id was used for anything else."""
    stored = api.system.stored_event(event_id)
    if stored is None:
        return None
    p = stored["payload"] or {}
    same = (stored["device"] == api.system.writer.device and stored["type"] == TicketAttachmentAdded.TYPE
            and p.get("ticket_id") == ticket_id and p.get("by") == staff.username and p.get("kind") == kind)
    found = api.system.attachments.by_event(event_id) if same else None
    if found is None:
        raise HTTPException(409, {"message": "this event_id was used for another change (another ticket, author "
                                             "or action)", "event_id": event_id})
    return found


def keep(api: Api, staff: Staff, ticket: dict[str, Any], kind: str, raw: bytes, note: str | None,
         event_id: str, limit: int) -> tuple[dict[str, Any], bool]:
    """Check, store and record one image for the ticket: (its view, whether it is new). HTTP 413
    over `limit`, 415 for what is not an image central keeps, 409 for an event_id used elsewhere."""
    earlier = _resent(api, staff, ticket["id"], kind, event_id)
    if earlier is not None:
        return earlier, False
    if len(raw) > limit:
        raise too_large(f"the {kind}", limit)
    try:
        image = prepare(raw, kind)
    except ImageRefused as err:
        raise HTTPException(415, f"the {kind} was refused: {err}") from None
    store = api.system.attachments
    made = store.add(attachment_id=new_id(), ticket_id=ticket["id"], site=ticket["site"], kind=kind, image=image,
                     by=staff.username, note=note, event_id=event_id)
    kept = made or store.by_event(event_id)  # None: an earlier try stored it, then failed to record it
    if kept is None or (kept["ticket_id"], kept["by"], kept["kind"]) != (ticket["id"], staff.username, kind):
        raise HTTPException(409, {"message": "this event_id was used for another attachment", "event_id": event_id})
    try:
        api.write(staff, TicketAttachmentAdded, ticket["id"], event_id, attachment_id=kept["id"], kind=kind,
                  sha256=kept["sha256"], bytes=kept["size"], note=note)
    except HTTPException:
        if made is not None:
            store.remove(made["id"])
        raise
    return kept, True


def _signature_bytes(text: str) -> bytes:
    """The bytes of a base64 PNG (a data: URL allowed); HTTP 422 if it is not base64, 413 if too large."""
    if text.startswith("data:"):
        text = text.partition(",")[2]
    if len(text) > CONFIRM_BODY_MAX:
        raise too_large("the signature", SIGNATURE_MAX)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(422, "signature_png: not base64") from None


def confirm(api: Api, staff: Staff, ticket_id: str, req: Confirm) -> dict[str, Any]:
    """Keep the resident's signature and move the ticket to `confirmed`: the ticket, with
    "signature" (the attachment). The signature's event id is derived from the confirmation's,
    so a resend finds both steps done (or finishes the one that was not)."""
    ticket = api.ticket(ticket_id, staff)
    kind = ticket["kind"]
    if CONFIRMED not in lifecycle.states(kind):
        raise HTTPException(422, f"{kind} tickets have no resident's confirmation")
    event_id = req.event_id or new_id()
    signature_id = derived_id(event_id, "signature")
    moved = TicketTransitioned(ticket_id=ticket_id, by=staff.username, to_state=CONFIRMED, note=req.note)
    if not api.already_written(staff, moved, event_id):
        if lifecycle.rank(kind, ticket["state"]) < lifecycle.rank(kind, DONE):
            raise HTTPException(422, "mark the work done before the resident confirms it")
        if lifecycle.rank(kind, ticket["state"]) >= lifecycle.rank(kind, CONFIRMED):
            raise HTTPException(422, f"the ticket is {ticket['state']} already")
        keep(api, staff, ticket, "signature", _signature_bytes(req.signature_png), req.note, signature_id,
             SIGNATURE_MAX)
        api.write(staff, TicketTransitioned, ticket_id, event_id, to_state=CONFIRMED, note=req.note)
    ticket = api.ticket(ticket_id, staff)
    return {**out(ticket, staff, TICKET), "signature": api.system.attachments.by_event(signature_id)}


async def _photo_upload(request: Request, limit: int) -> tuple[bytes, PhotoFields]:
    """The photo's bytes and the other fields of the multipart form (413, 422 as bodies.py says)."""
    form = await read_form(request, "the photo", limit)
    try:
        photo = form.get("photo")
        if not isinstance(photo, UploadFile):
            raise HTTPException(422, "photo: send the image as a file in the field 'photo'")
        raw = await photo.read(limit + 1)
        fields = {k: v for k, v in form.items() if k in PhotoFields.model_fields and isinstance(v, str)}
    finally:
        await form.close()
    return raw, build(PhotoFields, **fields)


def router(api: Api) -> APIRouter:
    """POST /tickets/{id}/photos, GET /tickets/{id}/attachments, GET /tickets/{id}/attachments/{aid},
    POST /tickets/{id}/confirm."""
    r = APIRouter(prefix="/api/v1", tags=["technicians"])
    require, system = api.require, api.system
    photo_max = int(system.config.photo_max_mb * MB)

    @r.post("/tickets/{ticket_id}/photos", status_code=201, summary="Add a photo of the work (tickets.work; "
            "multipart: photo, optional event_id and note): 201 {attachment, ticket}, 200 for a resend, 413 too "
            "large, 415 not an image", openapi_extra=PHOTO_BODY)
    async def add_photo(ticket_id: str, request: Request,
                        staff: Staff = Depends(require("tickets.work"))) -> JSONResponse:
        ticket = await run_in_threadpool(api.ticket, ticket_id, staff)
        raw, fields = await _photo_upload(request, photo_max)
        attachment, new = await run_in_threadpool(keep, api, staff, ticket, "photo", raw, fields.note,
                                                  fields.event_id or new_id(), photo_max)
        ticket = await run_in_threadpool(api.ticket, ticket_id, staff)
        return JSONResponse({"attachment": attachment, "ticket": out(ticket, staff, TICKET)},
                            status_code=201 if new else 200)

    @r.get("/tickets/{ticket_id}/attachments", summary="A ticket's photos and signatures, without their bytes "
           "(tickets.read)")
    def list_attachments(ticket_id: str, staff: Staff = Depends(require("tickets.read"))) -> list[dict[str, Any]]:
        ticket = api.ticket(ticket_id, staff)
        rows = [as_json(row) for row in system.attachments.list_for(ticket_id)]
        known = [v for v in (ticket["contact_name"], ticket["contact_phone"]) if v]  # a note may quote them
        api.audit_read(staff, "attachments", ticket_id, ticket["site"], rows, known=known)
        return shown(rows, staff, None, known)

    @r.get("/tickets/{ticket_id}/attachments/{attachment_id}", summary="One photo or signature: the image "
           "(tickets.read)", response_class=Response)
    def get_attachment(ticket_id: str, attachment_id: str, staff: Staff = Depends(require("tickets.read"))) -> Response:
        api.ticket(ticket_id, staff)
        found = system.attachments.get(ticket_id, attachment_id)
        if found is None:
            raise HTTPException(404, "no such attachment")
        return Response(found["data"], media_type=found["mime"],
                        headers={"Cache-Control": "private", "X-Content-Type-Options": "nosniff",
                                 "Content-Disposition": "inline"})

    @r.post("/tickets/{ticket_id}/confirm", summary="The resident confirms the work on the technician's phone "
            "(tickets.work): {method: signature, signature_png (base64), note?, event_id?}; the ticket moves to "
            "confirmed", openapi_extra=CONFIRM_BODY)
    async def confirm_work(ticket_id: str, request: Request,
                           staff: Staff = Depends(require("tickets.work"))) -> dict[str, Any]:
        body = await read_body(request, "the confirmation", CONFIRM_BODY_MAX)
        try:
            req = Confirm.model_validate_json(body)
        except ValidationError as err:
            raise HTTPException(422, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                               for e in err.errors())[:1000]) from None
        return await run_in_threadpool(confirm, api, staff, ticket_id, req)

    return r
