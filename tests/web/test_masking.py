"""The one phone-masking rule (frontdesk/masking.py) and that every Python caller uses it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from frontdesk import masking
from frontdesk.masking import mask_phone

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("phone", "masked"), [
    ("13812345678", "138****5678"),            # CN mobile
    ("+8613812345678", "+86138****5678"),      # E.164: the same digits hidden as the national form
    ("+86 138-1234-5678", "+86 138-****-5678"),  # spaces and dashes stay where they were
    ("(010) 6512-3456", "(010) ****-3456"),    # a landline with its area code
    ("008613812345678", "0086138****5678"),   # an international prefix
    ("12345678", "****5678"),                  # eight digits: only the last four
    ("1234567", "*****67"),                    # short numbers: the last two
    ("12345", "***45"),
    ("5678", "****"),                          # four or fewer: nothing shown
    ("1", "*"),
    ("", ""),
    (None, None),
    ("P", "P"),                                # caller ID "private": no digits, nothing to hide
    ("ext. 12345", "ext. ***45"),
    ("１３８１２３４５６７８", "１３８****５６７８"),  # full-width digits typed with a Chinese IME
])
def test_the_rule(phone, masked):
    assert mask_phone(phone) == masked


def test_never_shows_more_than_it_should():
    for n in range(1, 20):
        digits = "".join(str(i % 10) for i in range(n))
        shown = sum(c != "*" for c in mask_phone(digits))
        assert shown == (0 if n < 5 else 2 if n < 8 else n - 4)
        assert len(mask_phone(digits)) == n


def test_every_caller_uses_the_one_rule():
    from frontdesk.central.auth import masking as central_masking
    from frontdesk.edge.access import service as access_service
    from frontdesk.edge.printing import layout

    for module in (central_masking, access_service, layout):
        assert module.mask_phone is masking.mask_phone, module.__name__


def test_no_other_phone_masking_rule_in_the_tree():
    defined = []
    for folder in ("frontdesk", "central", "edge", "drivers", "kiosk_ui"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef) and "mask_phone" in node.name:
                    defined.append(path.relative_to(ROOT).as_posix())
        # The screens show what the server masked: no script masks on its own.
        for script in (ROOT / folder).rglob("*.js"):
            assert "maskPhone" not in script.read_text(encoding="utf-8"), script
    assert set(defined) == {"frontdesk/masking.py"}
