"""The access service decides offline, journals every decision, and remembers what it must."""
from datetime import UTC, datetime, timedelta

import pytest

from frontdesk.drivers.cards import wiegand_bits
from frontdesk.edge.access import WalkInError
from frontdesk.passes import generate_key
from frontdesk.schema.access import VisitorCheckedIn

from .access_helpers import a_pass


def test_pass_checks_in_notifies_and_requests_a_badge(post, site_key):
    pid, token = a_pass(site_key)
    updates = []
    post.svc.subscribe(updates.append)
    d = post.svc.scan_payload(token.encode())
    assert (d.decision, d.reason, d.kind, d.name, d.unit, d.pass_id) == ("allow", "ok", "pass", "王小明", "3-1502", pid)
    checked_in = post.events("visitor.checked_in")
    assert len(checked_in) == 1 and checked_in[0]["id"] == d.event_id
    p = checked_in[0]["payload"]
    assert p["method"] == "pass" and p["single_use"] is True and p["checkout_code"] == d.checkout_code
    badge = post.events("print.requested")
    assert badge[0]["payload"]["kind"] == "badge"
    assert badge[0]["payload"]["data"]["checkout_code"] == d.checkout_code
    assert badge[0]["payload"]["data"]["display_name"] == "王小明"
    assert [u["type"] for u in updates] == ["decision"] and updates[0]["event_id"] == d.event_id
    assert post.svc.recent()[0]["event_id"] == d.event_id


def test_replayed_single_use_pass_is_refused_even_after_restart(post, site_key):
    _, token = a_pass(site_key)
    assert post.svc.scan_payload(token.encode()).allowed
    again = post.svc.scan_payload(token.encode())
    assert (again.decision, again.reason) == ("deny", "already_used")
    post.restart()
    assert post.svc.scan_payload(token.encode()).reason == "already_used"
    rejected = post.events("pass.rejected")
    assert [e["payload"]["reason"] for e in rejected] == ["already_used", "already_used"]


def test_use_recorded_in_journal_but_not_yet_in_the_index_is_still_remembered(post, site_key):
    # A crash after the event was committed and before the used-pass index was updated:
    # the journal is the truth, and the service folds it in again when it starts.
    pid, token = a_pass(site_key)
    post.journal.record(VisitorCheckedIn(
        visit_id="v-1", method="pass", visitor_name="王小明", host_unit="3-1502", post_role="kiosk",
        pass_id=pid, single_use=True, checkout_code="FDV1:X", valid_until=datetime.now(UTC) + timedelta(hours=1)))
    post.restart()
    assert post.svc.scan_payload(token.encode()).reason == "already_used"


def test_multi_use_pass_enters_again(post, site_key):
    _, token = a_pass(site_key, single_use=False)
    assert post.svc.scan_payload(token.encode()).allowed
    assert post.svc.scan_payload(token.encode()).allowed
    assert len(post.events("visitor.checked_in")) == 2


@pytest.mark.parametrize("kind", ["forged", "expired", "not_yet_valid", "wrong_site"])
def test_refused_passes_give_reason_on_screen_and_in_event(post, site_key, kind):
    now = datetime.now(UTC)
    if kind == "forged":
        _, token = a_pass(generate_key())
    elif kind == "expired":
        _, token = a_pass(site_key, valid_from=now - timedelta(days=3), valid_until=now - timedelta(days=2))
    elif kind == "not_yet_valid":
        _, token = a_pass(site_key, valid_from=now + timedelta(days=2), valid_until=now + timedelta(days=3))
    else:
        _, token = a_pass(site_key, site="moonview")
    d = post.svc.scan_payload(token.encode(), source="camera:test")
    assert (d.decision, d.reason) == ("deny", kind)
    ev = post.events("pass.rejected")[-1]["payload"]
    assert ev["reason"] == kind and ev["source"] == "camera:test"
    assert bytes.fromhex(ev["payload_hex"]) == token.encode()  # nothing lost
    assert post.events("visitor.checked_in") == []
    if kind == "wrong_site":
        assert ev["site"] == "moonview"


def test_revocation_from_central(post, site_key):
    pid, token = a_pass(site_key, single_use=False)
    ack = post.command("passes.revoke", {"pass_ids": [pid], "reason": "resident cancelled"})
    assert ack.payload["status"] == "applied"
    d = post.svc.scan_payload(token.encode())
    assert (d.decision, d.reason) == ("deny", "revoked")
    post.restart()
    assert post.svc.scan_payload(token.encode()).reason == "revoked"
    # A revocation that has lapsed (its pass expired) no longer applies and is forgotten.
    pid2, token2 = a_pass(site_key, single_use=False)
    post.command("passes.revoke", {"pass_ids": [pid2], "until": "2020-01-01T00:00:00Z"})
    assert post.svc.scan_payload(token2.encode()).allowed


def test_card_allowlist_replace_and_decisions(post):
    ack = post.command("cards.allowlist.replace", {"version": 7, "entries": [
        {"card_id": "04:A1:B2:C3", "holder": "张伟", "unit": "3-1502", "role": "resident"},
        {"card_id": "0012345678", "holder": "Li Na", "unit": None, "role": "staff"},
        {"card_id": "w26:123:45678", "holder": "保安 王", "role": "staff"},
        {"card_id": "code:RES-1001", "holder": "赵六", "unit": "1-101"},
        {"card_id": "uid:DEADBEEF", "holder": "过期", "valid_until": "2020-01-01T00:00:00Z"},
    ]})
    assert ack.payload["result"]["cards"] == 5
    svc = post.svc
    assert svc.status()["cards"] == 5 and svc.status()["allowlist_version"] == 7
    ok = svc.scan_card("04A1B2C3")
    assert (ok.decision, ok.name, ok.unit, ok.role) == ("allow", "张*", "3-1502", "resident")
    assert svc.scan_card("C3B2A104").allowed          # the same card, reader sends the other byte order
    assert svc.scan_card("c3:b2:a1:04").allowed
    assert svc.scan_card("0012345678").allowed        # decimal as printed
    assert svc.scan_card("00BC614E").allowed          # the same UID in hex
    assert svc.scan_card(wiegand_bits(123, 45678)).allowed
    assert svc.scan_payload(b"RES-1001").allowed      # printed card QR / Code 128
    assert svc.scan_card("DEADBEEF").reason == "expired"
    assert svc.scan_card("11223344").reason == "unknown_card"
    bad = wiegand_bits(123, 45678)
    bad = bad[:-1] + ("0" if bad[-1] == "1" else "1")
    parity = svc.scan_card(bad)
    assert (parity.reason, parity.kind) == ("malformed", "card") and "parity" in parity.detail
    events = post.events("card.scanned")
    assert [e["payload"]["decision"] for e in events] == ["allow"] * 7 + ["deny"] * 3
    assert events[-1]["payload"]["raw"] == bad
    # Replacing the list drops cards that are no longer on it.
    post.command("cards.allowlist.replace", {"version": 8, "entries": [{"card_id": "uid:11223344", "holder": "新"}]})
    assert svc.scan_card("04A1B2C3").reason == "unknown_card"
    assert svc.scan_card("11223344").allowed


def test_bad_allowlist_is_rejected_whole_and_old_list_kept(post):
    post.command("cards.allowlist.replace", {"version": 1, "entries": [{"card_id": "uid:01020304", "holder": "A"}]})
    ack = post.command("cards.allowlist.replace", {"version": 2, "entries": [{"card_id": "<script>", "holder": "B"}]})
    assert ack.payload["status"] == "rejected"
    assert post.svc.scan_card("01020304").allowed


def test_walk_in_registration_masks_phone_and_never_lists_residents(post):
    d = post.svc.register_walk_in("  Li   Lei ", "138-0013-8000", "5-201", "送快递", registered_by="guard",
                                  language="en")
    assert (d.decision, d.kind, d.name, d.unit, d.phone_masked) == (
        "allow", "walk_in", "Li Lei", "5-201", "138****8000")
    assert "13800138000" not in str(d.to_json())
    ev = post.events("visitor.checked_in")[0]["payload"]
    assert ev["phone"] == "13800138000" and ev["phone_masked"] == "138****8000"  # the register at central
    assert ev["registered_by"] == "guard" and ev["purpose"] == "送快递"
    badge = post.events("print.requested")[0]["payload"]
    assert badge["language"] == "en" and "13800138000" not in str(badge)
    present = post.svc.present()
    assert [v["visitor_name"] for v in present] == ["Li Lei"]
    assert "13800138000" not in str(present)
    for args, field in [(("", "13800138000", "5-201"), "visitor_name"), (("A", "12", "5-201"), "phone"),
                        (("A", "13800138000", "<b>"), "host_unit"), (("A\x00", "13800138000", "5-1"), "visitor_name"),
                        (("A", "13800138000", "5-1", "x" * 201), "purpose")]:
        with pytest.raises(WalkInError) as info:
            post.svc.register_walk_in(*args)
        assert info.value.field == field
    assert len(post.events("visitor.checked_in")) == 1


def test_check_out_by_badge_once(post, site_key):
    _, token = a_pass(site_key)
    d = post.svc.scan_payload(token.encode())
    out = post.svc.scan_payload(d.checkout_code.encode())
    assert (out.decision, out.kind, out.direction, out.visit_id, out.name) == (
        "allow", "badge", "out", d.visit_id, "王小明")
    ev = post.events("visitor.checked_out")[0]["payload"]
    assert ev["known_visit"] is True and ev["stay_s"] >= 0
    assert post.svc.present() == []
    again = post.svc.scan_payload(d.checkout_code.encode())
    assert (again.decision, again.reason) == ("deny", "already_used")
    assert post.svc.scan_payload(b"FDV1:not-a-uuid").reason == "malformed"


def test_exit_post_lets_a_visitor_with_an_expired_pass_out(make_post, site_key):
    now = datetime.now(UTC)
    exit_post = make_post("gate-out", role="gate", direction="out")
    _, token = a_pass(site_key, valid_from=now - timedelta(days=2), valid_until=now - timedelta(days=1))
    d = exit_post.svc.scan_payload(token.encode())
    assert (d.decision, d.direction, d.kind) == ("allow", "out", "pass")
    ev = exit_post.events("visitor.checked_out")[0]["payload"]
    assert ev["known_visit"] is False and ev["visitor_name"] == "王小明"
    assert exit_post.events("print.requested") == []  # gate posts do not print badges by default
    _, forged = a_pass(generate_key())
    assert exit_post.svc.scan_payload(forged.encode()).reason == "forged"


@pytest.mark.parametrize("raw, why", [
    (b"", "empty"), (b"\x00\x01\xff\xfe binary", "binary"), ("门禁卡".encode("gb18030"), "binary"),
    ("访客：王小明".encode(), "not a visitor pass"), (b"A" * 3000, "3000 characters"),
    (b"http://example.com/" + b"a" * 80, "characters"), (b"line1\nline2", "control"),
])
def test_unreadable_codes_are_rejected_and_kept(post, raw, why):
    d = post.svc.scan_payload(raw, source="camera:lobby")
    assert (d.decision, d.reason) == ("deny", "malformed") and why in d.detail
    ev = post.events("pass.rejected")[-1]["payload"]
    assert bytes.fromhex(ev["payload_hex"]) == raw and ev["payload_bytes"] == len(raw)


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", "'; DROP TABLE events;--", "${jndi:ldap://x/a}"])
def test_injection_shaped_codes_are_data_only(post, payload):
    d = post.svc.scan_payload(payload.encode())
    assert d.decision == "deny" and d.reason == "unknown_card"
    ev = post.events("card.scanned")[-1]["payload"]
    assert ev["raw"] == payload and ev["card_id"] == "code:" + payload
    assert post.journal.last_seq() >= 1  # the journal's tables are intact
    assert post.svc.status()["cards"] == 0


def test_oversized_payload_beyond_any_qr_is_cut_but_counted(post):
    raw = b"\x80" * 10000
    d = post.svc.scan_payload(raw)
    assert d.reason == "malformed"
    ev = post.events("pass.rejected")[-1]["payload"]
    assert ev["payload_bytes"] == 10000 and len(ev["payload_hex"]) == 8192


def test_watch_queue_is_bounded(post, site_key):
    q, unsubscribe = post.svc.watch(maxsize=3)
    for _ in range(5):
        post.svc.scan_card("99999999")
    assert q.qsize() == 3
    unsubscribe()
    post.svc.scan_card("99999999")
    assert q.qsize() == 3



@pytest.mark.parametrize("language", ["zh", "en"])
def test_badge_request_renders_with_the_printing_templates(post, language):
    layout = pytest.importorskip("frontdesk.edge.printing.layout")
    profiles = pytest.importorskip("frontdesk.drivers.printer.profiles")
    post.svc.register_walk_in("王赟", "13800138000", "2-0301", "送货", language=language)
    req = post.events("print.requested")[0]["payload"]
    assert (req["kind"], req["language"]) == ("badge", language)
    job = layout.compose_slip("badge", req["language"], req["data"], profiles.get_profile("80mm-gb18030"))
    assert len(job) > 100 and b"13800138000" not in job


def test_two_offline_posts_both_admit_and_central_flags_it(make_post, site_key):
    from frontdesk.central.passes import find_double_use

    kiosk, gate = make_post("kiosk-1"), make_post("gate-2", role="gate")
    pid, token = a_pass(site_key)
    assert kiosk.svc.scan_payload(token.encode()).allowed
    assert gate.svc.scan_payload(token.encode()).allowed  # it cannot know: no network between them
    assert kiosk.svc.scan_payload(token.encode()).reason == "already_used"
    synced = kiosk.events() + gate.events()
    flagged = find_double_use(synced)
    assert [(f.pass_id, f.devices) for f in flagged] == [(pid, ["gate-2", "kiosk-1"])]
