"""The resident directory at central: the desk's unit type-ahead (masked for roles that may not see
residents' details), the manager's upload, pushing it to desk edges, and bad input."""
from __future__ import annotations

import pytest

from frontdesk.central.directory.residents import Directory, phone_key

from .helpers import OTHER, SITE

ENTRIES = [{"unit": "3-1502", "name": "王女士", "phone": "+86 138 0013 8000"},
           {"unit": "3-1502", "name": "王先生", "phone": "13900139000"},
           {"unit": "3-1501", "name": "李明", "phone": "010-6552 1234"},
           {"unit": "13-1502", "name": "赵六", "phone": "13700137000"},
           {"unit": "5-101"}]


@pytest.fixture
def loaded(central):
    r = central.client("manager").put(f"/api/v1/sites/{SITE}/directory", json={"entries": ENTRIES})
    assert r.status_code == 200 and r.json() == {"entries": 5}, r.text
    return central


def test_phone_keys_match_one_number_however_written():
    assert phone_key("+86 138 0013 8000") == phone_key("0086-13800138000") == phone_key("13800138000")
    assert phone_key("010-6552 1234") == phone_key("+86 10 6552 1234") == "1065521234"
    assert phone_key("12") is None and phone_key(None) is None and phone_key("call me") is None


def test_type_ahead_lists_units_starting_with_what_was_typed_first(loaded):
    desk = loaded.client("desk")
    found = desk.get(f"/api/v1/sites/{SITE}/units", params={"q": "3-15"}).json()
    assert [u["unit"] for u in found] == ["3-1501", "3-1502", "13-1502"]  # prefix matches before the rest
    wang = next(u for u in found if u["unit"] == "3-1502")
    assert [x["resident_name"] for x in wang["residents"]] == ["王女士", "王先生"]
    assert wang["residents"][0]["phone"] == "+86 138 0013 8000"  # the desk sees residents in full
    assert [u["unit"] for u in desk.get(f"/api/v1/sites/{SITE}/units", params={"q": "5-1"}).json()] == ["5-101"]
    assert len(desk.get(f"/api/v1/sites/{SITE}/units", params={"limit": 2}).json()) == 2


def test_guards_and_technicians_see_residents_masked(loaded):
    for role in ("guard", "technician"):
        found = loaded.client(role).get(f"/api/v1/sites/{SITE}/units", params={"q": "3-1502"}).json()
        resident = found[0]["residents"][0]
        assert resident["resident_name"] == "王**" and "0013" not in (resident["phone"] or ""), resident


def test_only_managers_replace_read_or_push_the_directory(loaded):
    desk = loaded.client("desk")
    assert desk.put(f"/api/v1/sites/{SITE}/directory", json={"entries": []}).status_code == 403
    assert desk.get(f"/api/v1/sites/{SITE}/directory").status_code == 403
    assert desk.post(f"/api/v1/sites/{SITE}/directory/push", json={"devices": ["desk-1"]}).status_code == 403
    # A manager of this site cannot touch another site's directory.
    assert loaded.client("manager").get(f"/api/v1/sites/{OTHER}/units").status_code == 403


def test_push_sends_the_numbers_to_each_desk_edge_once(loaded):
    mgr = loaded.client("manager")
    sent = mgr.post(f"/api/v1/sites/{SITE}/directory/push", json={"devices": ["desk-1", "desk-1", "desk-2"]})
    assert sent.status_code == 201, sent.text
    commands = sent.json()
    assert [c["device"] for c in commands] == ["desk-1", "desk-2"]
    lines = commands[0]["payload"]["entries"]
    assert {(x["number"], x["unit"]) for x in lines} == {(e["phone"], e["unit"]) for e in ENTRIES if "phone" in e}


def test_a_phone_number_finds_its_units(loaded):
    book = Directory(loaded.store)
    assert book.units_of_phone(SITE, "138-0013-8000") == ["3-1502"]
    assert book.units_of_phone(SITE, "+8613900139000") == ["3-1502"]
    assert book.units_of_phone(SITE, "13600136000") == [] and book.units_of_phone(OTHER, "13800138000") == []


@pytest.mark.parametrize("typed", ["%", "_", "3-%", "'; drop table directory; --", "\\", "<b>3</b>"])
def test_wildcards_and_markup_typed_are_plain_text(loaded, typed):
    found = loaded.client("desk").get(f"/api/v1/sites/{SITE}/units", params={"q": typed})
    assert found.status_code == 200 and found.json() == []
    assert len(Directory(loaded.store).entries(SITE)) == 5


def test_bad_uploads_are_refused_with_a_reason_and_change_nothing(loaded):
    mgr = loaded.client("manager")
    for body in ({"entries": [{"unit": ""}]}, {"entries": [{"unit": "x" * 33}]}, {"entries": "3-1502"},
                 {"entries": [{"unit": "1", "phone": "9" * 41}]}, {"entries": [{"unit": "1"}] * 50_001}):
        r = mgr.put(f"/api/v1/sites/{SITE}/directory", json=body)
        assert r.status_code == 422 and r.json()["detail"], r.text
    assert len(Directory(loaded.store).entries(SITE)) == 5
    assert mgr.get(f"/api/v1/sites/{SITE}/units", params={"q": "x" * 33}).status_code == 422
