"""Caller-ID and DLE parsers against random, truncated, split and hostile input."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.drivers.modem.callerid import (
    PRIVATE_MARKS,
    UNAVAILABLE_MARKS,
    CallerIdParser,
    build_mdmf,
    build_sdmf,
    normalise,
    parse_capture,
    parse_hex,
)
from frontdesk.drivers.modem.dle import ModemStream, shield
from frontdesk.drivers.modem.rings import RingTracker, cadence

numbers = st.text(alphabet="0123456789", min_size=3, max_size=15)
names = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=15).map(
    str.strip).filter(lambda s: s and s.upper() not in PRIVATE_MARKS | UNAVAILABLE_MARKS and "=" not in s
                      and ":" not in s)  # a name that is itself an absence mark means "no name"
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def blocks_of(data: bytes) -> list[tuple]:
    return [(b.number, b.name, b.number_absent_reason, b.date, b.time, b.error) for b in parse_capture(data)]


@FAST
@given(st.binary(max_size=600))
def test_random_bytes_never_crash(data):
    parse_capture(data)
    s = ModemStream()
    s.expect_audio()
    s.feed(data)
    s.flush()


@FAST
@given(st.lists(st.text(max_size=40), max_size=20))
def test_random_lines_never_crash(lines):
    p = CallerIdParser()
    for line in lines:
        p.feed(line)
    p.flush()


@FAST
@given(numbers, names)
def test_formatted_block_split_at_every_position(number, name):
    raw = (f"RING\r\nDATE = 0321\r\nTIME = 1405\r\nNMBR = {number}\r\nNAME = {name}\r\nRING\r\n").encode()
    whole = blocks_of(raw)
    assert whole == [(number if set(number) != {"0"} else None, name, None if set(number) != {"0"} else "unavailable",
                      "03-21", "14:05", None)]
    for i in range(len(raw) + 1):
        s, p, out = ModemStream(), CallerIdParser(), []
        for kind, value in s.feed(raw[:i]) + s.feed(raw[i:]) + s.flush():
            if kind == "line":
                out += p.feed(value)
        out += p.flush()
        assert [(b.number, b.name, b.number_absent_reason, b.date, b.time, b.error) for b in out] == whole


@FAST
@given(numbers, names, st.integers(0, 4))
def test_ring_inside_block(number, name, where):
    lines = ["DATE = 0321", "TIME = 1405", f"NMBR = {number}", f"NAME = {name}"]
    lines.insert(where, "RING")
    got = blocks_of(("\r\n".join(lines) + "\r\n").encode())
    assert len(got) == 1 and got[0][1] == name


@FAST
@given(numbers)
def test_five_digit_time_and_empty_date(number):
    got = parse_capture(f"DATE = \r\nTIME = 14050\r\nNMBR = {number}\r\n".encode())
    assert len(got) == 1 and got[0].time is None and got[0].date is None and got[0].raw


def test_field_variants():
    cap = ("DATE = 1301\r\nTIME = 2561\r\nDDN_NMBR = 01012345678\r\nNAME = O\r\n"
           "NMBR = P\r\n\r\nNMBR = O\r\nNMBR = Restricted\r\nNMBR = 0000000000\r\nMESG = 030132\r\n"
           "NMBR = 13912345678\r\nNAME = 张三\r\n").encode()
    got = parse_capture(cap)
    assert [(b.number, b.number_absent_reason) for b in got] == [
        ("01012345678", None), (None, "private"), (None, "unavailable"), (None, "private"),
        (None, "unavailable"), ("13912345678", None)]
    assert got[0].date is None and got[0].time is None and got[0].name_absent_reason == "unavailable"
    assert got[-1].name == "张三"
    # GB18030 bytes from a Chinese exchange decode too.
    assert parse_capture("NMBR = 1\r\nNAME = 李四\r\n".encode("gb18030"))[0].name == "李四"


@FAST
@given(numbers, st.one_of(st.none(), names))
def test_mdmf_sdmf_round_trip(number, name):
    got = parse_hex(build_mdmf(number, name))
    assert got.error is None and got.format == "mdmf" and got.name == name
    assert got.number == (number if set(number) != {"0"} else None)
    sd = parse_hex(build_sdmf(number))
    assert sd.error is None and sd.format == "sdmf" and sd.date == "03-21" and sd.time == "14:05"


@FAST
@given(numbers, names, st.integers(1, 255))
def test_bad_checksum_rejected(number, name, delta):
    msg = bytearray.fromhex(build_mdmf(number, name))
    msg[-1] = (msg[-1] + delta) & 0xFF
    got = parse_hex(msg.hex().upper())
    assert got.error and "checksum" in got.error and got.number is None


@FAST
@given(numbers, names, st.data())
def test_truncated_blocks(number, name, data):
    text = build_mdmf(number, name)
    cut = data.draw(st.integers(2, len(text) // 2 - 1)) * 2
    got = parse_capture((text[:cut] + "\r\n").encode())
    assert all(b.error for b in got)


def test_absent_reasons_mdmf():
    assert parse_hex(build_mdmf(None, None, number_absent="P")).number_absent_reason == "private"
    assert parse_hex(build_mdmf(None, None, number_absent="O")).number_absent_reason == "unavailable"


@FAST
@given(st.binary(max_size=3000), st.data())
def test_dle_unescape_exact_at_any_split(audio, data):
    wire = b"\r\nCONNECT\r\n" + shield(audio) + b"\x10s\x10\x03\r\nOK\r\n"
    cut = data.draw(st.integers(0, len(wire)))
    s = ModemStream()
    s.expect_audio()
    items = s.feed(wire[:cut]) + s.feed(wire[cut:])
    got = b"".join(v for k, v in items if k == "audio")
    assert got == audio
    assert ("dle", "s") in items and ("dle", "ETX") in items and items[-1] == ("line", "OK")


def test_dtmf_debounce():
    s = ModemStream()
    s.enter_audio()
    items = s.feed(b"\x10/\x105\x105\x105\x10~" + b"\x80" * 2000 + b"\x101\x101" + b"\x80" * 2000 + b"\x101")
    assert [v for k, v in items if k == "dtmf"] == ["5", "1", "1"]


def test_normalise_china():
    assert normalise("13800138000", "cn") == "+8613800138000"
    assert normalise("008613800138000", "cn") == "+8613800138000"
    assert normalise("075512345678", "cn") == "+8675512345678"
    assert normalise("12345678", "cn", "010") == "+861012345678"
    assert normalise("95555", "cn") == "95555"
    assert normalise("5551234567", "us") == "+15551234567"
    assert normalise("02079460000", "gb") == "+442079460000"


@given(st.sampled_from(["na", "cn", "uk"]), st.integers(1, 6))
def test_ring_tracker_counts_rings_not_reports(name, rings):
    cad = cadence(name)
    t = RingTracker(cad)
    counted = []
    for i in range(rings):
        start = 100 + i * cad.period
        counted.append(t.ring(start))
        if len(cad.pattern) > 2:
            assert t.ring(start + cad.pattern[0] + cad.pattern[1]) is None  # second burst of a double ring
    assert counted == list(range(1, rings + 1))
    assert not t.stopped(100 + (rings - 1) * cad.period + cad.period)
    assert t.stopped(100 + rings * cad.period + cad.gap + 0.01)
