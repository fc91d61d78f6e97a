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


def test_the_case_diagram_zooms_and_fits_at_phone_width(page, login, page_errors):
    """Issue 13, item 9: the case page's live diagram has 拡大・縮小・全体 buttons a finger can use."""
    page.set_viewport_size({"width": 390, "height": 800})
    login(page, "toyokawa-center-1-1")
    page.goto("/cases?q=%E5%B1%B1%E6%9C%AC")  # 山本
    page.get_by_role("link", name="山本 和子").click()
    diagram = page.locator("div.bpmn-diagram[data-state='ready']").first
    diagram.scroll_into_view_if_needed()
    controls = diagram.get_by_role("group", name="図の表示の大きさ")
    for name in ("拡大", "縮小", "図の全体を表示"):
        button = controls.get_by_role("button", name=name)
        box = button.bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44, f"「{name}」 is too small for a finger"
    controls.get_by_role("button", name="図の全体を表示").click()
    fitted = float(diagram.get_attribute("data-zoom") or 0)
    controls.get_by_role("button", name="拡大").click()
    assert float(diagram.get_attribute("data-zoom") or 0) > fitted
    controls.get_by_role("button", name="縮小").click()
    controls.get_by_role("button", name="縮小").click()
    assert float(diagram.get_attribute("data-zoom") or 0) < fitted
    controls.get_by_role("button", name="図の全体を表示").click()
    assert float(diagram.get_attribute("data-zoom") or 0) == fitted
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the case page is {overflow}px wider than the screen"
    assert page_errors == []
