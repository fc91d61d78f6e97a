"""The comparison page in chromium: markers on both diagrams, hover highlights, and viewers that move together.

The pair is the real 鈴鹿亀山 vs 豊川市 新規: 豊川市 adds 委託連絡票 and 所内決裁 steps and has no 認定資料の提供.
"""

from __future__ import annotations

import re

import pytest

COMPARE = "/admin/compare?flow=new_case&left=suzuka-kameyama&right=toyokawa"
LEFT = ".bpmn-diagram[data-side='left'][data-process='new_case']"
RIGHT = ".bpmn-diagram[data-side='right'][data-process='new_case']"


def open_comparison(page, login):
    from web.demo import ADMIN_LOGIN

    login(page, ADMIN_LOGIN)
    response = page.goto(COMPARE)
    assert response is not None and response.status == 200
    page.wait_for_selector(".compare-pair[data-process='new_case'][data-synced='true']", state="attached")


def element(page, container: str, element_id: str, marker: str):
    return page.locator(f"{container} .djs-element.{marker}[data-element-id='{element_id}']")


def viewport(page, container: str) -> list[float]:
    """The diagram's view as (scale, 0, 0, scale, x, y) from the transform bpmn-js puts on its viewport."""
    transform = page.locator(f"{container} svg g.viewport").first.get_attribute("transform") or ""
    return [float(n) for n in re.findall(r"-?[0-9.]+(?:e-?[0-9]+)?", transform)]


def same_view(a: list[float], b: list[float]) -> bool:
    """Equal up to the viewbox's rounding (bpmn-js rounds the scale to 3 decimals; position to a pixel)."""
    return abs(a[0] - b[0]) <= 0.0011 and abs(a[4] - b[4]) <= 1 and abs(a[5] - b[5]) <= 1


def wait_until_same(page, moved_from: list[float]) -> list[float]:
    """Wait until both views agree again and differ from `moved_from`; return the new view."""
    for _ in range(50):
        left, right = viewport(page, LEFT), viewport(page, RIGHT)
        if same_view(left, right) and not same_view(left, moved_from):
            return left
        page.wait_for_timeout(100)
    raise AssertionError(f"views differ: left {viewport(page, LEFT)}, right {viewport(page, RIGHT)}")


def test_markers_on_both_diagrams(page, page_errors, login):
    open_comparison(page, login)
    for added in ("toyokawa_commission_notice", "toyokawa_internal_approval"):
        assert element(page, RIGHT, added, "kf-added").count() == 1
        assert page.locator(f"{LEFT} .djs-element[data-element-id='{added}']").count() == 0
    assert element(page, LEFT, "certification_materials", "kf-removed").count() == 1
    assert element(page, LEFT, "delegation_request", "kf-changed").count() == 1
    assert element(page, RIGHT, "delegation_request", "kf-changed").count() == 1
    assert page_errors == []


def test_hovering_a_change_highlights_it_on_both_diagrams(page, page_errors, login):
    open_comparison(page, login)
    item = page.locator("li.change[data-element='delegation_request']").first
    item.scroll_into_view_if_needed()
    item.hover()
    assert element(page, LEFT, "delegation_request", "kf-highlight").count() == 1
    assert element(page, RIGHT, "delegation_request", "kf-highlight").count() == 1
    assert "is-highlighted" in (item.get_attribute("class") or "")
    page.mouse.move(0, 0)
    assert page.locator(".djs-element.kf-highlight").count() == 0
    added = page.locator("li.change[data-element='toyokawa_internal_approval']").first
    added.hover()
    assert element(page, RIGHT, "toyokawa_internal_approval", "kf-highlight").count() == 1
    assert page.locator(f"{LEFT} .kf-highlight").count() == 0
    assert page_errors == []


def test_panning_one_diagram_moves_the_other(page, page_errors, login):
    open_comparison(page, login)
    left = page.locator(LEFT)
    left.scroll_into_view_if_needed()
    start = viewport(page, LEFT)
    assert same_view(start, viewport(page, RIGHT))
    box = left.bounding_box()
    x, y = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.9
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x - 15 * step, y - 8 * step)
    page.mouse.up()
    panned = wait_until_same(page, start)
    assert panned[0] == pytest.approx(start[0], rel=0.001)  # a pan keeps the scale
    assert panned[4] < start[4] - 100  # and moved the drawing left by the drag
    # And the other way round: zooming the right one zooms the left one.
    right_box = page.locator(RIGHT).bounding_box()
    page.mouse.move(right_box["x"] + right_box["width"] / 2, right_box["y"] + right_box["height"] / 2)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    zoomed = wait_until_same(page, panned)
    assert zoomed[0] > panned[0]
    assert page_errors == []
