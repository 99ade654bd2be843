"""Accessibility of the staff dashboard's pages (issue #12, point 6): axe-core finds no WCAG 2.2
A/AA violation on any page, in Simplified Chinese and in English, with data on them."""
from __future__ import annotations

import pytest

from frontdesk.ids import new_id

from ..a11y import assert_accessible
from .dashboard_helpers import Edge, login, ringing

# The pages whose own tests do not check them (the desk, board, ticket and phone pages check
# themselves, with their dialogs open).
PAGES = ("visitors", "registers", "stats", "commands")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_staff_pages_pass_axe_in_both_languages(make_page, central, lang):
    Edge(central.store).send("call.ringing", ringing(new_id()))
    pg = make_page(locale="zh-CN" if lang == "zh" else "en-GB")
    pg.goto(f"{central.url}/dashboard/login?lang={lang}")
    pg.wait_for_selector("#username")
    assert_accessible(pg)
    user, password = central.add_user(f"mgr-{lang}", "manager")
    login(pg, central, user, password, "visitors", f"?lang={lang}")
    for name in PAGES:
        with pg.expect_response(lambda r: "/api/v1/" in r.url and "/live" not in r.url):
            pg.goto(f"{central.url}/dashboard/{name}")
        pg.wait_for_timeout(300)  # the page puts what it loaded on screen
        assert pg.evaluate("document.documentElement.lang") == ("zh-Hans" if lang == "zh" else "en")
        assert_accessible(pg)
