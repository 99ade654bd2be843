"""The [printer] section of the edge TOML: typos, unknown profiles, printers and kinds are
errors that name the key."""
from __future__ import annotations

import pytest

from frontdesk.config import ConfigError
from frontdesk.edge.config import parse_edge

BASE = {"site": {"id": "s1"}, "edge": {"device": "e1"}}


def section(**printer) -> dict:
    return dict(BASE, printer=printer)


def test_a_minimal_section_and_a_custom_profile():
    cfg = parse_edge(section(printers={"desk": {"url": "usb://0416:5011", "profile": "my-58"}},
                             profiles={"my-58": {"paper_mm": 58, "dots": 384, "columns": 32, "chinese": "gb2312",
                                                 "cut": False}}))
    p = cfg.printer
    assert p.default == "desk" and p.profile_of("desk").chinese == "gb2312" and not p.profile_of("desk").cut
    assert p.printer_for("workorder", None) == "desk"


@pytest.mark.parametrize("printer,needle", [
    ({"printers": {"desk": {"url": "lpt://x"}}},
     "printer.printers.desk.url: Value error, 'lpt://x': unknown printer scheme"),
    ({"printers": {"desk": {"url": "10.0.0.5:9100"}}}, "is not a printer URL (it names no scheme)"),
    ({"printers": {"desk": {"url": "tcp://h:9100", "profil": "x"}}}, "printer.printers.desk.profil: unknown key"),
    ({"printers": {"desk": {"url": "tcp://h:9100", "profile": "99mm"}}}, "unknown printer profile '99mm'"),
    ({"printers": {}}, "printer.printers"),
    ({"printers": {"desk": {"url": "tcp://h:9100", "fallback": "eng"}}}, "fallback"),
    ({"printers": {"desk": {"url": "tcp://h:9100"}}, "routes": {"fax": "desk"}}, "unknown slip kind 'fax'"),
    ({"printers": {"desk": {"url": "tcp://h:9100"}}, "default": "eng"}, "default printer 'eng'"),
    ({"printers": {"desk": {"url": "tcp://h:9100"}}, "profiles": {"x": {"columns": 80, "dots": 384}}}, "columns"),
])
def test_mistakes_are_reported_with_their_key(printer, needle):
    with pytest.raises(ConfigError) as err:
        parse_edge(section(**printer))
    assert needle in str(err.value)
