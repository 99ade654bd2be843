"""The wedge reader opens card readers read-only and skips input devices it may not open: the agent
is not in group `input`, only the readers are its (deploy/udev/99-frontdesk-cards.rules)."""
from __future__ import annotations

import evdev
import pytest

from frontdesk.drivers.cards.wedge import WedgeReader


class FakeDevice:
    def __init__(self, path: str, name: str) -> None:
        self.path, self.name, self.closed = path, name, False

    def close(self) -> None:
        self.closed = True


def test_lookup_by_name_skips_devices_it_may_not_open_and_opens_read_only(monkeypatch):
    names = {"/dev/input/event0": "AT Translated Set 2 keyboard", "/dev/input/event3": "Sycreader USB Reader",
             "/dev/input/event4": "Logitech mouse"}
    opened: list[tuple[str, bool]] = []
    listed: dict[str, bool] = {}

    def list_devices(input_device_dir: str = "/dev/input", writable: bool = True) -> list[str]:
        listed["writable"] = writable
        return sorted(names)

    def input_device(path: str, readonly: bool = False) -> FakeDevice:
        opened.append((path, readonly))
        if path == "/dev/input/event0":
            raise PermissionError(13, "Permission denied", path)  # the desk's keyboard: root:input 0660
        return FakeDevice(path, names[path])

    monkeypatch.setattr(evdev, "list_devices", list_devices)
    monkeypatch.setattr(evdev, "InputDevice", input_device)
    reader = WedgeReader(url="evdev:name=Sycreader USB Reader", device="name=Sycreader USB Reader")
    dev = reader._open()
    assert dev.path == "/dev/input/event3"
    assert listed == {"writable": False}  # a 0640 reader is readable, not writable
    assert all(readonly for _, readonly in opened)
    with pytest.raises(FileNotFoundError, match="99-frontdesk-cards.rules"):
        WedgeReader(url="evdev:name=x", device="name=nobody here")._open()
    by_path = WedgeReader(url="evdev:/dev/input/frontdesk-card", device="/dev/input/event3")._open()
    assert by_path.path == "/dev/input/event3" and opened[-1] == ("/dev/input/event3", True)
