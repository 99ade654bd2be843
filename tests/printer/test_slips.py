"""Slip layouts: every kind in both languages renders with Chinese text, decodable QR codes and
Code 128, masked phone numbers; bad data gives clear errors and cannot inject commands."""
from __future__ import annotations

import pytest

from frontdesk.drivers.printer import get_profile
from frontdesk.drivers.printer.virtual import render_stream
from frontdesk.drivers.printer.virtual.parser import StreamParser
from frontdesk.edge.printing.layout import SlipError, compose_slip, samples

QR_FIELD = {"workorder": "claim_code", "mail": "pickup_code", "badge": "checkout_code"}


@pytest.mark.parametrize("profile", ["80mm-gb18030", "58mm-gb2312", "58mm-basic"])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", ["workorder", "mail", "badge", "handover"])
def test_every_slip_renders_and_its_codes_decode(kind, lang, profile, decode):
    prof = get_profile(profile)
    data = samples()[kind]
    body = compose_slip(kind, lang, data, prof)
    r = render_stream(body, prof.dots)
    text = "\n".join(r.text_lines)
    assert bool(r.cuts) == prof.cut, "every slip ends with a cut (a tear-off feed without cutter)"
    found = decode(r.image())
    if kind in QR_FIELD:
        assert ("QRCode", data[QR_FIELD[kind]]) in found
    if kind == "mail":
        assert ("Code128", data["tracking_no"]) in found
    if profile == "80mm-gb18030":
        assert data["property"] in text  # Chinese text rendered from the GB18030 stream
        kinds = [o.kind for o in StreamParser().parse(body)[0]]
        assert "raster" not in kinds  # all native: text, GS ( k, GS k
        if kind in QR_FIELD:
            assert "sym" in kinds


def test_work_order_carries_the_required_fields_and_a_desk_stub():
    data = samples()["workorder"]
    r = render_stream(compose_slip("workorder", "zh", data, get_profile("80mm-gb18030")))
    text = "\n".join(r.text_lines)
    for value in (data["ticket_no"], data["category"], data["building"], data["unit"], data["caller_name"]):
        assert value in text
    assert "13812345678" not in text and "138****5678" in text
    assert "2026-11-23 10:30" in text and "2026-11-23 09:24" in text  # appointment, SLA deadline
    assert len(r.slips()) == 2 and "前台存根" in text  # engineering copy + tear-off desk stub
    printed = [x for x in r.text_lines if not x.startswith("[QR")]
    assert sum(x.count(data["ticket_no"]) for x in printed) == 2


def test_times_are_shown_in_the_site_zone():
    data = dict(samples()["workorder"], sla_deadline="2026-11-23T01:24:00+00:00")
    text = "\n".join(render_stream(compose_slip("workorder", "en", data, get_profile("80mm-gb18030"),
                                                tz="Asia/Shanghai")).text_lines)
    assert "On site by: 2026-11-23 09:24" in text


def test_missing_required_fields_are_named():
    data = dict(samples()["mail"])
    del data["tracking_no"]
    with pytest.raises(SlipError, match="tracking_no"):
        compose_slip("mail", "zh", data, get_profile("80mm-gb18030"))
    with pytest.raises(SlipError, match="unknown slip kind"):
        compose_slip("invoice", "zh", data, get_profile("80mm-gb18030"))


def test_hostile_data_cannot_add_directives_or_commands():
    data = dict(samples()["workorder"], content="漏水\n@cut\n@qr EVIL\x1b@\x1dV\x00\x1d(k", caller_name="张\x1bE\x01三")
    body = compose_slip("workorder", "zh", data, get_profile("80mm-gb18030"))
    r = render_stream(body)
    assert len(r.cuts) == 2  # only the template's own cuts
    assert [x for x in r.text_lines if x.startswith("[QR")] == [f"[QR {data['claim_code']}]"]
    assert "@cut" in r.text_lines and "张E三" in "\n".join(r.text_lines)


def test_emoji_yen_and_rare_names_in_a_real_slip():
    data = dict(samples()["workorder"], caller_name="王赟", content="维修费 ¥50，谢谢 😀")
    gb2312 = compose_slip("workorder", "zh", data, get_profile("80mm-gb2312"))
    r = render_stream(gb2312)
    rasters = [x for x in r.text_lines if x.startswith("[raster")]
    assert len(rasters) == 2  # only the caller line (赟) and the emoji line went as dots
    assert any("￥50" in x for x in render_stream(compose_slip("workorder", "zh", dict(data, content="维修费 ¥50"),
                                                                get_profile("80mm-gb2312"))).text_lines)


def test_long_content_and_long_lists_stay_on_the_paper():
    data = dict(samples()["workorder"], content="滴" * 1000)
    r = render_stream(compose_slip("workorder", "zh", data, get_profile("58mm-gb2312")), 384)
    assert sum(x.count("滴") for x in r.text_lines) == 1000
    ho = dict(samples()["handover"], open_tickets=[{"ticket_no": f"WO-{i}", "unit": "1-101", "status": "open",
                                                    "summary": "x"} for i in range(50)])
    text = "\n".join(render_stream(compose_slip("handover", "en", ho, get_profile("80mm-gb18030"))).text_lines)
    assert "Open tickets (50)" in text and "WO-49" in text


def test_handover_lists_after_hours_calls_with_masked_numbers():
    text = "\n".join(render_stream(compose_slip("handover", "zh", samples()["handover"],
                                                get_profile("80mm-gb18030"))).text_lines)
    assert "02:13 139****4321" in text and "13987654321" not in text and "7-1101" in text and "{" not in text


def test_a_site_template_overrides_the_built_in_one(tmp_path):
    (tmp_path / "badge.en.slip").write_text("@require display_name\n@center @bold GUEST {display_name|upper}\n@cut\n",
                                            encoding="utf-8")
    body = compose_slip("badge", "en", {"display_name": "ann"}, get_profile("80mm-gb18030"), templates_dir=tmp_path)
    assert render_stream(body).text_lines == ["GUEST ANN", "-- cut --"]
    (tmp_path / "badge.en.slip").write_text("@frobnicate\n", encoding="utf-8")
    with pytest.raises(SlipError, match="unknown directive @frobnicate"):
        compose_slip("badge", "en", {}, get_profile("80mm-gb18030"), templates_dir=tmp_path)
