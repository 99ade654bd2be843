"""The call attendant end to end: emulated modem on a real pty, real journal, scaled time."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from frontdesk.drivers.audio.wavfile import read_recording
from frontdesk.drivers.modem.emulator import CallSpec
from frontdesk.drivers.modem.emulator.scenario import tone
from frontdesk.schema import make_command
from frontdesk.schema.call import BlocklistReplace, DirectoryEntry, DirectoryReplace
from frontdesk.schema.system import CommandApplied


def recorded_audio(line, index: int = -1) -> bytes:
    msg = line.payloads("call.message_recorded")[index]
    rec = read_recording(Path(msg["path"]))
    assert rec.codec == ("u8" if msg["codec"] == "pcm_u8" else "ulaw") and rec.rate == 8000 and not rec.truncated
    return rec.data


@pytest.mark.parametrize("family", ["usr5637", "cx93001"])
@pytest.mark.parametrize("cad", ["na", "cn", "uk", "custom:0.8,0.4,0.8,3.0"])
def test_three_ring_rule_per_cadence(line_factory, family, cad):
    line = line_factory(family=family, cadence=cad if not cad.startswith("custom") else
                        [float(x) for x in cad[7:].split(",")]).start()
    msg = tone(1.5, seed=3)
    rec = line.emu.place_call(CallSpec(cadence=cad, message=msg, end="l", name="WANG"))
    ended = line.wait_ended(1)
    assert rec.answered_at_ring == 3
    answered = line.payloads("call.answered")[0]
    assert answered["by"] == "agent" and answered["ring"] == 3 and ended[0]["outcome"] == "message"
    assert answered["number"] == "+8613800138000" and answered["name"] == "WANG"
    assert recorded_audio(line) == bytes(rec.source) == msg  # byte-exact, 0x10 bytes included
    assert bytes(rec.played).startswith(line.service._greeting(False)[:1000])


def test_no_caller_id_still_answered(line_factory):
    line = line_factory(cadence="na").start()
    rec = line.emu.place_call(CallSpec(cadence="na", number=None, cid_format="none", message=tone(0.5)))
    line.wait_ended(1)
    assert rec.answered_at_ring == 3
    ringing = line.payloads("call.ringing")
    assert ringing[0]["caller_id_received"] is False and ringing[0]["number"] is None
    assert line.payloads("call.answered")[0]["ring"] == 3


def test_caller_id_before_first_ring_is_not_a_ring(line_factory):
    line = line_factory(cadence="uk").start()
    rec = line.emu.place_call(CallSpec(cadence="uk", cid_position="before", number="02079460000",
                                       message=tone(0.5)))
    line.wait_ended(1)
    assert rec.answered_at_ring == 3 and rec.rings == 3
    first = line.payloads("call.ringing")[0]
    assert first["ring"] == 1 and first["caller_id_received"] and first["number"] == "+862079460000"
    assert line.payloads("call.answered")[0]["ring"] == 3


def test_after_hours_answers_on_ring_one_with_caller_id(line_factory):
    line = line_factory(cadence="cn", staffed_hours=[]).start()
    rec = line.emu.place_call(CallSpec(cadence="cn", number="13912345678", message=tone(0.5)))
    line.wait_ended(1)
    assert rec.answered_at_ring == 1
    answered = line.payloads("call.answered")[0]
    assert answered["ring"] == 1 and answered["after_hours"] and answered["number"] == "+8613912345678"


@pytest.mark.parametrize("fmt", ["sdmf", "mdmf"])
def test_unformatted_caller_id(line_factory, fmt):
    line = line_factory().start()
    line.emu.place_call(CallSpec(number="075512345678", name="LI SI", cid_format=fmt, message=tone(0.3)))
    line.wait_ended(1)
    assert line.payloads("call.answered")[0]["number"] == "+8675512345678"


def test_ring_inside_caller_id_block(line_factory):
    line = line_factory(cadence="na").start()
    rec = line.emu.place_call(CallSpec(cadence="na", ring_in_block=True, name="ZHAO", message=tone(0.3)))
    line.wait_ended(1)
    assert rec.answered_at_ring == 3
    a = line.payloads("call.answered")[0]
    assert a["ring"] == 3 and a["name"] == "ZHAO"


def test_handset_pickup_is_staff_answer(line_factory):
    line = line_factory(family="cx93001").start()
    rec = line.emu.place_call(CallSpec(handset_at_ring=2))
    ended = line.wait_ended(1)
    assert rec.answered_at_ring is None and rec.handset
    answered = line.payloads("call.answered")
    assert answered[0]["by"] == "staff" and answered[0]["ring"] == 2
    assert ended[0]["outcome"] == "answered_by_staff"


def test_handset_without_voice_idle_is_stopped_ringing(line_factory):
    line = line_factory(idle_voice_mode=False).start()
    line.emu.place_call(CallSpec(handset_at_ring=1))
    ended = line.wait_ended(1)
    missed = line.payloads("call.missed")[0]
    assert missed["reason"] == "stopped_ringing" and missed["rings"] == 1 and ended[0]["outcome"] == "missed"
    assert not line.payloads("call.answered")


def test_caller_gives_up_before_ring_three(line_factory):
    line = line_factory().start()
    line.emu.place_call(CallSpec(rings_max=2))
    line.wait_ended(1)
    missed = line.payloads("call.missed")[0]
    assert missed["rings"] == 2 and missed["reason"] == "stopped_ringing"


def test_hangup_during_greeting(line_factory):
    line = line_factory().start()
    rec = line.emu.place_call(CallSpec(hangup_after_s=0.4, message=tone(2)))
    ended = line.wait_ended(1)
    assert ended[0]["reason"] == "hangup_during_greeting" and ended[0]["outcome"] == "no_message"
    assert not line.payloads("call.message_recorded")
    assert len(rec.played) < len(line.service._greeting(False))  # playback stopped at the hang-up


@pytest.mark.parametrize("end,reason", [("l", "hangup"), ("b", "busy"), ("silence", "silence")])
def test_message_ends(line_factory, end, reason):
    line = line_factory().start()
    rec = line.emu.place_call(CallSpec(message=tone(1.0, seed=7), end=end))
    ended = line.wait_ended(1)
    msg = line.payloads("call.message_recorded")[0]
    assert msg["stop_reason"] == reason and ended[0]["outcome"] == "message"
    assert recorded_audio(line) == bytes(rec.source)
    assert msg["sample_rate"] == 8000 and msg["codec"] == "pcm_u8" and msg["duration_s"] == len(rec.source) / 8000


def test_max_length_stops_open_line(line_factory):
    line = line_factory(record_max_s=5).start()
    rec = line.emu.place_call(CallSpec(message=tone(1.0), end="none"))
    line.wait_ended(1)
    msg = line.payloads("call.message_recorded")[0]
    assert msg["stop_reason"] == "max_length" and 4.5 <= msg["duration_s"] <= 6.5
    assert recorded_audio(line) == bytes(rec.source)


def test_mulaw_recording(line_factory):
    line = line_factory(family="cx93001", codec="mulaw").start()
    rec = line.emu.place_call(CallSpec(message=tone(0.8, seed=5)))
    line.wait_ended(1)
    assert line.emu.commands.count("AT+VSM=131,8000") == 1
    assert recorded_audio(line) == bytes(rec.source)


def test_dtmf_menu_choice(line_factory):
    line = line_factory(dtmf_menu=True).start()
    line.emu.place_call(CallSpec(dtmf="2", dtmf_at_s=0.3, message=tone(0.5)))
    ended = line.wait_ended(1)
    assert ended[0]["menu_choice"] == "complaint"
    assert line.payloads("call.message_recorded")[0]["menu_choice"] == "complaint"


def test_directory_and_blocklist_commands(line_factory):
    line = line_factory(blocklist_action="hangup").start()
    for payload in [DirectoryReplace(entries=[DirectoryEntry(number="13800138000", unit="3-2-1801", name="张三")]),
                    BlocklistReplace(numbers=["+86 139 0000 0000"])]:
        cmd = make_command(payload, site="site1", device="edge1")
        applied = line.journal.apply_command(cmd, line.ctx.commands)
        assert applied.payload_as(CommandApplied).status == "applied"
    line.emu.place_call(CallSpec(number="13800138000", message=tone(0.3)))
    line.wait_ended(1)
    a = line.payloads("call.answered")[0]
    assert a["unit"] == "3-2-1801" and a["resident_name"] == "张三"
    rec = line.emu.place_call(CallSpec(number="13900000000", message=tone(0.3)))
    ended = line.wait_ended(2)
    # Answered (and hung up) as soon as its caller ID is known.
    assert ended[1]["outcome"] == "blocked" and ended[1]["blocked"] and rec.answered_at_ring == 1
    assert len(line.payloads("call.message_recorded")) == 1


def test_blocklist_ignore(line_factory):
    line = line_factory(blocklist_action="ignore").start()
    cmd = make_command(BlocklistReplace(numbers=["13900000000"]), site="site1", device="edge1")
    line.journal.apply_command(cmd, line.ctx.commands)
    rec = line.emu.place_call(CallSpec(number="13900000000", rings_max=4))
    ended = line.wait_ended(1)
    assert rec.answered_at_ring is None and ended[0]["outcome"] == "blocked"
    assert line.payloads("call.missed")[0]["reason"] == "blocked_ignored"


@pytest.mark.parametrize("family,fallback", [("usr5637", "AT#CID=1"), ("cx93001", "AT-SCID=1")])
def test_caller_id_fallback_and_reassert(line_factory, family, fallback):
    line = line_factory(family=family, vcid_supported=False, cid_reassert_s=5).start()
    assert fallback in line.payloads("phone.modem_status")[0]["detail"]
    line.wait_for(lambda: line.emu.commands.count(fallback) >= 3, 10)
    line.emu.place_call(CallSpec(message=tone(0.3)))
    line.wait_ended(1)
    assert line.payloads("call.answered")[0]["number"] == "+8613800138000"


def test_serial_garbage(line_factory):
    line = line_factory().start()
    line.emu.send_garbage(bytes(range(256)) + b"\r\nNMBR\r\nDATE = 99\r\n\xff\xfe\r\n")
    rec = line.emu.place_call(CallSpec(message=tone(0.5), garbage=b"\x00\x10\x10\xff+++\r\nNO CARRIER\r\n"),
                              delay_s=1)
    line.wait_ended(1)
    assert rec.answered_at_ring == 3 and recorded_audio(line) == bytes(rec.source)


def test_port_vanishes_mid_recording(line_factory):
    line = line_factory().start()
    rec = line.emu.place_call(CallSpec(message=tone(8.0), end="l"))
    line.wait_for(lambda: len(rec.source) > 8000)
    before = [e["id"] for e in line.events()]
    line.emu.unplug()
    line.wait_ended(1)
    ended = line.payloads("call.ended")[0]
    assert ended["reason"] == "modem_lost" and ended["outcome"] == "message"
    msg = line.payloads("call.message_recorded")[0]
    assert msg["stop_reason"] == "line_lost" and msg["bytes"] > 0
    assert bytes(rec.source).startswith(recorded_audio(line))
    line.wait_for(lambda: any(p["state"] == "lost" for p in line.payloads("phone.modem_status")))
    line.emu.replug()
    line.wait_for(lambda: any(p["state"] == "recovered" for p in line.payloads("phone.modem_status")), 20)
    rec2 = line.emu.place_call(CallSpec(message=tone(0.5)))
    line.wait_ended(2)
    assert rec2.answered_at_ring == 3 and recorded_audio(line) == bytes(rec2.source)
    assert set(before) <= {e["id"] for e in line.events()}  # nothing journaled was lost


def test_port_vanishes_while_ringing(line_factory):
    line = line_factory().start()
    line.emu.place_call(CallSpec())
    line.wait_for(lambda: line.payloads("call.ringing"))
    line.emu.unplug()
    ended = line.wait_ended(1)
    assert ended[0]["reason"] == "modem_lost" and line.payloads("call.missed")[0]["reason"] == "modem_lost"
    line.emu.replug()
    line.wait_for(lambda: any(p["state"] == "recovered" for p in line.payloads("phone.modem_status")), 20)


@pytest.mark.parametrize("until,step", [("escape", "escape"), ("reopen", "dtr")])
def test_wedged_modem_recovers(line_factory, until, step):
    line = line_factory(health_check_s=2).start()
    line.emu.wedge(until)
    line.wait_for(lambda: any(p["state"] == "recovered" for p in line.payloads("phone.modem_status")), 20)
    states = [(p["state"], p["recovery"]) for p in line.payloads("phone.modem_status")]
    assert ("unresponsive", None) in states and ("recovered", step) in states
    rec = line.emu.place_call(CallSpec(message=tone(0.5)))
    line.wait_ended(1)
    assert rec.answered_at_ring == 3


def test_modem_that_never_answers(line_factory):
    line = line_factory(health_check_s=2, reconnect_max_s=2).start()
    line.emu.place_call(CallSpec(rings_max=1))
    line.wait_ended(1)
    kept = [e["id"] for e in line.events()]
    line.emu.wedge("forever")
    line.wait_for(lambda: any(p["state"] == "failed" for p in line.payloads("phone.modem_status")), 30)
    time.sleep(0.5)
    assert line.service._thread.is_alive()
    assert set(kept) <= {e["id"] for e in line.events()}
    assert sum(p["state"] == "failed" for p in line.payloads("phone.modem_status")) == 1  # no flood


def test_config_errors():
    from frontdesk.config import ConfigError, parse
    from frontdesk.edge.phone.config import PhoneConfig

    for bad, word in [({"answer_ring": 4}, "answer_ring"), ({"cadence": "xx"}, "cadence"),
                      ({"staffed_hours": ["8-17"]}, "staffed"), ({"ring": 3}, "unknown key")]:
        with pytest.raises(ConfigError, match=word):
            parse(PhoneConfig, {"device": "serial:/dev/null", **bad}, "edge.toml")
    # The modem is named by a URL with its scheme; a bare path is not guessed to be a serial port.
    with pytest.raises(ConfigError, match=r"device: .*'/dev/ttyACM0' is not a modem URL .*serial:/dev/ttyACM0"):
        parse(PhoneConfig, {"device": "/dev/ttyACM0"}, "edge.toml")
    with pytest.raises(ConfigError, match="unknown modem scheme 'com'"):
        parse(PhoneConfig, {"device": "com:1"}, "edge.toml")
