"""One device interface: every kind opens by URL through its scheme registry, reports its state
with a reason to subscribers, and closes the same way (drivers/device.py)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from frontdesk.drivers.audio.microphone import MICROPHONES, open_microphone
from frontdesk.drivers.camera import CAMERAS, open_camera
from frontdesk.drivers.cards import READERS, open_reader
from frontdesk.drivers.device import Device, DeviceKind, DeviceState, DeviceURL, DeviceURLError
from frontdesk.drivers.modem import MODEMS, ModemLost, open_modem
from frontdesk.drivers.modem.emulator import ModemEmulator
from frontdesk.drivers.printer import PRINTERS, PrinterUnreachable, open_printer
from frontdesk.runtime.ports import free_port

from ..waiting import wait_for

KINDS = [(PRINTERS, "tcp://127.0.0.1:9100"), (MODEMS, "serial:/dev/ttyACM0"), (CAMERAS, "folder:/srv/cam"),
         (READERS, "serial:/dev/ttyUSB0?baud=9600"), (MICROPHONES, "portaudio:default")]


@pytest.mark.parametrize("kind,url", KINDS, ids=lambda k: getattr(k, "kind", None))
def test_every_kind_opens_by_url_into_the_same_base(kind, url):
    device = kind.open(url, do_not_open=True)
    assert isinstance(device, Device) and device.url == url
    assert device.state == DeviceState("closed", "not opened yet") and not device.is_open
    device.close()  # closing one never opened is harmless
    assert kind.check(url).scheme == url.partition(":")[0]


@pytest.mark.parametrize("kind,url", KINDS, ids=lambda k: getattr(k, "kind", None))
def test_unknown_scheme_and_malformed_urls_are_clear_errors_listing_the_schemes(kind, url):
    with pytest.raises(DeviceURLError, match=f"unknown {kind.kind} scheme 'bogus'; use one of: .*e.g. ") as err:
        kind.open("bogus://x")
    for scheme in kind.schemes:
        assert scheme in str(err.value)
    with pytest.raises(DeviceURLError, match=f"is not a {kind.kind} URL \\(it names no scheme\\)"):
        kind.open("/dev/something")  # nothing is guessed from the shape of the string
    with pytest.raises(DeviceURLError, match=f"empty {kind.kind} URL"):
        kind.open("   ")


@pytest.mark.parametrize("kind,url", [(MODEMS, "serial:"), (PRINTERS, "serial://"), (PRINTERS, "file:?x=1"),
                                      (CAMERAS, "folder:"), (CAMERAS, "file:?fps=5"), (READERS, "evdev:"),
                                      (MICROPHONES, "portaudio:")])
def test_a_missing_device_path_is_a_clear_error(kind, url):
    scheme = url.partition(":")[0]
    with pytest.raises(DeviceURLError, match=f"no device after {scheme}: \\(e.g. "):
        kind.open(url)


def test_options_are_checked_where_the_url_is_read():
    with pytest.raises(DeviceURLError, match="unknown option 'bauds' for serial: \\(accepted: baud, rtscts\\)"):
        PRINTERS.check("serial:/dev/ttyUSB0?bauds=9600")
    with pytest.raises(DeviceURLError, match="baud='fast' is not a number"):
        READERS.check("serial:/dev/ttyUSB0?baud=fast")
    with pytest.raises(DeviceURLError, match="rtscts='maybe' is not yes/no"):
        PRINTERS.check("serial:/dev/ttyUSB0?rtscts=maybe")
    with pytest.raises(DeviceURLError, match="expected tcp://HOST\\[:PORT\\]"):
        PRINTERS.check("tcp://printer:raw")
    # Stream URLs keep their own query strings: they are the camera's, not frontdesk's.
    assert CAMERAS.check("rtsp://10.0.0.9/live?channel=1&subtype=0").options == {}


def test_state_changes_reach_a_subscriber_with_a_reason_and_close_is_a_state(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), np.full((60, 80, 3), 90, np.uint8))
    cam = open_camera(f"folder:{tmp_path}?fps=50", do_not_open=True)
    seen: list[DeviceState] = []
    cam.subscribe(seen.append)
    with cam as opened:
        assert opened is cam and cam.is_open
        assert wait_for(lambda: cam.state.name == "streaming")
    assert [s.name for s in seen] == ["starting", "streaming", "closed"]
    assert seen[1].reason == f"folder:{tmp_path}"
    assert not cam.is_open and cam.state.name == "closed"
    cam.close()  # closing twice is harmless and reports nothing new
    assert len(seen) == 3


def test_a_reader_on_a_simulated_port_is_ready_and_a_missing_one_says_why(tmp_path):
    with open_reader("loop://", on_read=print) as reader:
        assert wait_for(lambda: reader.state.name == "ready")
    states: list[DeviceState] = []
    missing = open_reader(f"serial:{tmp_path}/ttyNOPE", do_not_open=True)
    missing.subscribe(states.append)
    with missing:
        assert wait_for(lambda: missing.state.name == "missing")
    assert "ttyNOPE" in states[1].reason and states[-1].name == "closed"


def test_a_lost_modem_is_a_state_with_the_reason_as_well_as_an_error(tmp_path):
    with ModemEmulator("usr5637", time_scale=0.05, link=tmp_path / "tty") as emu:
        modem = open_modem(emu.url, time_scale=0.05, command_timeout=1.0)
        states: list[DeviceState] = []
        modem.subscribe(states.append)
        try:
            ident = modem.initialise()
            assert modem.state == DeviceState("ready", f"{ident.family.label} on {tmp_path / 'tty'}")
            emu.unplug()
            with pytest.raises(ModemLost):
                for _ in range(50):
                    modem.poll(0.05)
            assert states[-1].name == "lost" and "failed" in states[-1].reason
        finally:
            modem.close()
    assert modem.state.name == "closed"
    with pytest.raises(ModemLost, match="cannot open"):
        open_modem(f"serial:{tmp_path}/ttyNone")


def test_an_unreachable_printer_raises_and_says_so_in_its_state():
    port = free_port()
    printer = open_printer(f"tcp://127.0.0.1:{port}", timeout=1, do_not_open=True)
    with pytest.raises(PrinterUnreachable):
        printer.open()
    assert printer.state.name == "unreachable" and f"127.0.0.1:{port}" in printer.state.reason
    assert not printer.is_open
    with open_printer("buffer:") as p:
        p.line("hello")
        assert p.state.name == "ready"
    assert p.state.name == "closed"


def test_a_microphone_url_is_checked_without_touching_the_sound_card():
    mic = open_microphone("portaudio:USB Headset", do_not_open=True, rate=8000)
    assert (mic.spec, mic.rate, mic.state.name) == ("USB Headset", 8000, "closed")


class _Fake(Device):
    kind = "fake"

    def __init__(self, *, url: str) -> None:
        super().__init__(url=url)
        self.opened = 0
        self.closed = 0

    def _connect(self) -> None:
        self.opened += 1
        self._set_state("ready", "connected")

    def _disconnect(self) -> None:
        self.closed += 1


def test_the_base_opens_once_survives_a_bad_subscriber_and_unsubscribes():
    kind: DeviceKind[_Fake] = DeviceKind("fake")

    def make(u: DeviceURL) -> _Fake:
        return _Fake(url=u.text)

    kind.register("fake", make, example="fake:thing", needs_target=False)
    with pytest.raises(ValueError, match="registered twice"):
        kind.register("fake", make, example="fake:thing")
    dev = kind.open("fake:")
    dev.open()  # already open: nothing happens
    assert dev.opened == 1
    heard: list[str] = []

    def broken(state: DeviceState) -> None:
        raise RuntimeError("subscriber bug")

    dev.subscribe(broken)
    stop = dev.subscribe(lambda s: heard.append(s.name))
    dev.close()
    assert heard == ["closed"] and dev.closed == 1
    stop()
    dev.open()
    dev.close()
    dev.close()
    assert heard == ["closed"] and (dev.opened, dev.closed) == (2, 2)


def test_the_dictation_microphone_url_is_checked_when_the_configuration_loads():
    from frontdesk.config import ConfigError
    from frontdesk.edge.config import parse_edge

    base = {"site": {"id": "s1"}, "edge": {"device": "desk-1"}}
    with pytest.raises(ConfigError, match="microphone: Value error, 'alsa:hw:0': unknown microphone scheme 'alsa'"):
        parse_edge({**base, "transcribe": {"dictation": {"microphone": "alsa:hw:0"}}})
    cfg = parse_edge({**base, "transcribe": {"dictation": {"microphone": "portaudio:USB Headset"}}})
    assert cfg.transcribe.dictation.microphone == "portaudio:USB Headset"
