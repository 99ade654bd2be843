"""Signed visitor-pass tokens: format, size, and every way a token is refused."""
import uuid
from datetime import UTC, datetime, timedelta

import base45
import pytest
import segno

from frontdesk.central.passes import find_double_use, issue_pass
from frontdesk.passes import (
    PREFIX,
    Rejection,
    generate_key,
    key_id,
    keyring,
    load_private_key,
    load_public_key,
    public_pem,
    public_text,
    save_private_key,
    verify_pass,
)

from .access_helpers import SITE, a_pass


def reason_of(token, keys, **kw):
    with pytest.raises(Rejection) as info:
        verify_pass(token, keys, site=kw.pop("site", SITE), **kw)
    return info.value.reason


def test_round_trip_and_fits_an_alphanumeric_qr(site_key):
    pid, token = a_pass(site_key, visitor_name="Zhang San-Feng 张三丰")
    vp = verify_pass(token, keyring([site_key.public_key()]), site=SITE)
    assert (vp.pass_id, vp.site, vp.host_unit, vp.visitor_name, vp.single_use) == \
        (pid, SITE, "3-1502", "Zhang San-Feng 张三丰", True)
    assert vp.key_id == key_id(site_key).hex()
    assert token.startswith(PREFIX)
    qr = segno.make(token, error="m", micro=False)
    assert qr.mode == "alphanumeric" and qr.version <= 10


def test_forged_tampered_or_unknown_key(site_key):
    keys = keyring([site_key.public_key()])
    _, token = a_pass(site_key)
    blob = bytearray(base45.b45decode(token[len(PREFIX):]))
    blob[33] ^= 0x01  # change one letter of the site name, keep the old signature
    assert reason_of(PREFIX + base45.b45encode(bytes(blob)).decode(), keys) == "forged"
    other = generate_key()
    _, stranger = a_pass(other)
    assert reason_of(stranger, keys) == "forged"
    # Same key id bytes but a different key: signature check still fails.
    body = base45.b45decode(stranger[len(PREFIX):])
    body = body[:1] + key_id(site_key) + body[5:]
    assert reason_of(PREFIX + base45.b45encode(body).decode(), keys) == "forged"


def test_expired_not_yet_valid_wrong_site(site_key):
    keys = keyring([site_key.public_key()])
    now = datetime.now(UTC)
    _, old = a_pass(site_key, valid_from=now - timedelta(days=2), valid_until=now - timedelta(days=1))
    assert reason_of(old, keys) == "expired"
    _, early = a_pass(site_key, valid_from=now + timedelta(days=1), valid_until=now + timedelta(days=2))
    assert reason_of(early, keys) == "not_yet_valid"
    _, other_site = a_pass(site_key, site="moonview")
    assert reason_of(other_site, keys) == "wrong_site"
    # Within the clock leeway both edges of the window still pass.
    _, edge = a_pass(site_key, valid_from=now + timedelta(seconds=30), valid_until=now + timedelta(hours=1))
    assert verify_pass(edge, keys, site=SITE, leeway_s=120)


@pytest.mark.parametrize("token", [
    "", "FDP1:", "FDP1:!!!!", "FDP1:" + "A" * 5000, "http://example.com",
    "FDP1:" + base45.b45encode(b"x" * 20).decode(),
    b"\xff\xfeFDP1", "FDP1:" + base45.b45encode(bytes([2]) + b"\x00" * 200).decode(),
])
def test_malformed(site_key, token):
    assert reason_of(token, keyring([site_key.public_key()])) == "malformed"


def test_truncated_fields_are_malformed_not_a_crash(site_key):
    _, token = a_pass(site_key)
    blob = base45.b45decode(token[len(PREFIX):])
    for cut in (1, 40, 64, 70, len(blob) - 1):
        short = PREFIX + base45.b45encode(blob[:-cut]).decode()
        assert reason_of(short, keyring([site_key.public_key()])) in ("malformed", "forged")


def test_issue_refuses_bad_input(site_key):
    with pytest.raises(ValueError):
        issue_pass(site_key, site=SITE, host_unit="1-1", visitor_name="x" * 200)
    with pytest.raises(ValueError):
        issue_pass(site_key, site=SITE, host_unit="1-1", visitor_name="bad\nname")
    now = datetime.now(UTC)
    with pytest.raises(ValueError):
        issue_pass(site_key, site=SITE, host_unit="1-1", visitor_name="a", valid_from=now, valid_until=now)


def test_keys_save_load_and_text_forms(tmp_path, site_key):
    path = tmp_path / "site.key"
    save_private_key(site_key, path)
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = load_private_key(path)
    assert key_id(loaded) == key_id(site_key)
    for form in (public_text(site_key), public_pem(site_key), str(path)):
        assert key_id(load_public_key(form)) == key_id(site_key)
    pem = tmp_path / "site.pub"
    pem.write_text(public_pem(site_key))
    assert key_id(load_public_key(str(pem))) == key_id(site_key)
    with pytest.raises(ValueError):
        load_public_key("ed25519:not-base64")
    with pytest.raises(ValueError):
        load_public_key(str(tmp_path / "missing.pub"))


def test_central_flags_single_use_pass_used_at_two_offline_edges():
    pid, other = str(uuid.uuid4()), str(uuid.uuid4())

    def use(device, pass_id, single=True, n=1):
        return {"id": str(uuid.uuid4()), "type": "visitor.checked_in", "site": SITE, "device": device,
                "occurred_at": f"2026-01-01T10:0{n}:00Z",
                "payload": {"method": "pass", "pass_id": pass_id, "single_use": single}}
    events = [use("kiosk-1", pid, n=1), use("gate-2", pid, n=2), use("kiosk-1", other, n=3),
              use("kiosk-1", "multi", single=False), use("gate-2", "multi", single=False),
              {"id": "x", "type": "card.scanned", "site": SITE, "device": "gate-2", "payload": {}}]
    flagged = find_double_use(events)
    assert [(f.pass_id, f.devices) for f in flagged] == [(pid, ["gate-2", "kiosk-1"])]
    assert len(flagged[0].event_ids) == 2
