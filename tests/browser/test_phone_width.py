"""Issue 13, item 9: at phone width (390 px) menu words stay whole and pages do not run off the screen."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("width", [1366, 390])
def test_menu_words_stay_whole_and_the_inbox_fits_the_screen(page, login, page_errors, width):
    page.set_viewport_size({"width": width, "height": 800})
    login(page, "toyokawa-center-1-1")
    page.goto("/")
    links = page.locator(".site-nav a")
    assert links.count() > 0
    for index in range(links.count()):
        link = links.nth(index)
        box = link.bounding_box()
        line = float(link.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || e.offsetHeight"))
        assert box is not None and box["height"] < 1.6 * line, f"「{link.inner_text()}」 breaks onto two lines"
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"
    assert page_errors == []
