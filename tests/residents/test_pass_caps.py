"""How long a visitor pass each staff role may issue ([tickets] pass_caps): the API's passes and
the desk's invitations for residents, per role, on both backends. Residents' own invitations keep
their rule (single-use, ending at most 7 days ahead)."""
from __future__ import annotations

import pytest

from frontdesk.central.config import parse_central
from frontdesk.central.passes import PassCapExceeded, check_pass_cap
from frontdesk.central.tickets.settings import DEFAULT_PASS_CAPS, YEAR_HOURS, PassCap
from frontdesk.config import ConfigError
from frontdesk.passes import keyring, verify_pass

from ..central.helpers import Central
from .residents_helpers import SITE, WANG, resident, window

PASSES = f"/api/v1/sites/{SITE}/passes"
INVITATIONS = f"/api/v1/sites/{SITE}/invitations"


def ask(client, hours: float, single_use: bool = True):
    return client.post(PASSES, json={"host_unit": "3-1502", "visitor_name": "周小姐", "hours": hours,
                                     "single_use": single_use})


def test_caps_by_role_in_the_domain():
    check_pass_cap(DEFAULT_PASS_CAPS, "guard", 24, True)
    check_pass_cap(DEFAULT_PASS_CAPS, "desk", 72, False)
    check_pass_cap(DEFAULT_PASS_CAPS, "manager", YEAR_HOURS, False)
    with pytest.raises(PassCapExceeded) as err:
        check_pass_cap(DEFAULT_PASS_CAPS, "guard", 25, True)
    assert "at most 24 h" in str(err.value) and "manager or admin" in str(err.value)
    assert err.value.to_json()["cap_hours"] == 24
    with pytest.raises(PassCapExceeded, match="may not issue multi-use"):
        check_pass_cap({"guard": PassCap(multi_use_hours=0)}, "guard", 1, False)
    with pytest.raises(PassCapExceeded):  # a role the table does not know issues nothing
        check_pass_cap(DEFAULT_PASS_CAPS, "technician", 1, True)


def test_caps_in_the_central_file():
    cfg = parse_central({"tickets": {"pass_caps": {"guard": {"single_use_hours": 8, "multi_use_hours": 0}}}})
    caps = cfg.tickets.pass_caps
    assert (caps["guard"].single_use_hours, caps["guard"].multi_use_hours) == (8, 0)
    assert caps["desk"] == DEFAULT_PASS_CAPS["desk"] and caps["admin"].multi_use_hours == YEAR_HOURS
    for bad in ({"technician": {"single_use_hours": 1}}, {"desk": {"single_use_hours": 0}},
                {"desk": {"multi_use_hours": YEAR_HOURS + 1}}, {"desk": {"weeks": 1}}):
        with pytest.raises(ConfigError):
            parse_central({"tickets": {"pass_caps": bad}})


@pytest.mark.parametrize("role, single, multi", [("guard", 24, 72), ("desk", 24, 72),
                                                 ("manager", YEAR_HOURS, YEAR_HOURS),
                                                 ("admin", YEAR_HOURS, YEAR_HOURS)])
def test_api_passes_are_capped_per_role(central, pass_key, role, single, multi):
    client = central.client(role)
    caps = client.get("/api/v1/passes/caps").json()
    assert (caps["role"], caps["single_use_hours"], caps["multi_use_hours"]) == (role, single, multi)
    assert caps["roles"]["guard"] == {"single_use_hours": 24, "multi_use_hours": 72}
    # Up to the cap: signed, and the pass says what was asked.
    made = ask(client, single, True)
    assert made.status_code == 201, made.text
    vp = verify_pass(made.json()["token"], keyring([pass_key[0].public_key()]), site=SITE)
    assert vp.single_use and round((vp.valid_until - vp.valid_from).total_seconds() / 3600) == single
    assert ask(client, multi, False).status_code == 201
    if single < YEAR_HOURS:
        for hours, single_use, cap in ((single + 1, True, single), (multi + 1, False, multi),
                                       (24 * 365, False, multi)):
            refused = ask(client, hours, single_use)
            assert refused.status_code == 403, refused.text
            detail = refused.json()["detail"]
            assert (detail["error"], detail["role"], detail["cap_hours"], detail["single_use"]) == \
                ("pass_cap", role, cap, single_use)
            assert f"at most {cap:g} h" in detail["message"] and "manager or admin" in detail["message"]
    # Beyond a year nobody signs (the request's own limit).
    assert ask(client, YEAR_HOURS + 1, True).status_code == 422


def test_a_technician_issues_no_passes(central):
    assert ask(central.client("technician"), 1).status_code == 403
    assert central.client("technician").get("/api/v1/passes/caps").status_code == 403


def test_configured_caps_apply(database_url, pass_key):
    cfg = {"tickets": {"pass_keys": {SITE: str(pass_key[1])},
                       "pass_caps": {"desk": {"single_use_hours": 4, "multi_use_hours": 0}}}}
    c = Central(database_url, cfg)
    try:
        desk = c.client("desk")
        assert ask(desk, 4).status_code == 201
        assert ask(desk, 5).json()["detail"]["cap_hours"] == 4
        refused = ask(desk, 1, False).json()["detail"]
        assert refused["cap_hours"] == 0 and "may not issue multi-use" in refused["message"]
        assert ask(c.client("guard"), 24).status_code == 201  # other roles keep the defaults
    finally:
        c.close()


@pytest.mark.parametrize("role, allowed_hours", [("guard", 24), ("desk", 24), ("manager", 7 * 24 - 1)])
def test_desk_invitations_are_capped_by_the_role(central, role, allowed_hours):
    client = central.client(role)
    made = client.post(INVITATIONS, json={"unit": "3-1502", "visitor_name": "周小姐",
                                          **window(start_min=1, hours=allowed_hours)})
    assert made.status_code == 201, made.text
    refused = client.post(INVITATIONS, json={"unit": "3-1502", "visitor_name": "周小姐",
                                             **window(start_min=1, hours=48)})
    if role == "manager":
        assert refused.status_code == 201  # a manager's invitation runs up to the 7 days ahead
    else:
        assert refused.status_code == 403
        assert refused.json()["detail"]["cap_hours"] == 24 and refused.json()["detail"]["single_use"] is True


def test_residents_keep_their_own_rule(central):
    res = resident(central, WANG)
    two_days = res.post("/api/v1/resident/invitations", json={"unit": "3-1502", "visitor_name": "周小姐",
                                                              **window(start_min=1, hours=48)})
    assert two_days.status_code == 201, two_days.text
    eight_days = res.post("/api/v1/resident/invitations", json={"unit": "3-1502", "visitor_name": "周小姐",
                                                                **window(start_min=1, hours=8 * 24)})
    assert eight_days.status_code == 422 and "7 days" in eight_days.text
