"""Card readers: wedge keystroke bursts, serial readers over a real pseudo-terminal, parsing."""
import os
import pty

import pytest

from frontdesk.drivers.cards import (
    CardFormatError,
    normalize_card_id,
    open_reader,
    parse_card,
    parse_wiegand,
    wiegand_bits,
)
from frontdesk.drivers.cards.serial_reader import FrameSplitter
from frontdesk.drivers.cards.wedge import KeyAccumulator

from ..waiting import wait_for

evdev = pytest.importorskip("evdev")
e = evdev.ecodes


def keys_for(text):
    out = []
    for ch in text:
        if ch.isdigit():
            out.append((getattr(e, f"KEY_{ch}"), False))
        elif ch.isalpha():
            out.append((getattr(e, f"KEY_{ch.upper()}"), ch.isupper()))
        elif ch == ":":
            out.append((e.KEY_SEMICOLON, True))
    return out


def type_into(acc, text, t, step=0.004, enter=True):
    done = []
    for code, shift in keys_for(text):
        if shift:
            done += acc.key(e.KEY_LEFTSHIFT, 1, t)
        done += acc.key(code, 1, t)
        done += acc.key(code, 0, t + step / 2)
        if shift:
            done += acc.key(e.KEY_LEFTSHIFT, 0, t + step / 2)
        t += step
    if enter:
        done += acc.key(e.KEY_ENTER, 1, t)
        done += acc.key(e.KEY_ENTER, 0, t)
    return done, t + step


def test_wedge_with_enter():
    acc = KeyAccumulator(gap_s=0.08)
    done, _ = type_into(acc, "0012345678", 0.0)
    assert done == ["0012345678"]


def test_wedge_burst_with_missing_enter_is_split_by_the_pause():
    acc = KeyAccumulator(gap_s=0.08)
    done, t = type_into(acc, "04A1B2C3", 0.0, enter=False)
    assert done == []
    assert acc.poll(t + 0.01) == []              # still inside the burst
    assert acc.poll(t + 0.2) == ["04A1B2C3"]     # silence ends the read
    # Two cards back to back, the first without Enter: the pause between them splits them.
    d1, t = type_into(acc, "11223344", 1.0, enter=False)
    d2, t = type_into(acc, "55667788", t + 0.3, enter=True)
    assert d1 + d2 == ["11223344", "55667788"]
    assert parse_card("04a1b2c3").card_id == "uid:04A1B2C3"


def test_wedge_shift_and_bounded_length():
    acc = KeyAccumulator(gap_s=0.08)
    done, _ = type_into(acc, "AB:CD", 0.0)
    assert done == ["AB:CD"]
    done, t = type_into(acc, "1" * 500, 1.0, step=0.001)
    assert len(done[0]) == 128 and acc.overflowed


@pytest.mark.skipif(not os.path.exists("/dev/uinput") or not os.access("/dev/uinput", os.W_OK),
                    reason="/dev/uinput is not available here")
def test_wedge_reader_grabs_a_real_virtual_keyboard():
    ui = evdev.UInput({e.EV_KEY: [getattr(e, f"KEY_{c}") for c in "0123456789"] + [e.KEY_ENTER]},
                      name="frontdesk-test-wedge")
    reads = []
    reader = open_reader(f"evdev:{ui.device.path}", on_read=reads.append)
    try:
        assert wait_for(lambda: reader.state.name == "ready")
        for ch in "0012345678":
            ui.write(e.EV_KEY, getattr(e, f"KEY_{ch}"), 1)
            ui.write(e.EV_KEY, getattr(e, f"KEY_{ch}"), 0)
        ui.syn()
        assert wait_for(lambda: reads == ["0012345678"])
    finally:
        reader.close()
        ui.close()


def test_frame_splitter():
    fs = FrameSplitter(gap_s=0.1)
    assert fs.feed(b"\x0204A1B2C3\x03\r\n", 0.0) == [b"04A1B2C3"]
    assert fs.feed(b"0012", 1.0) == [] and fs.feed(b"345678", 1.01) == []
    assert fs.poll(1.05) == [] and fs.poll(1.2) == [b"0012345678"]
    assert fs.feed(b"junk\x02AABBCCDD\r", 2.0) == [b"AABBCCDD"]
    assert fs.feed(b"9" * 1000 + b"\n", 3.0) == [b"9" * 256]


@pytest.fixture
def pty_pair():
    master, slave = pty.openpty()
    path = os.ttyname(slave)
    import tty
    tty.setraw(slave)
    yield master, path
    os.close(master)
    os.close(slave)


def test_serial_reader_over_a_pty(pty_pair):
    master, path = pty_pair
    reads = []
    reader = open_reader(f"serial:{path}?baud=9600", on_read=reads.append, gap_s=0.1)
    try:
        assert wait_for(lambda: reader.state.name == "ready")
        os.write(master, b"0012345678\r\n")
        os.write(master, b"\x0204A1B2C3\x03")
        assert wait_for(lambda: len(reads) == 2)
        os.write(master, b"AABBCCDD")  # no terminator at all
        assert wait_for(lambda: len(reads) == 3)
        os.write(master, b"\xff\xfe\r\n")
        assert wait_for(lambda: len(reads) == 4)
    finally:
        reader.close()
    assert reads == ["0012345678", "04A1B2C3", "AABBCCDD", "\\xff\\xfe"]


def test_access_service_with_a_serial_reader(make_post, pty_pair):
    master, path = pty_pair
    post = make_post("gate", role="gate", card_readers=[f"serial:{path}"])
    post.command("cards.allowlist.replace", {"version": 1, "entries": [{"card_id": "04A1B2C3", "holder": "王芳",
                                                                          "unit": "2-302"}]})
    assert wait_for(lambda: post.svc.status()["readers"][f"serial:{path}"]["state"] == "ready")
    os.write(master, b"C3B2A104\r\n")
    os.write(master, wiegand_bits(1, 2).encode()[:-1] + b"\r\n")   # 25 bits: a broken frame
    assert wait_for(lambda: len(post.events("card.scanned")) == 2)
    first, second = [e["payload"] for e in post.events("card.scanned")]
    assert (first["decision"], first["holder"], first["reader"]) == ("allow", "王芳", f"serial:{path}")
    assert (second["decision"], second["reason"]) == ("deny", "malformed")


def test_reader_missing_is_a_state(make_post, tmp_path):
    url = f"serial:{tmp_path}/ttyNOPE"
    post = make_post("gate", role="gate", card_readers=[url])
    assert wait_for(lambda: post.svc.status()["readers"][url]["state"] == "missing")
    ev = post.events("access.device_state")
    assert [(e["payload"]["device"], e["payload"]["state"]) for e in ev] == [(url, "missing")]
    assert "ttyNOPE" in ev[0]["payload"]["detail"]


def test_card_number_parsing():
    assert parse_card("0012345678").candidates == ("uid:00BC614E", "uid:4E61BC00")
    assert parse_card("04-a1-b2-c3").candidates == ("uid:04A1B2C3", "uid:C3B2A104")
    assert parse_card("04A1B2C3D4E5F6").card_id == "uid:04A1B2C3D4E5F6"
    assert parse_card("12345678", "dec").candidates == ("uid:00BC614E", "uid:4E61BC00")
    assert parse_card("12345678", "hex").candidates == ("uid:12345678", "uid:78563412")
    assert parse_card("123,45678", "wiegand").card_id == "w26:123:45678"
    assert parse_wiegand(wiegand_bits(123, 45678)).card_id == "w26:123:45678"
    assert parse_wiegand(wiegand_bits(4000, 65535, 34)).card_id == "w34:4000:65535"
    for bad in ("", "\x1b[2J", "1" * 200):
        with pytest.raises(CardFormatError):
            parse_card(bad)
    frame = wiegand_bits(123, 45678)
    for i in (0, 25):  # either parity bit flipped
        flipped = frame[:i] + ("1" if frame[i] == "0" else "0") + frame[i + 1:]
        with pytest.raises(CardFormatError, match="parity"):
            parse_wiegand(flipped)
    with pytest.raises(CardFormatError):
        parse_card("0102030405", "hex")  # 5 bytes is no UID
    assert normalize_card_id("04:a1:b2:c3") == "uid:04A1B2C3"
    assert normalize_card_id("w26:1:2") == "w26:1:2"
    with pytest.raises(CardFormatError):
        normalize_card_id("hello world")


@pytest.mark.parametrize("access,needle", [
    ({"card_readers": ["/dev/ttyUSB0"]}, "access.card_readers: Value error, '/dev/ttyUSB0' is not a card reader URL"),
    ({"card_readers": ["hid:/dev/hidraw0"]}, "unknown card reader scheme 'hid'; use one of: evdev"),
    ({"card_readers": ["serial:?baud=9600"]}, "no device after serial: (e.g. serial:/dev/ttyUSB0?baud=9600)"),
    ({"camera": "/dev/video0"}, "access.camera: Value error, '/dev/video0' is not a camera URL"),
    ({"camera": "folder:/srv/cam?fps=fast"}, "option fps='fast' is not a number"),
])
def test_device_urls_are_checked_when_the_configuration_loads(access, needle):
    from frontdesk.config import ConfigError
    from frontdesk.edge.config import parse_edge

    with pytest.raises(ConfigError) as err:
        parse_edge({"site": {"id": "s1"}, "edge": {"device": "gate-1"}, "access": access})
    assert needle in str(err.value)
