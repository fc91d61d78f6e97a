"""Everything a process owner writes as code (gateway and event conditions, DMN entries, timers, loop cardinality,
scripts) is bounded in time and memory when it runs, and lint refuses, in Japanese, what could never run.

A hostile expression that reached run time must end with a Japanese error, never hold the server: these run in a
child process (tests/engine/bounded_probe.py) with a time-out and a tracemalloc peak, so a regression fails the
test instead of hanging the suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ValidationError
from engine.process_library import sandbox
from engine.process_library import spiff
from engine.process_library.decisions import Decisions
from engine.process_library.lint import check_decision
from engine.process_library.lint import check_diagram
from tests.engine.bounded_probe import probe

ROOT = Path(__file__).resolve().parents[2]
MINOR_CHANGE = ROOT / "processes/common/decisions/minor_change.dmn"
MAX_PEAK_MB = 50


def hostile_dmn(entry: str) -> str:
    source = MINOR_CHANGE.read_text(encoding="utf-8")
    good = '<outputEntry id="rule_weekday_minor"><text>True</text></outputEntry>'
    assert good in source
    return source.replace(good, f'<outputEntry id="rule_weekday_minor"><text>{entry}</text></outputEntry>')


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("9**9**7", "べき乗"),
        ("10**10**10", "べき乗"),
        ("? ** dmninputexpr", "べき乗"),
        ("(2**60)**60", "べき乗"),
        ('"a" * 10**10', "長すぎ"),
        ("1 &lt;&lt; 10**9", "整数が大きすぎ"),
        ("(x := 1)", "使えない構文"),
        ('f"{1:&gt;999999999}"', "書式指定"),
    ],
)
def test_lint_refuses_a_decision_entry_that_could_never_run(entry, words):
    [problem] = check_decision(hostile_dmn(entry).encode(), "common/decisions/minor_change.dmn")
    assert problem.rule == "unsafe-expression" and problem.element == "rule_weekday_minor"
    assert words in problem.message


# Each entry passes the static rules (its size depends on the data), so only the run-time bounds can stop it.
RUN_TIME_ENTRIES = [
    "9**9**7",  # refused again when it runs, whatever lint said
    "change_kind * 100000000",  # 700 MB in one C call
    "len([1 for a in change_kind * 10000 for b in change_kind * 10000])",  # 4.9 billion steps
    "len(change_kind * 14000 + change_kind * 14000)",
    " * ".join(["len(change_kind) ** 64"] * 30) + " &gt; 0",  # a 5,400-bit integer
]


@pytest.mark.parametrize("entry", RUN_TIME_ENTRIES)
def test_a_hostile_decision_entry_that_reached_run_time_fails_fast_in_japanese(entry):
    outcome = probe(
        f"""
        from engine.process_library.decisions import Decisions
        from tests.engine.test_bounded_expressions import hostile_dmn
        source = hostile_dmn({entry!r})
        inputs = {{"change_kind": "weekday", "state_changed": False, "several_service_types": False}}
        def attempt():
            return Decisions({{"minor_change": source}}, {{}}, {{}}).decide("minor_change", inputs)
        """
    )
    assert outcome["error"] and outcome["error"].startswith("ValidationError: 判定「minor_change」を評価できません")
    assert any(word in outcome["error"] for word in ("大きすぎ", "長すぎ", "多すぎ", "べき乗")), outcome["error"]
    assert outcome["peak_mb"] < MAX_PEAK_MB


def test_ordinary_code_still_means_what_python_means():
    names = {"points": 7, "goals": ["a", "b"], "name": "山田", "survey": {"1-3": 2}}
    assert sandbox.evaluate("points * 3 + 2 ** 3 - points // 2", names) == 26
    assert sandbox.evaluate("[g * 2 for g in goals if g != 'b']", names) == ["aa"]
    assert sandbox.evaluate("name + '様'", names) == "山田様"
    assert sandbox.evaluate("survey.get('1-3') in (1, 2) and 4 < points < 8", names) is True
    script_scope = {"total": 0, "goals": ["a", "b", "c"], "len": len}
    sandbox.execute("for g in goals:\n    total += len(g) * 2", script_scope)
    assert script_scope["total"] == 6 and "_kf_op" not in script_scope


def test_a_script_is_bounded_too():
    scope = {"s": "x"}
    with pytest.raises(sandbox.LimitExceeded, match="長すぎ"):
        sandbox.execute("for i in [1] * 40:\n    s = s + s", scope)
    with pytest.raises(sandbox.LimitExceeded, match="多すぎ"):
        sandbox.execute("n = 0\nfor a in [1] * 1000:\n    for b in [1] * 1000:\n        n += 1", {})


def test_task_data_cannot_replace_the_guards():
    with pytest.raises(sandbox.LimitExceeded):
        sandbox.evaluate("s * 10**6", {"s": "abc", "_kf_op": lambda *args: None, "__builtins__": {"len": len}})


def diagram(body: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_bounded">
  <bpmn:process id="bounded" isExecutable="true">{body}</bpmn:process>
</bpmn:definitions>""".encode()


def unsafe(body: str) -> list[tuple[str | None, str]]:
    problems = check_diagram(diagram(body), "bounded.bpmn")
    return [(p.element, p.message) for p in problems if p.rule == "unsafe-expression"]


def test_conditions_of_conditional_events_are_linted_like_gateway_conditions():
    body = (
        '<bpmn:intermediateCatchEvent id="wait_until_ready"><bpmn:conditionalEventDefinition id="ready_def">'
        "<bpmn:condition>{}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>"
    )
    [(element, message)] = unsafe(body.format("9**9**7"))
    assert element == "wait_until_ready" and "条件式" in message
    [(element, message)] = unsafe(body.format("().__class__"))
    assert element == "wait_until_ready"
    assert unsafe(body.format("ready and points &gt; 3")) == []


def multi_instance(cardinality: str) -> str:
    return (
        '<bpmn:startEvent id="start_each"/>'
        '<bpmn:task id="each_goal" name="目標ごと"><bpmn:multiInstanceLoopCharacteristics>'
        f"<bpmn:loopCardinality>{cardinality}</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:task>"
        '<bpmn:endEvent id="end_each"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start_each" targetRef="each_goal"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="each_goal" targetRef="end_each"/>'
    )


def test_lint_refuses_a_cardinality_above_the_maximum():
    [(element, message)] = unsafe(multi_instance("1000000"))
    assert element == "each_goal" and f"上限 {sandbox.MAX_INSTANCES}" in message
    assert unsafe(multi_instance(str(sandbox.MAX_INSTANCES))) == []
    assert unsafe(multi_instance("goal_count")) == []  # bounded when it runs


def test_a_loop_must_state_a_bounded_maximum():
    loop = '<bpmn:task id="again" name="繰り返し"><bpmn:standardLoopCharacteristics{}/></bpmn:task>'
    [(element, message)] = unsafe(loop.format(""))
    assert element == "again" and "loopMaximum" in message
    assert len(unsafe(loop.format(' loopMaximum="1000000"'))) == 1
    assert unsafe(loop.format(' loopMaximum="12"')) == []


def test_a_cardinality_from_data_is_refused_when_it_runs():
    outcome = probe(
        f"""
        from engine.process_library import spiff
        from tests.engine.test_bounded_expressions import diagram, multi_instance
        parser = spiff.KaigoflowParser()
        parser.add_bpmn_str({diagram(multi_instance("goal_count"))!r})
        def attempt():
            workflow = spiff.BpmnWorkflow(parser.get_spec("bounded"))
            workflow.script_engine = spiff.KaigoflowScriptEngine(decide=lambda name, data: {{}})
            workflow.data["goal_count"] = 1_000_000
            workflow.get_tasks(spec_name="start_each")[0].data["goal_count"] = 1_000_000
            workflow.do_engine_steps()
            return len(workflow.get_tasks())
        """
    )
    assert outcome["error"] and "繰り返し回数「goal_count」は 0 から 100 までの整数です" in outcome["error"]
    assert outcome["peak_mb"] < MAX_PEAK_MB


def test_a_small_cardinality_from_data_runs():
    parser = spiff.KaigoflowParser()
    parser.add_bpmn_str(diagram(multi_instance("goal_count")))
    workflow = spiff.BpmnWorkflow(parser.get_spec("bounded"))
    workflow.script_engine = spiff.KaigoflowScriptEngine(decide=lambda name, data: {})
    workflow.get_tasks(spec_name="start_each")[0].data["goal_count"] = 3
    workflow.do_engine_steps()
    assert len([t for t in workflow.get_tasks() if t.task_spec.name == "each_goal [child]"]) == 3


def test_the_entries_of_one_table_share_one_budget():
    # Each entry takes 7,000 + 7,000 × 7 = 56,000 steps: within one evaluation's budget; eleven of them are not.
    costly = "len([1 for a in change_kind * 1000 for b in change_kind]) &gt; 0"
    source = MINOR_CHANGE.read_text(encoding="utf-8").replace("<text>-</text>", f"<text>{costly}</text>")
    inputs = {"change_kind": "weekday", "state_changed": False, "several_service_types": False}
    with pytest.raises(ValidationError, match="計算の手数が多すぎます"):
        Decisions({"minor_change": source}, {}, {}).decide("minor_change", inputs)
    assert sandbox.evaluate(costly.replace("&gt;", ">"), {"change_kind": "weekday", "len": len}) is True


def test_evaluations_in_one_scope_share_one_budget():
    names = {"l": list(range(100)), "len": len}
    for _ in range(20):
        assert sandbox.evaluate("len([1 for a in l for b in l])", names) == 10_000
    with sandbox.one_budget(), pytest.raises(sandbox.LimitExceeded, match="多すぎ"):
        for _ in range(20):
            sandbox.evaluate("len([1 for a in l for b in l])", names)


def collection_loop(sequential: str) -> str:
    return (
        '<bpmn:startEvent id="start_each"/>'
        f'<bpmn:task id="each_goal" name="目標ごと"><bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}">'
        '<bpmn:loopDataInputRef>goals</bpmn:loopDataInputRef><bpmn:inputDataItem id="goal"/>'
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:task>"
        '<bpmn:endEvent id="end_each"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start_each" targetRef="each_goal"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="each_goal" targetRef="end_each"/>'
    )


@pytest.mark.parametrize("sequential", ["false", "true"])
def test_a_collection_above_the_maximum_is_refused_when_it_runs(sequential):
    parser = spiff.KaigoflowParser()
    parser.add_bpmn_str(diagram(collection_loop(sequential)))
    spec = spiff.spec_from_dict(spiff.spec_to_dict(parser.get_spec("bounded")))  # as stored and restored
    started = []
    for count in (sandbox.MAX_INSTANCES, sandbox.MAX_INSTANCES + 1):
        workflow = spiff.BpmnWorkflow(spec)
        workflow.script_engine = spiff.KaigoflowScriptEngine(decide=lambda name, data: {})
        workflow.get_tasks(spec_name="start_each")[0].data["goals"] = list(range(count))
        if count > sandbox.MAX_INSTANCES:
            with pytest.raises(
                spiff.UnsafeCodeError, match=f"繰り返しの対象「goals」は {sandbox.MAX_INSTANCES} 件まで"
            ):
                workflow.do_engine_steps()
        else:
            workflow.do_engine_steps()
            started.append(len([t for t in workflow.get_tasks() if t.task_spec.name == "each_goal [child]"]))
    assert started == [sandbox.MAX_INSTANCES if sequential == "false" else 1]


def test_an_entry_that_fails_otherwise_is_a_japanese_error_naming_the_decision():
    inputs = {"change_kind": "weekday", "state_changed": False, "several_service_types": False}
    with pytest.raises(ValidationError, match="判定「minor_change」を評価できません"):
        Decisions({"minor_change": hostile_dmn("no_such_name + 1")}, {}, {}).decide("minor_change", inputs)


@pytest.mark.parametrize("code", ["-" * 1999 + "1", "x" + "+x" * 999])
def test_a_very_deep_expression_is_refused_not_a_recursion_error(code):
    assert "入れ子が深すぎます" in (sandbox.problem(code) or "")


def test_a_very_long_entry_is_refused_before_spiff_parses_it():
    inputs = {"change_kind": "weekday", "state_changed": False, "several_service_types": False}
    source = MINOR_CHANGE.read_text(encoding="utf-8").replace(
        '<inputEntry id="rule_weekday_kind"><text>"weekday"</text>',
        '<inputEntry id="rule_weekday_kind"><text>"weekday"' + " or 1" * 100_000 + "</text>",
    )
    with pytest.raises(ValidationError, match="式が長すぎます"):
        Decisions({"minor_change": source}, {}, {}).decide("minor_change", inputs)
