"""Keyword rules (zh, en) and the caller's DTMF choice decide the call's category."""
from __future__ import annotations

import pytest

from frontdesk.config import ConfigError, parse
from frontdesk.edge.transcribe.classify import classify, matches
from frontdesk.edge.transcribe.config import TranscribeConfig

RULES = TranscribeConfig().categories


def test_chinese_words_across_recogniser_spaces():
    c = classify("我 家 卫生间 漏 水 了 请 来 维修", None, RULES)
    assert c.category == "repair" and c.basis == "keywords"
    assert set(c.matched_words) >= {"漏水", "维修"}


def test_english_whole_words_only():
    assert matches("the tap is leaking", "leaking")
    assert not matches("a fixture", "fix")
    assert matches("I am Locked  Out", "locked out")
    c = classify("there is loud noise every night I want to complain", None, RULES)
    assert c.category == "complaint" and "noise" in c.matched_words


def test_dtmf_choice_wins_and_words_still_shown():
    c = classify("水管 漏水", "2", RULES)
    assert (c.category, c.basis) == ("complaint", "dtmf")
    assert "漏水" in c.matched_words
    c = classify("投诉 噪音", "2", RULES)
    assert c.basis == "dtmf+keywords"


def test_menu_choice_given_as_category_name():
    c = classify("", "help_request", RULES)
    assert (c.category, c.basis) == ("help_request", "dtmf")


def test_nothing_matches():
    c = classify("", None, RULES)
    assert (c.category, c.matched_words, c.basis) == ("other", [], "none")
    assert classify("hello there", "9", RULES).category == "other"


def test_rules_are_editable_in_config():
    cfg = parse(TranscribeConfig, {"categories": {"inquiry": {"dtmf": "5", "words": {"en": ["parking permit"]}}}})
    c = classify("how do I get a parking permit", None, cfg.categories)
    assert (c.category, c.matched_words) == ("inquiry", ["parking permit"])
    assert classify("broken pipe", None, cfg.categories).category == "other"  # only the rules given


@pytest.mark.parametrize("section,message", [
    ({"categories": {"plumbing": {"words": {}}}}, "unknown categories"),
    ({"categories": {"repair": {"dtmf": "1"}, "complaint": {"dtmf": "1"}}}, "given to both"),
    ({"categories": {"repair": {"dtmf": "x"}}}, "categories.repair.dtmf"),
    ({"modle": {}}, "unknown key"),
])
def test_bad_config_is_named(section, message):
    with pytest.raises(ConfigError, match=message):
        parse(TranscribeConfig, section, "edge.toml")
