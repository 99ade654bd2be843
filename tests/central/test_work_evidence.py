"""Evidence of the work from the technician's phone: photos (checked by their bytes, resized,
metadata dropped, size limits held before and while reading) and the resident's signature."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from frontdesk.ids import new_id

from .helpers import OTHER, PASSWORD, SITE
from .test_work_orders_phone import work_order

MB = 1_000_000


def jpeg(size=(3000, 2000), orientation: int | None = None) -> bytes:
    """A photo: left half red, right half blue, with camera EXIF (GPS, make) and an orientation."""
    image = Image.new("RGB", size, (220, 20, 20))
    ImageDraw.Draw(image).rectangle((size[0] // 2, 0, size[0], size[1]), fill=(20, 20, 220))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}  # GPS
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims to be width x height and holds almost nothing: a decompression bomb's shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
            + chunk(b"IEND", b""))


def upload(client: TestClient, tid: str, data: bytes, filename: str = "photo.jpg", ctype: str = "image/jpeg",
           **fields):
    return client.post(f"/api/v1/tickets/{tid}/photos", files={"photo": (filename, data, ctype)}, data=fields)


def test_a_photo_is_kept_upright_resized_and_without_metadata(central):
    desk, tech = central.client("desk"), central.client("technician")
    tid, _ = work_order(desk)
    tech.post(f"/api/v1/tickets/{tid}/claim")
    r = upload(tech, tid, jpeg(orientation=6), note="水管接口")  # 6: the camera was held upright
    assert r.status_code == 201, r.text
    a = r.json()["attachment"]
    assert (a["kind"], a["mime"], a["by"], a["ticket_id"]) == ("photo", "image/jpeg", "technician", tid)
    assert (a["width"], a["height"]) == (1067, 1600)  # turned upright, then at most 1600 px
    assert r.json()["ticket"]["state"] == "claimed"  # evidence changes no state
    got = tech.get(f"/api/v1/tickets/{tid}/attachments/{a['id']}")
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert got.headers["cache-control"] == "private"
    kept = Image.open(io.BytesIO(got.content))
    assert kept.size == (1067, 1600) and not kept.getexif() and "exif" not in kept.info
    top, bottom = kept.getpixel((533, 200)), kept.getpixel((533, 1400))
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]  # the left (red) half is now on top
    assert len(got.content) == a["size"] < 1 * MB
    assert hashlib.sha256(got.content).hexdigest() == a["sha256"]
    listed = desk.get(f"/api/v1/tickets/{tid}/attachments").json()
    assert [x["id"] for x in listed] == [a["id"]] and "data" not in listed[0]
    line = [h for h in desk.get(f"/api/v1/tickets/{tid}").json()["history"] if h["type"] == "ticket.attachment_added"]
    assert len(line) == 1 and line[0]["by"] == "technician"
    assert (line[0]["detail"]["attachment_id"], line[0]["detail"]["sha256"]) == (a["id"], a["sha256"])
    assert line[0]["detail"]["note"] == "水管接口"
    # PNG and WebP are taken too; each is stored as a JPEG
    for fmt in ("PNG", "WEBP"):
        out = io.BytesIO()
        Image.new("RGBA", (640, 480), (0, 128, 0, 128)).save(out, fmt)
        r = upload(tech, tid, out.getvalue(), filename=f"x.{fmt.lower()}", ctype="application/octet-stream")
        assert r.status_code == 201 and r.json()["attachment"]["mime"] == "image/jpeg", r.text


def test_what_is_not_an_image_is_refused_by_its_bytes(central):
    desk, tech = central.client("desk"), central.client("technician")
    tid, _ = work_order(desk)
    cases = {
        "a text file renamed .jpg": b"this is not a photo at all\n" * 100,
        "a cut-off JPEG": jpeg()[:4000],
        "a GIF": (lambda b: (Image.new("RGB", (50, 50)).save(b, "GIF"), b.getvalue())[1])(io.BytesIO()),
        "an empty file": b"",
    }
    for what, data in cases.items():
        r = upload(tech, tid, data)
        assert r.status_code == 415, (what, r.status_code, r.text)
        assert "refused" in r.json()["detail"], what
    assert tech.get(f"/api/v1/tickets/{tid}/attachments").json() == []
    assert upload(tech, tid, b"", filename="x").status_code == 415
    no_file = tech.post(f"/api/v1/tickets/{tid}/photos", data={"photo": "a string, not a file"})
    assert no_file.status_code == 422
    assert tech.post(f"/api/v1/tickets/{tid}/photos", json={"photo": "x"}).status_code == 422


def test_decompression_bombs_are_refused(central_sqlite):
    desk, tech = central_sqlite.client("desk"), central_sqlite.client("technician")
    tid, _ = work_order(desk)
    # past Pillow's own bomb limit: it refuses to open it at all
    r = upload(tech, tid, png_header_only(30000, 30000), filename="bomb.png", ctype="image/png")
    assert r.status_code == 415 and "bomb" in r.json()["detail"]
    # a real one: 8000 x 8000 of nothing, a few dozen KB squeezed, 64 megapixels opened
    out = io.BytesIO()
    Image.new("L", (8000, 8000)).save(out, "PNG")
    assert len(out.getvalue()) < 200_000
    r = upload(tech, tid, out.getvalue(), filename="bomb.png", ctype="image/png")
    assert r.status_code == 415 and "8000x8000" in r.json()["detail"]


def _multipart_stream(size: int, boundary: str, chunk: int, pulled: list[int]):
    """A multipart body with a `size`-byte photo, made as it is sent; `pulled` counts what was taken."""
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"big.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode()
    block = b"\xff" * chunk

    async def body():
        yield head
        sent = 0
        while sent < size:
            pulled[0] += chunk
            sent += chunk
            yield block
        yield f"\r\n--{boundary}--\r\n".encode()
    return body()


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_a_50_mb_upload_is_refused_without_being_read(central_sqlite, declared):
    """413 from Content-Length before reading; and with no Content-Length (chunked), cut off
    once past the limit: the app pulls not much more than 12 MB of the 50 MB."""
    desk = central_sqlite.client("desk")
    tid, _ = work_order(desk)
    tech = central_sqlite.client("technician")
    size, boundary, pulled = 50 * MB, "b0undary", [0]
    headers = {"Authorization": tech.headers["Authorization"],
               "Content-Type": f"multipart/form-data; boundary={boundary}"}
    if declared:
        headers["Content-Length"] = str(size + 300)

    async def send():
        transport = httpx.ASGITransport(app=central_sqlite.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.post(f"/api/v1/tickets/{tid}/photos", headers=headers,
                                     content=_multipart_stream(size, boundary, 256 * 1024, pulled))

    # In a thread of its own: a browser test earlier in the session leaves Playwright's event
    # loop running in this one, and asyncio.run() refuses to start inside a running loop.
    with ThreadPoolExecutor(1) as pool:
        r = pool.submit(asyncio.run, send()).result()
    assert r.status_code == 413, r.text
    assert "12 MB" in r.json()["detail"]
    if declared:
        assert pulled[0] == 0  # refused from the header alone
    else:
        assert 12 * MB <= pulled[0] <= 13 * MB
    assert central_sqlite.tickets.attachments.list_for(tid) == []


def test_a_50_mb_upload_over_a_real_socket_is_cut_off(sqlite_url):
    """The same through uvicorn on loopback: the server stops reading, the client cannot push
    50 MB into it, and the answer (when the client gets to read it) is 413."""
    from tests.dashboard.dashboard_helpers import Central as Served

    with Served(sqlite_url) as served:
        served.add_user("desk1", "desk", password=PASSWORD)
        served.add_user("wang", "technician", password=PASSWORD)

        def client(user: str) -> httpx.Client:
            token = httpx.post(f"{served.url}/api/v1/auth/login",
                               json={"username": user, "password": PASSWORD, "token": True}).json()["token"]
            return httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

        with client("desk1") as desk, client("wang") as tech:
            tid, _ = work_order(desk)  # type: ignore[arg-type]
            pulled = [0]
            boundary = "b0undary"
            head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"big.jpg\"\r\n"
                    f"Content-Type: image/jpeg\r\n\r\n").encode()

            def body():
                yield head
                while pulled[0] < 50 * MB:
                    pulled[0] += 256 * 1024
                    yield b"\xff" * (256 * 1024)

            try:
                r = tech.post(f"/api/v1/tickets/{tid}/photos", content=body(),
                              headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
                assert r.status_code == 413, r.text
            except httpx.TransportError:
                pass  # the server closed the connection while the client was still sending: also a refusal
            assert pulled[0] < 30 * MB, pulled[0]  # the socket buffers take a few MB, not the rest
            assert served.app.state.tickets.attachments.list_for(tid) == []
            assert tech.get("/api/v1/work-orders/mine").status_code == 200  # and the server carries on


def test_resending_a_photo_with_its_event_id_keeps_one(central):
    desk, tech = central.client("desk"), central.client("technician")
    tid, _ = work_order(desk)
    event_id = new_id()
    first = upload(tech, tid, jpeg((800, 600)), event_id=event_id)
    again = upload(tech, tid, jpeg((800, 600)), event_id=event_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["attachment"] == again.json()["attachment"]
    assert len(tech.get(f"/api/v1/tickets/{tid}/attachments").json()) == 1
    history = desk.get(f"/api/v1/tickets/{tid}").json()["history"]
    assert [h["event_id"] for h in history].count(event_id) == 1
    # the id of a claim, or of another ticket's photo, is not this photo's
    claim_id = new_id()
    assert tech.post(f"/api/v1/tickets/{tid}/claim", json={"event_id": claim_id}).status_code == 200
    assert upload(tech, tid, jpeg((800, 600)), event_id=claim_id).status_code == 409
    other, _ = work_order(desk)
    assert upload(tech, other, jpeg((800, 600)), event_id=event_id).status_code == 409
    assert upload(tech, other, jpeg((800, 600)), event_id="nope").status_code == 422


def test_who_may_add_and_see_photos(central):
    desk, tech, guard = central.client("desk"), central.client("technician"), central.client("guard")
    tid, _ = work_order(desk)
    assert upload(guard, tid, jpeg((400, 300))).status_code == 403
    theirs, _ = work_order(central.client("other-desk"), site=OTHER)
    assert upload(tech, theirs, jpeg((400, 300))).status_code == 404
    made = upload(central.client("other-desk"), theirs, jpeg((400, 300))).json()["attachment"]
    assert tech.get(f"/api/v1/tickets/{theirs}/attachments").status_code == 404
    assert tech.get(f"/api/v1/tickets/{theirs}/attachments/{made['id']}").status_code == 404
    assert tech.get(f"/api/v1/tickets/{tid}/attachments/{made['id']}").status_code == 404  # not this ticket's
    assert TestClient(central.app).get(f"/api/v1/tickets/{theirs}/attachments/{made['id']}").status_code == 401


def signature_png(blank: bool = False) -> str:
    """A signature as a phone's canvas gives it: black strokes on a clear background, a data: URL."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line([(40, 150), (200, 40), (320, 160), (560, 50)], fill=(0, 0, 0, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _done(desk: TestClient, tech: TestClient) -> str:
    tid, _ = work_order(desk)
    assert tech.post(f"/api/v1/tickets/{tid}/claim").status_code == 200
    for state in ("on_site", "done"):
        assert tech.post(f"/api/v1/tickets/{tid}/transition", json={"to_state": state}).status_code == 200
    return tid


def test_the_residents_signature_confirms_the_work(central):
    desk, tech = central.client("desk"), central.client("technician")
    tid = _done(desk, tech)
    event_id = new_id()
    r = tech.post(f"/api/v1/tickets/{tid}/confirm", json={"method": "signature", "signature_png": signature_png(),
                                                          "event_id": event_id, "note": "住户满意"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "confirmed" and body["signature"]["kind"] == "signature"
    sig = body["signature"]
    got = tech.get(f"/api/v1/tickets/{tid}/attachments/{sig['id']}")
    assert got.headers["content-type"] == "image/png"
    kept = Image.open(io.BytesIO(got.content)).convert("RGB")
    assert kept.getpixel((5, 5)) == (255, 255, 255)  # the clear canvas became white, not black
    assert kept.convert("L").getextrema()[0] == 0  # and the strokes are there
    # sent again (the phone's queue did not hear the answer): the same, nothing added
    again = tech.post(f"/api/v1/tickets/{tid}/confirm", json={"signature_png": signature_png(), "event_id": event_id})
    assert again.status_code == 200 and again.json()["signature"]["id"] == sig["id"]
    assert len(tech.get(f"/api/v1/tickets/{tid}/attachments").json()) == 1
    history = desk.get(f"/api/v1/tickets/{tid}").json()["history"]
    assert [h["type"] for h in history[-2:]] == ["ticket.attachment_added", "ticket.transitioned"]
    assert history[-1]["detail"]["to_state"] == "confirmed" and history[-1]["by"] == "technician"
    # confirmed once is enough
    r = tech.post(f"/api/v1/tickets/{tid}/confirm", json={"signature_png": signature_png()})
    assert r.status_code == 422 and "confirmed already" in r.json()["detail"]


def test_a_confirmation_is_refused_with_a_reason(central):
    desk, tech, guard = central.client("desk"), central.client("technician"), central.client("guard")
    not_done, _ = work_order(desk)
    r = tech.post(f"/api/v1/tickets/{not_done}/confirm", json={"signature_png": signature_png()})
    assert r.status_code == 422 and "done" in r.json()["detail"]
    tid = _done(desk, tech)
    cases = [({"signature_png": signature_png(blank=True)}, 415, "empty"),
             ({"signature_png": base64.b64encode(b"not a picture" * 10).decode()}, 415, "not an image"),
             ({"signature_png": "%%% not base64 %%%"}, 422, "base64"),
             ({"signature_png": base64.b64encode(b"\x00" * (MB + 10)).decode()}, 413, "larger than 1 MB"),
             ({"signature_png": signature_png(), "method": "sms"}, 422, "method"),
             ({"signature_png": signature_png(), "event_id": "1234"}, 422, "event_id"),
             ({}, 422, "signature_png")]
    for body, status, reason in cases:
        r = tech.post(f"/api/v1/tickets/{tid}/confirm", json=body)
        assert r.status_code == status and reason in str(r.json()["detail"]), (body.keys(), r.status_code, r.text)
    huge = tech.post(f"/api/v1/tickets/{tid}/confirm", content=b"{" + b" " * (3 * MB) + b"}",
                     headers={"Content-Type": "application/json"})
    assert huge.status_code == 413
    assert guard.post(f"/api/v1/tickets/{tid}/confirm", json={"signature_png": signature_png()}).status_code == 403
    assert central.tickets.get(tid)["state"] == "done"
    assert tech.get(f"/api/v1/tickets/{tid}/attachments").json() == []
    inquiry = desk.post("/api/v1/tickets", json={"site": SITE, "kind": "inquiry", "title": "x"}).json()["id"]
    assert tech.post(f"/api/v1/tickets/{inquiry}/confirm", json={"signature_png": signature_png()}).status_code == 422


def test_a_technician_may_photograph_and_have_the_work_confirmed_on_a_cookie_session(central_sqlite):
    """The phone's page uses a remembered cookie session: CSRF applies to uploads too."""
    c = central_sqlite
    desk = c.client("desk")
    tech = c.client("technician", token=False)
    tid = _done(desk, c.client("technician"))
    assert upload(tech, tid, jpeg((400, 300))).status_code == 403  # no CSRF header
    tech.headers["X-CSRF-Token"] = tech.csrf
    assert upload(tech, tid, jpeg((400, 300))).status_code == 201
    assert tech.post(f"/api/v1/tickets/{tid}/confirm", json={"signature_png": signature_png()}).status_code == 200
