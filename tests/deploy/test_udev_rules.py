"""deploy/udev/*.rules: every line parses as udev reads it (systemd 252 has no `udevadm verify`,
which came with 253), and the card-reader rule gives only the readers' event devices to the
agent's group, read-only, under a stable name."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

RULES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "udev"
RULES = sorted(p.name for p in RULES_DIR.glob("*.rules"))
# udev(7): keys that only match, keys that only assign, keys that take an {attribute}.
MATCH_ONLY = {"ACTION", "DEVPATH", "KERNEL", "KERNELS", "NAME", "SUBSYSTEM", "SUBSYSTEMS", "DRIVER", "DRIVERS",
              "TAG", "TAGS", "TEST", "PROGRAM", "RESULT", "ATTRS", "SYSCTL", "CONST"}
ASSIGN_ONLY = {"OWNER", "GROUP", "MODE", "SECLABEL", "RUN", "LABEL", "GOTO", "IMPORT", "OPTIONS", "WAIT_FOR"}
BOTH = {"NAME", "SYMLINK", "ENV", "ATTR", "TAG", "SYSCTL"}
WITH_ATTR = {"ATTR", "ATTRS", "ENV", "SYSCTL", "TEST", "IMPORT", "RUN", "SECLABEL", "CONST"}
PAIR = re.compile(r'\s*([A-Z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def parse(line: str) -> list[tuple[str, str | None, str, str]]:
    """(key, attribute, operator, value) of each pair; AssertionError naming what does not parse."""
    pairs, pos = [], 0
    while pos < len(line):
        m = PAIR.match(line, pos)
        assert m, f"cannot parse from {line[pos:]!r}"
        pairs.append((m.group(1), m.group(2), m.group(3), m.group(4)))
        pos = m.end()
    return pairs


def rule_lines(name: str) -> list[list[tuple[str, str | None, str, str]]]:
    return [parse(line.strip()) for line in (RULES_DIR / name).read_text().splitlines()
            if line.strip() and not line.strip().startswith("#")]


@pytest.mark.parametrize("name", RULES)
def test_every_line_is_valid_udev(name):
    labels, gotos = set(), set()
    for pairs in rule_lines(name):
        for key, attr, op, value in pairs:
            matching = op in ("==", "!=")
            assert key in MATCH_ONLY | ASSIGN_ONLY | BOTH, f"{name}: unknown key {key}"
            assert not (matching and key in ASSIGN_ONLY - BOTH), f"{name}: {key} cannot be matched"
            assert matching or key not in MATCH_ONLY - BOTH, f"{name}: {key} cannot be assigned"
            assert (attr is not None) == (key in WITH_ATTR), f"{name}: {key} and its {{attribute}}"
            if key == "MODE":
                assert re.fullmatch(r"0[0-7]{3}", value) and not int(value, 8) & 0o007, f"{name}: MODE {value}"
            if key == "LABEL":
                labels.add(value)
            if key == "GOTO":
                gotos.add(value)
        assert any(op in ("==", "!=") for _, _, op, _ in pairs) or [k for k, *_ in pairs] == ["LABEL"], \
            f"{name}: a line that matches nothing applies to every device: {pairs}"
    assert gotos <= labels, f"{name}: GOTO without its LABEL: {gotos - labels}"


def test_the_parser_refuses_what_udev_would():
    with pytest.raises(AssertionError):
        parse('SUBSYSTEM=="input" ATTRS{idVendor}=="08ff"')  # missing comma
    with pytest.raises(AssertionError):
        parse('SUBSYSTEM=="input", MODE=0640')               # unquoted value


def test_card_readers_go_to_the_agents_group_read_only_with_a_stable_name():
    lines = rule_lines("99-frontdesk-cards.rules")
    flat = [pair for pairs in lines for pair in pairs]
    # Only input event devices are considered at all.
    assert ("SUBSYSTEM", None, "!=", "input") in flat and ("KERNEL", None, "!=", "event[0-9]*") in flat
    readers = [dict(((k, a), v) for k, a, _, v in pairs) for pairs in lines
               if any(k == "ATTRS" and a == "idVendor" for k, a, _, _ in pairs)]
    ids = {(r[("ATTRS", "idVendor")], r[("ATTRS", "idProduct")]) for r in readers}
    assert {("08ff", "0009"), ("ffff", "0035"), ("1a86", "dd01"), ("0c27", "3bfa")} <= ids
    for r in readers:  # a reader line only marks the device; nothing is granted before the check
        assert set(r) == {("ATTRS", "idVendor"), ("ATTRS", "idProduct"), ("ENV", "FRONTDESK_CARD_READER")}
    granting = [pairs for pairs in lines if any(k in ("GROUP", "MODE", "SYMLINK") for k, *_ in pairs)]
    for pairs in granting:  # each grant is conditional on the device being a listed reader
        assert ("ENV", "FRONTDESK_CARD_READER", "==", "1") in pairs, pairs
    granted = [pair for pairs in granting for pair in pairs]
    assert ("GROUP", None, "=", "frontdesk") in granted and ("MODE", None, "=", "0640") in granted
    assert ("SYMLINK", None, "+=", "input/frontdesk-card") in granted
    assert any(k == "SYMLINK" and v.startswith("input/frontdesk-card-") for k, _, _, v in granted)
    assert ("ENV", "LIBINPUT_IGNORE_DEVICE", "=", "1") in granted
