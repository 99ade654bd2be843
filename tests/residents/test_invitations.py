"""Invitations: a signed-in resident invites a visitor to one of their units, central signs a
single-use pass for the window, the visitor's link shows it; cancelling revokes the pass at every
kiosk and gate of the site; the desk issues invitations for residents. Both backends."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from frontdesk.central.fleet.tables import fleet_devices
from frontdesk.central.residents.invitations import Invitations
from frontdesk.central.residents.tables import resident_invitations
from frontdesk.ids import new_id
from frontdesk.passes import keyring, verify_pass

from ..central.helpers import OTHER, Edge
from .residents_helpers import LI, SITE, WANG, resident, window

INVITE = "/api/v1/resident/invitations"


def invite(res: TestClient, **fields) -> dict:
    r = res.post(INVITE, json={"unit": "3-1502", "visitor_name": "周小姐", **window(), **fields})
    assert r.status_code == 201, r.text
    return r.json()


def token_of(link: str) -> str:
    return link.rsplit("/r/v/", 1)[1]


def register_posts(central) -> None:
    now = datetime.now(UTC)
    rows = [("kiosk-1", "kiosk", "active"), ("gate-1", "gate", "active"), ("gate-old", "gate", "disabled"),
            ("desk-1", "desk", "active")]
    with central.store.engine.begin() as conn:
        conn.execute(insert(fleet_devices), [{"site": SITE, "device": d, "role": role, "state": state,
                                              "created_at": now} for d, role, state in rows])
        conn.execute(insert(fleet_devices).values(site="river-view", device="kiosk-9", role="kiosk", state="active",
                                                  created_at=now))


def test_a_resident_invites_a_visitor_and_the_link_shows_the_signed_pass(central, pass_key):
    res = resident(central)
    made = invite(res, visitor_phone="139 0000 1111", **window(start_min=30, hours=3))
    assert made["state"] == "upcoming" and made["unit"] == "3-1502" and made["made_by_kind"] == "resident"
    assert made["mine"] is True and "made_by" not in made  # never another resident's number
    assert made["link"].startswith("http://testserver/r/v/")
    token = token_of(made["link"])
    assert len(token) >= 22  # 128 random bits, URL-safe base64

    visit = TestClient(central.app).get(f"/api/v1/visitor-links/{token}").json()
    assert visit["state"] == "upcoming" and visit["unit"] == "3-1502" and visit["visitor_name"] == "周小姐"
    assert visit["valid_from"] == made["valid_from"] and "visitor_phone" not in visit
    qr = TestClient(central.app).get(f"/api/v1/visitor-links/{token}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.content.startswith(b"<?xml") and b"<path" in qr.content

    # The pass is the one central signed: single use, this unit and window, the site's key.
    found = Invitations(central.store).by_link(token)
    vp = verify_pass(Invitations(central.store).pass_token(found, pass_key[0]), keyring([pass_key[0].public_key()]),
                     site=SITE, check_window=False)
    assert vp.pass_id == made["pass_id"] and vp.single_use and vp.host_unit == "3-1502"
    assert vp.valid_from.isoformat() == made["valid_from"] and vp.valid_until.isoformat() == made["valid_until"]

    listed = res.get(INVITE).json()
    assert [(x["id"], x["state"]) for x in listed] == [(made["id"], "upcoming")]
    assert "link" not in listed[0]  # only its hash is kept: the link is shown once, when made


def test_bad_invitations_are_refused_with_reasons(central):
    res = resident(central)
    now = datetime.now(UTC)
    cases = [
        ({"unit": "5-101"}, 403, "not one of yours"),
        ({"valid_from": (now - timedelta(hours=5)).isoformat(), "valid_until": (now - timedelta(hours=1)).isoformat()},
         422, "in the past"),
        ({"valid_from": (now - timedelta(hours=2)).isoformat()}, 422, "'from' lies in the past"),
        ({"valid_until": (now + timedelta(days=8)).isoformat()}, 422, "at most 7 days"),
        ({"valid_from": (now + timedelta(hours=3)).isoformat(), "valid_until": (now + timedelta(hours=2)).isoformat()},
         422, "after 'from'"),
        ({"valid_from": "2026-01-01T10:00:00"}, 422, "offset"),
        ({"visitor_name": "   "}, 422, "visitor_name"),
        ({"visitor_name": "a\u0007b"}, 422, "visitor_name"),
        ({"visitor_name": "x" * 33}, 422, "visitor_name"),
        ({"visitor_phone": "call me"}, 422, "visitor_phone"),
        ({"valid_until": "3000-01-01T00:00:00Z"}, 422, "valid_until"),
    ]
    for fields, status, reason in cases:
        body = {"unit": "3-1502", "visitor_name": "周小姐", **window(), **fields}
        r = res.post(INVITE, json=body)
        assert r.status_code == status and reason in r.text, (fields, r.status_code, r.text)
    assert res.get(INVITE).json() == []
    # The other unit of the same number is fine.
    assert invite(res, unit="3-1503")["unit"] == "3-1503"


def test_markup_in_a_name_is_kept_as_text(central):
    res = resident(central)
    name = '<img src=x onerror=alert(1)>'
    made = invite(res, visitor_name=name)
    assert made["visitor_name"] == name
    visit = TestClient(central.app).get(f"/api/v1/visitor-links/{token_of(made['link'])}")
    assert visit.json()["visitor_name"] == name and visit.headers["content-type"] == "application/json"


def test_visitor_links_that_are_unknown_forged_expired_or_cancelled(central):
    res = resident(central)
    public = TestClient(central.app)
    made = invite(res)
    token = token_of(made["link"])
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, "x", "A" * 400, "..%2F..%2Fetc", new_id()):
        assert public.get(f"/api/v1/visitor-links/{bad}").status_code == 404, bad
        assert public.get(f"/api/v1/visitor-links/{bad}/qr.svg").status_code == 404, bad

    expired = invite(res)
    with central.store.engine.begin() as conn:
        conn.execute(update(resident_invitations).where(resident_invitations.c.id == expired["id"])
                     .values(valid_until=datetime.now(UTC) - timedelta(minutes=1)))
    t_expired = token_of(expired["link"])
    assert public.get(f"/api/v1/visitor-links/{t_expired}").json()["state"] == "expired"
    assert public.get(f"/api/v1/visitor-links/{t_expired}/qr.svg").status_code == 410
    assert res.post(f"{INVITE}/{expired['id']}/cancel").status_code == 409

    assert res.post(f"{INVITE}/{made['id']}/cancel").status_code == 200
    assert public.get(f"/api/v1/visitor-links/{token}").json()["state"] == "cancelled"
    r = public.get(f"/api/v1/visitor-links/{token}/qr.svg")
    assert r.status_code == 410 and "cancelled" in r.json()["detail"]
    states = {x["id"]: x["state"] for x in res.get(INVITE).json()}
    assert states == {made["id"]: "cancelled", expired["id"]: "expired"}


def test_cancelling_revokes_the_pass_at_every_kiosk_and_gate_of_the_site(central):
    register_posts(central)
    res = resident(central)
    made = invite(res)
    done = res.post(f"{INVITE}/{made['id']}/cancel")
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["state"] == "cancelled" and body["revoked_at"] == ["gate-1", "kiosk-1", "gate-9"]
    sent = central.store.list_commands(sites=(SITE,), type_="passes.revoke")
    assert sorted(c["device"] for c in sent) == ["gate-1", "gate-9", "kiosk-1"]
    for command in sent:
        assert command["payload"]["pass_ids"] == [made["pass_id"]]
        assert datetime.fromisoformat(command["payload"]["until"].replace("Z", "+00:00")) == \
            datetime.fromisoformat(made["valid_until"])
    again = res.post(f"{INVITE}/{made['id']}/cancel")
    assert again.status_code == 409 and "already" in again.json()["detail"]
    # A resident of another unit cannot see or cancel it.
    other = resident(central, LI)
    assert other.get(INVITE).json() == []
    assert other.post(f"{INVITE}/{made['id']}/cancel").status_code == 404


def test_a_used_pass_shows_as_used(central):
    res = resident(central)
    made = invite(res)

    def admitted_at(site: str) -> None:
        Edge(central.store, site=site, device="kiosk-1").emit("visitor.checked_in", {
            "visit_id": new_id(), "method": "pass", "visitor_name": "周小姐", "host_unit": "3-1502",
            "post_role": "kiosk", "pass_id": made["pass_id"], "single_use": True, "checkout_code": "c-1"})

    admitted_at(OTHER)  # another site's post naming this pass does not use it up
    assert res.get(INVITE).json()[0]["state"] == "upcoming"
    admitted_at(SITE)
    assert res.get(INVITE).json()[0]["state"] == "used"
    visit = TestClient(central.app).get(f"/api/v1/visitor-links/{token_of(made['link'])}").json()
    assert visit["state"] == "used"


def test_the_desk_issues_an_invitation_for_a_resident(central):
    desk = central.client("desk")
    r = desk.post(f"/api/v1/sites/{SITE}/invitations",
                  json={"unit": "3-1502", "visitor_name": "快递员", "visitor_phone": "13612345678", **window()})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["made_by_kind"] == "desk" and made["made_by"] == "desk" and "/r/v/" in made["link"]
    assert made["visitor_phone"] == "13612345678"  # the desk sees it in full
    # The resident sees it among theirs, marked as made by the desk, and may cancel it.
    res = resident(central, WANG)
    mine = res.get(INVITE).json()
    assert [(x["id"], x["made_by_kind"], x["mine"]) for x in mine] == [(made["id"], "desk", False)]
    # Guards see the list masked; technicians may not issue; unknown units are refused.
    guard_view = central.client("guard").get(f"/api/v1/sites/{SITE}/invitations").json()
    assert guard_view[0]["visitor_name"] == "快**" and guard_view[0]["visitor_phone"] == "136****5678"
    someone = {"unit": "3-1502", "visitor_name": "x", **window()}
    assert central.client("technician").post(f"/api/v1/sites/{SITE}/invitations", json=someone).status_code == 403
    unknown = desk.post(f"/api/v1/sites/{SITE}/invitations", json={"unit": "9-999", "visitor_name": "x", **window()})
    assert unknown.status_code == 422 and "not in the site's directory" in unknown.json()["detail"]
    assert central.client("other-desk").post(f"/api/v1/sites/{SITE}/invitations", json=someone).status_code == 403
    cancelled = desk.post(f"/api/v1/sites/{SITE}/invitations/{made['id']}/cancel").json()
    assert cancelled["state"] == "cancelled" and cancelled["revoked_at"] == ["gate-9"]
    audit = [(a["entity"], a["action"]) for a in central.accounts.list_audit(sites=None, username="desk")]
    assert ("invitation", "change") in audit


def test_a_site_without_posts_or_key_says_so(central, tmp_path):
    res = resident(central)
    made = invite(res)
    central.app.state.tickets.config.pass_posts.clear()
    done = res.post(f"{INVITE}/{made['id']}/cancel").json()
    assert done["revoked_at"] == [] and "no kiosk or gate" in done["warning"]
    central.app.state.tickets.config.pass_keys.clear()
    r = res.post(INVITE, json={"unit": "3-1502", "visitor_name": "周小姐", **window()})
    assert r.status_code == 409 and "no pass signing key" in r.json()["detail"]
