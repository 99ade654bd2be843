"""How fast a screen takes walk-ins and prints badges: the token bucket, the screen's limits and
the desk's event, and the limits as the screens' HTTP side applies them."""
import json

import httpx
import pytest

from frontdesk.config import ConfigError
from frontdesk.kiosk_ui.config import KioskConfig
from frontdesk.kiosk_ui.ratelimit import ScreenLimits, TokenBucket
from frontdesk.schema import event_types
from frontdesk.schema.kiosk import KioskRateLimited

from .kiosk_post import a_pass

GOOD = {"name": "张三", "phone": "13812345678", "unit": "3-1502", "purpose": "visit", "language": "zh-Hans"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def register(url, body=GOOD):
    return httpx.post(url + "/api/visitors", content=json.dumps(body), headers={"Content-Type": "application/json"},
                      timeout=10)


# -- the bucket ------------------------------------------------------------------------------------

def test_bucket_takes_a_burst_then_one_per_interval():
    clock = Clock()
    bucket = TokenBucket(3, 10.0, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(10.0)
    clock.now += 4
    assert bucket.take() == pytest.approx(6.0)  # refused: nothing taken, 6 s to go
    clock.now += 6
    assert bucket.take() == 0.0 and bucket.take() > 0
    # A long quiet spell refills to the burst, never beyond it.
    clock.now += 3600
    assert bucket.tokens == 3
    assert [bucket.take() for _ in range(4)][-1] > 0


def test_bucket_give_back_and_a_clock_going_backwards_mint_nothing_extra():
    clock = Clock()
    bucket = TokenBucket(2, 5.0, clock=clock)
    bucket.give_back()
    assert bucket.tokens == 2  # never above the burst
    bucket.take(), bucket.take()
    clock.now -= 100
    assert bucket.take() > 0
    bucket.give_back()
    assert bucket.take() == 0.0
    with pytest.raises(ValueError):
        TokenBucket(0, 1.0)
    with pytest.raises(ValueError):
        TokenBucket(1, 0)


def test_screen_limits_tell_the_desk_once_per_spell_with_the_count():
    clock, recorded = Clock(), []
    limits = ScreenLimits(registration=(2, 20.0), prints=(1, 15.0), post_role="kiosk", event_gap_s=60,
                          record=recorded.append, clock=clock)
    assert limits.take("registration") is None and limits.take("registration") is None
    refused = limits.take("registration")
    assert (refused.action, refused.retry_after_s) == ("registration", 20)
    for _ in range(4):  # hammering: refused every time, no event each time
        assert limits.take("registration") is not None
    assert [(e.action, e.refused, e.burst, e.per_s) for e in recorded] == [("registration", 1, 2, 20.0)]
    # Prints have a bucket of their own.
    assert limits.take("print") is None and limits.take("print").action == "print"
    assert [e.action for e in recorded] == ["registration", "print"]
    clock.now += 61  # the next spell's event counts the refusals nobody was told about
    assert limits.take("registration") is None  # refilled meanwhile
    limits.take("registration")
    assert limits.take("registration") is not None
    assert [(e.action, e.refused) for e in recorded][-1] == ("registration", 5)
    assert all(e.post_role == "kiosk" and e.retry_after_s >= 1 for e in recorded)


def test_a_journal_that_fails_does_not_undo_the_refusal():
    def broken(_event):
        raise OSError("disk full")

    limits = ScreenLimits(registration=(1, 20.0), prints=(1, 20.0), post_role="gate", record=broken)
    assert limits.take("registration") is None
    assert limits.take("registration") is not None


def test_rate_limited_event_is_in_the_schema_registry():
    assert event_types()["kiosk.rate_limited"] is KioskRateLimited
    with pytest.raises(ValueError):
        KioskRateLimited(action="coffee", post_role="kiosk", burst=1, per_s=1, retry_after_s=1)


def test_limits_are_configured_in_the_kiosk_section():
    cfg = KioskConfig()
    assert (cfg.registration_burst, cfg.registration_every_s, cfg.print_burst, cfg.print_every_s,
            cfg.rate_event_gap_s) == (5, 20.0, 6, 15.0, 60.0)
    for bad in ({"registration_burst": 0}, {"print_every_s": 0}, {"allowed_hosts": ["http://x"]},
                {"allowed_hosts": ["kiosk:8410"]}):
        with pytest.raises(ValueError):
            KioskConfig(**bad)


def test_kiosk_limits_in_the_edge_file(tmp_path, site_key):
    from frontdesk.edge.config import parse_edge

    from .test_screens_api import edge_file

    kiosk = parse_edge(edge_file(tmp_path, site_key, 'registration_burst = 3\nprint_every_s = 30\n'
                                 'allowed_hosts = ["Kiosk-Lobby.local"]\n')).kiosk
    assert (kiosk.registration_burst, kiosk.print_every_s, kiosk.allowed_hosts) == (3, 30.0, ["kiosk-lobby.local"])
    with pytest.raises(ConfigError, match="registration_burst"):
        parse_edge(edge_file(tmp_path, site_key, "registration_burst = -1\n"))


# -- on the screens' HTTP side --------------------------------------------------------------------

def test_seven_walk_ins_in_a_row_five_are_taken_and_the_desk_is_told(make_post):
    post = make_post("kiosk")
    answers = [register(post.url) for _ in range(7)]
    assert [a.status_code for a in answers] == [201] * 5 + [429] * 2
    refused = answers[5]
    body = refused.json()
    assert (body["error"], body["field"], body["action"]) == ("rate_limited", "form", "registration")
    assert "请到前台办理" in body["message"] and "please ask the desk" in body["message"]
    assert 1 <= body["retry_after_s"] <= 20 and refused.headers["Retry-After"] == str(body["retry_after_s"])
    # Refused registrations record nothing and print nothing.
    assert len(post.events("visitor.checked_in")) == 5 and len(post.events("print.requested")) == 5
    (event,) = post.events("kiosk.rate_limited")
    p = event["payload"]
    assert (p["action"], p["post_role"], p["burst"], p["per_s"], p["refused"]) == ("registration", "kiosk", 5, 20.0, 1)


def test_a_typo_does_not_use_up_the_limit(make_post):
    post = make_post("kiosk", kiosk={"registration_burst": 2})
    for _ in range(5):
        assert register(post.url, {**GOOD, "phone": "12"}).status_code == 422
    assert [register(post.url).status_code for _ in range(3)] == [201, 201, 429]


def test_badges_past_the_print_limit_check_in_without_a_badge(make_post, site_key):
    post = make_post("kiosk", kiosk={"registration_burst": 10, "print_burst": 2, "print_every_s": 600})
    items = [register(post.url).json() for _ in range(3)]
    assert [i["badge_requested"] for i in items] == [True, True, False]
    assert [i["badge_refused"] for i in items] == [False, False, True]
    # A valid pass still lets its visitor in: no badge, and the screen says to collect one at the desk.
    _, token = a_pass(site_key)
    decision = post.access.scan_payload(token.encode())
    assert decision.allowed and not decision.print_requested and decision.extra["badge"] == "rate_limited"
    assert len(post.events("visitor.checked_in")) == 4 and len(post.events("print.requested")) == 2
    assert [e["payload"]["action"] for e in post.events("kiosk.rate_limited")] == ["print"]


def test_a_gate_that_prints_no_badges_never_counts_prints(make_post):
    post = make_post("gate", access={"role": "gate"}, kiosk={"role": "gate", "registration_burst": 4,
                                                              "print_burst": 1})
    items = [register(post.url).json() for _ in range(4)]
    assert not any(i["badge_requested"] or i["badge_refused"] for i in items)
    assert post.events("kiosk.rate_limited") == []


def test_central_stores_the_event_it_has_no_projection_for(database_url):
    from frontdesk import topics
    from frontdesk.central.store import Store
    from frontdesk.schema import encode_batch, make_event

    store = Store(database_url)
    try:
        event = make_event(KioskRateLimited(action="registration", post_role="kiosk", burst=5, per_s=20.0,
                                            refused=3, retry_after_s=12.0),
                           site="sunrise", device="kiosk-1", seq=1, tz="Asia/Shanghai")
        result = store.ingest([(topics.topic("sunrise", "kiosk-1", topics.EVENTS), encode_batch([event.to_wire()]))])
        assert (result.inserted, result.rejected) == (1, 0), result
        (stored,) = store.list_events(type_="kiosk.rate_limited")
        assert stored["id"] == event.id and stored["payload"]["refused"] == 3
    finally:
        store.close()
