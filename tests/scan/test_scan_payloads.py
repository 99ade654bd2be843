"""Payload bytes survive decoding: Chinese UTF-8, binary, non-UTF-8, oversized, injection-shaped."""
import os

import cv2
import numpy as np
import pytest
import segno

from frontdesk.drivers.scan import Deduplicator, Symbol, default_chain, make_decoder, payload_text, to_gray


def qr_image(data, *, scale=4, border=4, **kw) -> np.ndarray:
    qr = segno.make(data, micro=False, **kw)
    rows = np.array([[0 if dark else 255 for dark in row] for row in qr.matrix_iter(scale=scale, border=border)],
                    dtype=np.uint8)
    return cv2.cvtColor(rows, cv2.COLOR_GRAY2BGR)


DECODERS = ("zxing", "zbar")


@pytest.mark.parametrize("name", DECODERS)
def test_chinese_utf8_is_not_misread_as_shift_jis(name):
    text = "访客通行证：王小明 → 3栋1502室，物业服务中心"
    img = qr_image(text, encoding="utf-8", eci=False)
    found = make_decoder(name).decode(to_gray(img))
    assert [s.text for s in found] == [text]
    assert found[0].raw == text.encode("utf-8")


@pytest.mark.parametrize("name", DECODERS)
def test_binary_payload_bytes_are_exact(name):
    data = bytes(range(256)) + os.urandom(64)
    found = make_decoder(name).decode(to_gray(qr_image(data, scale=3)))
    assert len(found) == 1 and found[0].raw == data
    assert isinstance(found[0].text, str)  # some text, never an exception


@pytest.mark.parametrize("name", DECODERS)
def test_non_utf8_gb18030_payload_keeps_bytes_and_text(name):
    data = "访客证 张伟".encode("gb18030")
    found = make_decoder(name).decode(to_gray(qr_image(data)))
    assert found[0].raw == data  # the bytes are exact whatever the text guess
    # Without ECI, GB18030 and Shift-JIS overlap: a site can put GB18030 first.
    found = make_decoder(name, legacy=("gb18030", "shift_jis")).decode(to_gray(qr_image(data)))
    assert found[0].text == "访客证 张伟"


def test_eci_declared_charset_wins_over_the_guess():
    # "访客证 张伟" in GB18030 also decodes as (wrong) Shift-JIS; the symbol's ECI settles it.
    # (zxing-cpp reports ECI; zbar does not, which is one more reason it runs second.)
    text = "访客证 张伟"
    found = make_decoder("zxing").decode(to_gray(qr_image(text, encoding="gb18030", eci=True)))
    assert found[0].text == text and found[0].raw == text.encode("gb18030")


def test_payload_text_rules():
    assert payload_text("门禁".encode()) == "门禁"
    assert payload_text("モバイル".encode("shift_jis")) == "モバイル"
    assert payload_text(b"\xff\xfe\xfd") == "\xff\xfe\xfd"  # latin-1: never raises
    assert payload_text("王".encode("gb18030"), eci_charset="gb18030") == "王"


@pytest.mark.parametrize("name", DECODERS)
def test_oversized_payload_near_qr_capacity(name):
    data = ("X" * 2000).encode()
    img = qr_image(data, scale=2, error="l")
    found = make_decoder(name).decode(to_gray(img))
    assert found and found[0].raw == data


@pytest.mark.parametrize("payload", ["<script>alert('x')</script>", "'; DROP TABLE events;--", "{{7*7}}${jndi:ldap://x}",
                                     "\u202eRLO\x00NUL"])
def test_injection_shaped_payloads_come_back_verbatim(payload):
    img = qr_image(payload.encode("utf-8"))
    found = default_chain().decode(img)
    assert [s.raw for s in found] == [payload.encode("utf-8")]
    assert found[0].text == payload


def test_code128_polygon_and_json():
    from io import BytesIO

    import barcode
    from barcode.writer import ImageWriter

    buf = BytesIO()
    barcode.get("code128", "RES-1001-A", writer=ImageWriter()).write(buf)
    img = cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_COLOR)
    found = default_chain().decode(img)
    assert [(s.format, s.text) for s in found] == [("Code128", "RES-1001-A")]
    doc = found[0].to_json()
    assert set(doc) == {"format", "text", "bytes_hex", "polygon"}
    assert bytes.fromhex(doc["bytes_hex"]) == b"RES-1001-A"
    assert len(doc["polygon"]) == 4


def test_blank_and_noise_frames_give_nothing():
    chain = default_chain()
    assert chain.decode(np.full((720, 1280, 3), 255, np.uint8)) == []
    rng = np.random.default_rng(7)
    assert chain.decode(rng.integers(0, 256, (480, 640), dtype=np.uint8)) == []


def test_same_symbol_in_consecutive_frames_is_one_scan():
    dd = Deduplicator(gap_s=1.0)
    a = Symbol("QRCode", b"FDP1:AAA", "FDP1:AAA")
    b = Symbol("QRCode", b"FDP1:BBB", "FDP1:BBB")
    frames = [[a], [a], [a, b], [a, b], [b]]
    fresh = [dd.fresh(f, now=i * 0.1) for i, f in enumerate(frames)]
    assert fresh == [[a], [], [b], [], []]
    # Taken away for longer than the gap and shown again: a new scan.
    assert dd.fresh([a], now=0.4 + 1.5) == [a]
    # Seen continuously for a long time: still one scan.
    results = [dd.fresh([b], now=2.0 + i * 0.05) for i in range(100)]
    assert results[0] == [b] and all(r == [] for r in results[1:])
