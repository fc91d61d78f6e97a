"""web/static/js/diagram.js in chromium: a real diagram of processes/ with completed/current markers and lane labels."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from lxml import etree

PROCESSES = Path(__file__).resolve().parent.parent.parent / "processes"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
}
PREFERRED = ("common/plan_cycle.bpmn", "suzuka-kameyama/new_case.bpmn")


@dataclass(frozen=True)
class Diagram:
    path: str  # relative to processes/
    user_tasks: list[str]  # ids with a shape, in document order
    lane_of: dict[str, str]  # task id -> lane name


def read_diagram(path: Path) -> Diagram:
    tree = etree.parse(str(path))
    shapes = set(tree.xpath("//bpmndi:BPMNShape/@bpmnElement", namespaces=NS))
    tasks = [t for t in tree.xpath("//bpmn:userTask/@id", namespaces=NS) if t in shapes]
    lane_of = {}
    for lane in tree.xpath("//bpmn:lane[@name]", namespaces=NS):
        for ref in lane.xpath("bpmn:flowNodeRef/text()", namespaces=NS):
            lane_of[ref.strip()] = lane.get("name")
    return Diagram(path.relative_to(PROCESSES).as_posix(), tasks, lane_of)


@pytest.fixture(scope="module")
def diagram() -> Diagram:
    """A real diagram of the library with at least four drawn user tasks (the common 一連の業務 when it exists)."""
    candidates = [PROCESSES / p for p in PREFERRED] + sorted(PROCESSES.rglob("*.bpmn"))
    for path in candidates:
        if path.is_file():
            found = read_diagram(path)
            if len(found.user_tasks) >= 4:
                return found
    pytest.fail("processes/ に図(ユーザータスク4つ以上、DI付き)がありません: the viewer has nothing real to draw")


def frame(div_id: str, xml_url: str, completed=(), current=(), lanes=None) -> dict:
    """One `<div class="bpmn-diagram">` of the test page (tests/browser/fixtures/diagrams.html)."""
    return {
        "id": div_id,
        "xml_url": xml_url,
        "completed": list(completed),
        "current": list(current),
        "lanes": lanes or {},
    }


def page_url(*diagrams: dict) -> str:
    return "/_test/page/diagrams?spec=" + quote(json.dumps({"diagrams": list(diagrams)}))


def classes_of(page, element_id: str) -> list[str]:
    element = page.locator(f".djs-element[data-element-id='{element_id}']").first
    return (element.get_attribute("class") or "").split()


def assert_fits(container) -> None:
    """The whole diagram is drawn inside its frame, filling most of its width or height (zoomed to fit)."""
    frame_box = container.bounding_box()
    drawn = container.locator("svg .viewport").bounding_box()
    assert drawn["width"] <= frame_box["width"] * 1.02 and drawn["height"] <= frame_box["height"] * 1.02
    assert drawn["width"] >= frame_box["width"] * 0.6 or drawn["height"] >= frame_box["height"] * 0.6


def test_markers_and_lane_labels_on_a_real_diagram(page, page_errors, diagram, tmp_path):
    done, current, untouched = diagram.user_tasks[:2], diagram.user_tasks[2:4], diagram.user_tasks[4:]
    labelled = current[0]
    lanes = {labelled: "担当: 居宅(テスト)"}
    page.goto(page_url(frame("flow", f"/_test/processes/{diagram.path}", done, current, lanes)))
    container = page.locator("#flow")
    page.wait_for_selector("#flow[data-state='ready']")

    assert container.locator("svg .djs-element").count() > 10, "the diagram was not drawn"
    for element_id in done:
        assert "kf-completed" in classes_of(page, element_id)
        assert "kf-current" not in classes_of(page, element_id)
    for element_id in current:
        assert "kf-current" in classes_of(page, element_id)
        assert "kf-completed" not in classes_of(page, element_id)
    for element_id in untouched:
        assert not {"kf-completed", "kf-current"} & set(classes_of(page, element_id))
    assert container.get_attribute("data-missing") is None

    # The label of a current step: the given assignee, else the name of the lane the step is drawn in.
    overlays = {
        element_id: container.locator(f".djs-overlays[data-container-id='{element_id}'] .kf-lane-label")
        for element_id in current
    }
    assert overlays[labelled].inner_text() == "担当: 居宅(テスト)"
    other = current[1]
    if other in diagram.lane_of:
        assert overlays[other].inner_text() == diagram.lane_of[other]
    assert container.locator(".kf-diagram-legend").inner_text().split() == ["完了", "現在の作業"]

    assert_fits(container)

    # Markers are styled: a completed shape is stroked green, a current one orange and thick.
    stroke = page.eval_on_selector(
        f".djs-element[data-element-id='{done[0]}'] .djs-visual > :first-child",
        "e => getComputedStyle(e).stroke",
    )
    assert stroke == "rgb(46, 125, 50)"
    width = page.eval_on_selector(
        f".djs-element[data-element-id='{current[0]}'] .djs-visual > :first-child",
        "e => getComputedStyle(e).strokeWidth",
    )
    assert width == "4px"

    container.screenshot(path=str(tmp_path / "diagram.png"))
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert (tmp_path / "diagram.png").stat().st_size > 10_000
    assert page_errors == [], "errors in the browser console (CSP included)"


def test_a_failed_load_shows_a_japanese_message_and_other_diagrams_still_render(page, diagram, tmp_path):
    page.goto(
        page_url(
            frame("broken", "/_test/processes/no-such-file.bpmn"),
            frame("elsewhere", "https://example.invalid/flow.bpmn"),
            frame("fine", f"/_test/processes/{diagram.path}", completed=["not_in_this_diagram"]),
        )
    )
    page.wait_for_selector("#broken[data-state='error']")
    assert page.locator("#broken [role='alert']").inner_text() == "業務フロー図を読み込めませんでした(HTTP 404)。"
    page.wait_for_selector("#elsewhere[data-state='error']")
    assert page.locator("#elsewhere [role='alert']").inner_text() == "業務フロー図の場所が正しくありません。"
    page.wait_for_selector("#fine[data-state='ready']")
    assert json.loads(page.locator("#fine").get_attribute("data-missing")) == ["not_in_this_diagram"]
    assert page.locator("#fine .kf-diagram-legend").count() == 0
    page.screenshot(path=str(tmp_path / "errors.png"), full_page=True)


def test_not_a_diagram_is_reported_not_thrown(page):
    page.goto(page_url(frame("bad", "/_test/page/diagrams")))
    page.wait_for_selector("#bad[data-state='error']")
    assert page.locator("#bad [role='alert']").inner_text() == "業務フロー図の形式が正しくないため表示できません。"


def test_a_hidden_diagram_fits_once_shown(page, page_errors, diagram):
    """A diagram drawn while hidden (a closed tab: display none, no size) is zoomed to fit when first shown."""
    page.goto(page_url({**frame("later", f"/_test/processes/{diagram.path}"), "hidden": True}))
    page.wait_for_selector("#later[data-state='ready']", state="attached")
    page.evaluate("document.getElementById('later-wrapper').hidden = false")
    page.wait_for_function("() => document.querySelector('#later svg .viewport').getBoundingClientRect().width > 100")
    assert_fits(page.locator("#later"))
    assert page_errors == []
