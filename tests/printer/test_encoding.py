"""Text encoding for the printer: sanitising, widths, wrapping, GB18030/GB2312 and the bitmap
fallback, driven through the composer and read back by the virtual printer's renderer."""
from __future__ import annotations

import pytest

from frontdesk.drivers.printer import Composer, get_profile
from frontdesk.drivers.printer.textcodec import encode_line, sanitize, width, wrap
from frontdesk.drivers.printer.virtual import render_stream
from frontdesk.drivers.printer.virtual.parser import StreamParser

GB18030 = get_profile("80mm-gb18030")
GB2312 = get_profile("80mm-gb2312")


def compose(text: str, profile=GB18030, **style) -> bytes:
    c = Composer(profile)
    c.line(text, **style)
    return c.job()


def ops_of(data: bytes) -> list[str]:
    ops, _ = StreamParser().parse(data)
    return [o.kind for o in ops]


def test_cjk_takes_two_columns_and_lines_wrap_at_the_paper_width():
    assert width("工单ab") == 6
    lines = wrap("报" * 30, 48)
    assert [width(x) for x in lines] == [48, 12]
    assert all(width(x) <= 32 for x in wrap("卫生间漏水 leak in bathroom ceiling " * 10, 32))


def test_printer_columns_count_every_gb_character_as_two():
    # Chinese mode prints every two-byte code as a 24-dot glyph, even ones Unicode calls narrow.
    assert width("水电 · é", GB18030) == 2 + 2 + 1 + 2 + 1 + 2
    line = Composer(GB2312)
    line.columns_line("类别", "水电 · 漏水")
    r = render_stream(line.job())
    assert r.text_lines == ["类别" + " " * 32 + "水电 · 漏水"]
    assert r.bands[0].getbbox()[2] <= 576  # the right column ends exactly at the paper edge


def test_chinese_punctuation_never_starts_a_line():
    lines = wrap("甲" * 23 + "乙。丙", 48)
    assert not lines[1].startswith("。") and lines[1].startswith("乙。")


def test_chinese_text_is_sent_as_gb18030_in_chinese_mode():
    data = compose("维修派工单")
    assert b"\x1c&" in data  # FS &: Chinese mode
    assert "维修派工单".encode("gb18030") in data
    assert render_stream(data).text_lines == ["维修派工单"]


@pytest.mark.parametrize("text", ["工单 \x1b@\x1dV\x00 结束", "a\x10\x04\x01b\x1c.c\x00d\x7f\x9be",
                                  "abc\u202edef\u200b", "line\r\nbreak\tand tab"])
def test_control_characters_and_esc_in_user_text_never_reach_the_printer(text):
    data = compose(text)
    body = data[data.index(b"\x1d!\x00") + 3:] if b"\x1d!\x00" in data else data[4:]
    # Nothing but printable bytes and the line feeds between the text.
    for b in body:
        assert b >= 0x20 or b == 0x0A, f"control byte 0x{b:02x} leaked into {body!r}"
    r = render_stream(data)
    assert "".join(r.text_lines).replace(" ", "") == sanitize(text).replace(" ", "")
    assert "cut" not in ops_of(data)


def test_yen_signs_print_natively_as_fullwidth_yen():
    data = compose("费用 ¥120 / ￥80")
    assert encode_line(sanitize("¥"), GB18030) == "￥".encode("gb18030")
    assert b"\x1dv0" not in data  # no bitmap needed
    assert render_stream(data).text_lines == ["费用 ￥120 / ￥80"]


@pytest.mark.parametrize("name", ["张堃", "李喆", "王赟"])
def test_rare_name_characters_are_text_on_gb18030_and_bitmap_on_gb2312(name):
    text_data = compose(f"报修人 {name}", GB18030)
    assert b"\x1dv0" not in text_data and name.encode("gb18030") in text_data
    assert render_stream(text_data).text_lines == [f"报修人 {name}"]
    bitmap_data = compose(f"报修人 {name}", GB2312)
    assert b"\x1dv0" in bitmap_data  # the line went as dots
    assert name.encode("gb18030") not in bitmap_data


def test_emoji_turn_only_their_own_line_into_a_bitmap():
    c = Composer(GB18030)
    c.line("住户留言:")
    c.line("谢谢师傅 😀👍")
    c.line("下一行")
    data = c.job()
    assert ops_of(data).count("raster") == 1
    lines = render_stream(data).text_lines
    assert lines[0] == "住户留言:" and lines[1].startswith("[raster") and lines[2] == "下一行"


def test_thousand_character_content_wraps_without_loss():
    content = ("卫生间天花板漏水ABC123，" * 80)[:1000]
    data = compose(content)
    lines = render_stream(data).text_lines
    assert all(width(x) <= 48 for x in lines)
    assert "".join(lines) == content
    assert len(data) < 2600  # about two bytes per character: still text, not raster


def test_single_byte_profile_uses_its_code_page_and_bitmaps_chinese():
    latin = get_profile("80mm-latin")
    data = compose("Café 5€", latin)
    assert b"\x1bt\x13" in data and "Café 5€".encode("cp858") in data
    assert render_stream(data).text_lines == ["Café 5€"]
    assert b"\x1dv0" in compose("维修", latin)
