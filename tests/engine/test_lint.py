"""Lint on good and hostile diagrams: every problem names the file, the element and the rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import handlers
from engine.errors import LibraryError
from engine.process_library.lint import check_diagram
from engine.process_library.lint import check_expression
from engine.process_library.lint import lint_library
from engine.process_library.loader import Library

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "library"
MINI = (FIXTURE / "common" / "mini.bpmn").read_bytes()


def rules(problems):
    return {p.rule for p in problems}


def test_xxe_is_refused_before_parsing():
    hostile = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</bpmn:definitions>"""
    problems = check_diagram(hostile, "evil.bpmn")
    assert rules(problems) == {"xml-unsafe"}
    assert "実体" in problems[0].message


def test_billion_laughs_is_refused():
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">'
        + b"".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};&l{i - 1};">'.encode() for i in range(1, 10))
        + b"]><r>&l9;</r>"
    )
    assert rules(check_diagram(lol, "lol.bpmn")) == {"xml-unsafe"}


def test_oversized_file_is_refused():
    huge = b"<r>" + b" " * (3 * 1024 * 1024) + b"</r>"
    assert rules(check_diagram(huge, "huge.bpmn")) == {"xml-size"}


def test_malformed_xml_names_the_line():
    [problem] = check_diagram(b"<bpmn:definitions>\n<oops", "broken.bpmn")
    assert problem.rule == "xml-syntax" and problem.line is not None


@pytest.mark.parametrize(
    "expression, ok",
    [
        ("delegated", True),
        ('evaluation_outcome == "end"', True),
        ("delegated and not delegation_accepted", True),
        ("len(goals) > 0", True),
        ("__import__('os').system('id')", False),
        ("open('/etc/passwd')", False),
        ("().__class__.__bases__", False),
        ("data.get('x')", False),
        ("[x for x in range(10**9)]", False),
        ("lambda: 1", False),
    ],
)
def test_conditions_are_limited_to_the_safe_subset(expression, ok):
    assert (check_expression(expression) is None) is ok


def test_fixture_diagram_without_di_is_reported_per_element():
    problems = check_diagram(MINI, "common/mini.bpmn")
    di = {p.element for p in problems if p.rule == "di"}
    assert {"intake", "review", "gw_high", "flow_high"} <= di


def _library_copy(tmp_path: Path) -> Path:
    root = tmp_path / "processes"
    shutil.copytree(FIXTURE, root)
    return root


def test_missing_form_unknown_lane_and_missing_decision_are_reported(tmp_path):
    root = _library_copy(tmp_path)
    text = (root / "common" / "mini.bpmn").read_text(encoding="utf-8")
    text = text.replace("review.schema.json", "nothing_here.schema.json").replace('name="包括"', 'name="謎の係"')
    (root / "common" / "mini.bpmn").write_text(text, encoding="utf-8")
    library = Library(root, python_decisions=())
    with pytest.raises(LibraryError) as failed:
        library.resolve("demo", "mini")
    assert {"missing-form", "unmapped-lane", "missing-decision"} <= rules(failed.value.problems)
    report = lint_library(library)
    assert not report.ok
    # Each problem names the element so the modeler page can mark it: the lane by its id, the form by its task.
    assert any(p.element == "lane_center" and "謎の係" in p.message for p in report.problems)
    assert any(p.rule == "missing-form" and p.element == "review" for p in report.problems)
    assert any(p.rule == "missing-decision" and p.element == "decide_score" for p in report.problems)


def test_a_due_rule_reading_a_parameter_the_municipality_lacks_is_reported(tmp_path):
    root = _library_copy(tmp_path)
    text = (root / "common" / "mini.bpmn").read_text(encoding="utf-8")
    (root / "common" / "mini.bpmn").write_text(text.replace('value="ready+P3D"', 'value="ready+days.no_such_days"'))
    report = lint_library(Library(root, python_decisions=("score",)))
    assert any(p.rule == "due-rule" and "no_such_days" in p.message for p in report.problems)


def test_a_municipality_override_wins_and_changes_the_hash(tmp_path):
    root = _library_copy(tmp_path)
    library = Library(root, python_decisions={"score"})
    before = library.resolve("demo", "mini")
    assert "common/mini.bpmn" in before.sources
    override = (root / "common" / "mini.bpmn").read_text(encoding="utf-8").replace('name="受付"', 'name="相談受付"')
    (root / "demo" / "mini.bpmn").write_text(override, encoding="utf-8")
    library.reload()
    after = library.resolve("demo", "mini")
    assert "demo/mini.bpmn" in after.sources and "common/mini.bpmn" not in after.sources
    assert after.hash != before.hash
    assert after.spec.task_specs["intake"].bpmn_name == "相談受付"


def test_a_broken_diagram_is_a_library_error_not_a_crash(tmp_path):
    root = _library_copy(tmp_path)
    (root / "demo" / "mini.bpmn").write_text("<bpmn:definitions", encoding="utf-8")
    with pytest.raises(LibraryError) as failed:
        Library(root, python_decisions={"score"}).resolve("demo", "mini")
    assert failed.value.problems[0].file == "demo/mini.bpmn"
    assert "XML" in str(failed.value)


def test_a_broken_or_misnamed_decision_table_is_reported():
    from engine.process_library.lint import check_decision

    good = (Path(__file__).resolve().parents[2] / "processes/common/decisions/minor_change.dmn").read_bytes()
    assert check_decision(good, "common/decisions/minor_change.dmn") == []
    [misnamed] = check_decision(good, "common/decisions/other_name.dmn")
    assert misnamed.rule == "dmn-invalid" and misnamed.element == "other_name"
    [broken] = check_decision(b"<dmn:definitions", "common/decisions/x.dmn")
    assert broken.rule == "xml-syntax"


def _diagram(body: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_loop">
  <bpmn:process id="loop" isExecutable="true">{body}</bpmn:process>
</bpmn:definitions>""".encode()


LOOP = """
    <bpmn:startEvent id="start_loop"/>
    <bpmn:businessRuleTask id="decide_again" name="判定">
      <bpmn:extensionElements><spiffworkflow:calledDecisionId>score</spiffworkflow:calledDecisionId></bpmn:extensionElements>
    </bpmn:businessRuleTask>
    {wait}
    <bpmn:exclusiveGateway id="gw_again" default="flow_done"/>
    <bpmn:endEvent id="end_loop"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start_loop" targetRef="decide_again"/>
    <bpmn:sequenceFlow id="f2" sourceRef="decide_again" targetRef="{after_decision}"/>
    {wait_flow}
    <bpmn:sequenceFlow id="flow_again" sourceRef="gw_again" targetRef="decide_again">
      <bpmn:conditionExpression>again</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_done" sourceRef="gw_again" targetRef="end_loop"/>
"""


def test_a_back_loop_with_nothing_to_wait_for_is_reported_on_its_gateway():
    body = LOOP.format(wait="", wait_flow="", after_decision="gw_again")
    [problem] = [p for p in check_diagram(_diagram(body), "loop.bpmn") if p.rule == "unbounded-loop"]
    assert problem.element == "gw_again" and "decide_again" in problem.message


@pytest.mark.parametrize(
    "wait",
    [
        '<bpmn:userTask id="check_again" name="確認"/>',
        '<bpmn:intermediateCatchEvent id="check_again"><bpmn:timerEventDefinition id="t">'
        '<bpmn:timeDuration>"P1M"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>',
    ],
)
def test_a_back_loop_through_a_person_or_a_timer_is_bounded(wait):
    body = LOOP.format(
        wait=wait,
        wait_flow='<bpmn:sequenceFlow id="f3" sourceRef="check_again" targetRef="gw_again"/>',
        after_decision="check_again",
    )
    assert "unbounded-loop" not in rules(check_diagram(_diagram(body), "loop.bpmn"))


@pytest.mark.parametrize(
    "body, element",
    [
        ('<bpmn:scriptTask id="run_script"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>', "run_script"),
        (
            '<bpmn:userTask id="with_prescript" name="前処理"><bpmn:extensionElements>'
            "<spiffworkflow:preScript>__import__('os').system('id')</spiffworkflow:preScript>"
            "</bpmn:extensionElements></bpmn:userTask>",
            "with_prescript",
        ),
    ],
)
def test_scripts_of_any_kind_are_refused_with_their_element(body, element):
    problems = [p for p in check_diagram(_diagram(body), "loop.bpmn") if p.rule == "script-task"]
    assert [p.element for p in problems] == [element]


def test_a_dunder_in_a_multi_instance_expression_is_refused():
    body = (
        '<bpmn:userTask id="each_goal" name="目標ごと"><bpmn:multiInstanceLoopCharacteristics>'
        "<bpmn:loopCardinality>().__class__.__bases__</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
    )
    problems = [p for p in check_diagram(_diagram(body), "loop.bpmn") if p.rule == "unsafe-expression"]
    assert [p.element for p in problems] == ["each_goal"]


def test_an_unknown_fact_in_sets_case_facts_is_reported_on_its_step(tmp_path):
    root = _library_copy(tmp_path)
    text = (root / "common" / "mini.bpmn").read_text(encoding="utf-8")
    declared = '<spiffworkflow:property name="setsCaseFacts" value="care_level client_nam" />'
    text = text.replace('<spiffworkflow:property name="dueRule" value="month_end" />', declared)
    (root / "common" / "mini.bpmn").write_text(text, encoding="utf-8")
    report = lint_library(Library(root, python_decisions=("score",)))
    [problem] = [p for p in report.problems if p.rule == "case-facts"]
    assert problem.element == "review"
    assert "client_nam" in problem.message and "ケースの記録の項目ではありません" in problem.message


def test_known_facts_in_sets_case_facts_pass():
    declared = b'<spiffworkflow:property name="setsCaseFacts" value="care_level planner office_org_id" />'
    text = MINI.replace(b'<spiffworkflow:property name="dueRule" value="month_end" />', declared)
    assert "case-facts" not in rules(check_diagram(text, "mini.bpmn"))


def test_an_open_form_schema_is_refused_in_japanese(tmp_path):
    root = _library_copy(tmp_path)
    form = root / "common" / "forms" / "review.schema.json"
    schema = json.loads(form.read_text(encoding="utf-8"))
    del schema["additionalProperties"]
    form.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    report = lint_library(Library(root, python_decisions=("score",)))
    [problem] = [p for p in report.problems if p.rule == "open-form"]
    assert "review.schema.json" in problem.file and "additionalProperties" in problem.message
    assert "様式が閉じていません" in problem.message


def test_every_form_of_the_library_is_closed():
    processes = Path(__file__).resolve().parents[2] / "processes"
    report = lint_library(Library(processes, python_decisions=handlers.python_decisions()))
    assert report.problems == [] and not [p for p in report.problems if p.rule in ("open-form", "case-facts")]
