"""Hostile diagrams, decision tables and form schemas through the lint and library path (what a process owner's
upload goes through): each is refused with a Japanese problem naming the rule, nothing is fetched, expanded or
executed, and nothing crashes. Code that slipped past lint is refused again when it would run."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.accounts import demo_staff
from engine.clock import FixedClock
from engine.errors import KaigoflowError
from engine.errors import LibraryError
from engine.execution.runtime import SYSTEM
from engine.execution.runtime import Runtime
from engine.process_library import sandbox
from engine.process_library.decisions import Decisions
from engine.process_library.lint import check_decision
from engine.process_library.lint import check_diagram
from engine.process_library.lint import check_form
from engine.process_library.loader import Library
from engine.store.models import ProcessInstance
from engine.store.models import Task

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "library"
MINOR_CHANGE = (ROOT / "processes/common/decisions/minor_change.dmn").read_text(encoding="utf-8")
INPUTS = {"change_kind": "weekday", "state_changed": False, "several_service_types": False}


def escape(marker: Path) -> str:
    """Classic escape from eval without builtins: reach `open` through object's subclasses and write a file."""
    return (
        "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'catch_warnings'][0]()"
        f"._module.__builtins__['open']('{marker}', 'w').write('pwned')"
    )


ESCAPES = [
    "().__class__.__base__.__subclasses__()",
    "(x for x in [1]).gi_frame.f_back.f_globals",
    "[1].__class__",
    "__import__('os')",
    "data['__class__']",
    "'{0.__class__}'.format(1)",
    "lambda: 1",
    "x._private",
    "__builtins__",
]
SCRIPT_ESCAPES = ["import os", "from os import system", "def f(): pass", "global x", "del x", "class A: pass"]


@pytest.mark.parametrize("code", ESCAPES)
def test_the_sandbox_refuses_dunders_imports_and_frames(code):
    assert sandbox.problem(code) is not None


@pytest.mark.parametrize("code", SCRIPT_ESCAPES)
def test_the_sandbox_refuses_statements_that_import_or_define(code):
    assert sandbox.problem(code, "exec") is not None


@pytest.mark.parametrize(
    "code", ['evaluation_outcome == "end"', "len(goals) > 0 and delegated", "survey.get('1-3') in (1, 2)", "x < 5"]
)
def test_the_sandbox_lets_ordinary_conditions_through(code):
    assert sandbox.problem(code) is None


def hostile_dmn(entry: str) -> str:
    good = '<outputEntry id="rule_weekday_minor"><text>True</text></outputEntry>'
    assert good in MINOR_CHANGE
    return MINOR_CHANGE.replace(good, f'<outputEntry id="rule_weekday_minor"><text>{entry}</text></outputEntry>')


def test_a_decision_table_that_reaches_dunders_is_refused_by_lint_and_when_it_runs(tmp_path):
    marker = tmp_path / "pwned"
    source = hostile_dmn(escape(marker).replace("'", "&apos;"))
    [problem] = check_decision(source.encode(), "common/decisions/minor_change.dmn")
    assert problem.rule == "unsafe-expression" and problem.element == "rule_weekday_minor"
    with pytest.raises(KaigoflowError, match="使えない"):
        Decisions({"minor_change": source}, {}, {}).decide("minor_change", INPUTS)
    assert not marker.exists()


@pytest.mark.parametrize(
    "entry",
    ["&lt; 5 or ().__class__", '"a", "__class__"', "? &lt; 4 or [].__class__", "__import__('os').getpid()"],
)
def test_unary_tests_are_checked_as_the_expression_spiff_builds(entry):
    problems = check_decision(hostile_dmn(entry).encode(), "common/decisions/minor_change.dmn")
    assert [p.rule for p in problems] == ["unsafe-expression"]


def test_decision_tables_get_the_same_xml_defences_as_diagrams():
    xxe = MINOR_CHANGE.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    )
    assert [p.rule for p in check_decision(xxe.encode(), "common/decisions/minor_change.dmn")] == ["xml-unsafe"]
    huge = MINOR_CHANGE.replace("<description>", "<description>" + "あ" * (1024 * 1024), 1)
    assert [p.rule for p in check_decision(huge.encode(), "common/decisions/minor_change.dmn")] == ["xml-size"]


def test_a_doctype_hidden_behind_a_long_comment_or_in_utf16_is_refused():
    padded = b'<?xml version="1.0"?><!--' + b"x" * 5000 + b'--><!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>'
    assert [p.rule for p in check_diagram(padded, "padded.bpmn")] == ["xml-unsafe"]
    utf16 = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    ).encode("utf-16")
    assert [p.rule for p in check_diagram(utf16, "utf16.bpmn")] == ["xml-unsafe"]


def test_task_scripts_are_refused_by_lint():
    mini = (FIXTURE / "common" / "mini.bpmn").read_text(encoding="utf-8")
    hostile = mini.replace(
        "</spiffworkflow:properties>",
        "</spiffworkflow:properties><spiffworkflow:preScript>import os</spiffworkflow:preScript>",
        1,
    )
    problems = [p for p in check_diagram(hostile.encode(), "common/mini.bpmn") if p.rule == "script-task"]
    assert [p.element for p in problems] == ["intake"]


def library_with_condition(tmp_path: Path, condition: str) -> Library:
    root = tmp_path / "processes"
    shutil.copytree(FIXTURE, root)
    path = root / "common" / "mini.bpmn"
    text = path.read_text(encoding="utf-8")
    assert "<bpmn:conditionExpression>high</bpmn:conditionExpression>" in text
    text = text.replace(
        "<bpmn:conditionExpression>high</bpmn:conditionExpression>",
        f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>",
    )
    path.write_text(text, encoding="utf-8")
    return Library(root, python_decisions={"score"})


def test_a_condition_that_slipped_past_lint_is_refused_when_it_runs_and_nothing_changes(
    tmp_path, session, fixture_services
):
    marker = tmp_path / "pwned"
    library = library_with_condition(tmp_path, escape(marker).replace("'", "&apos;"))
    assert [
        p.rule
        for p in check_diagram((library.root / "common/mini.bpmn").read_bytes(), "mini.bpmn")
        if p.rule == "unsafe-expression"
    ]
    runtime = Runtime(
        library,
        FixedClock(date(2026, 5, 1)),
        {},
        fixture_services.python_decisions,
    )
    center = demo_staff.demo_organisations(session, library.municipality("demo"))["center"][0]
    case = runtime.open_case(session, "demo", center_org_id=center.id)
    runtime.start(session, case.id, "mini")
    [task] = session.scalars(select(Task).where(Task.case_id == case.id)).all()
    version = session.get(ProcessInstance, task.instance_id).version
    with pytest.raises(KaigoflowError, match="使えない"):
        runtime.complete(session, task.id, {"points": 70, "consultation_date": "2026-05-01"}, SYSTEM)
    assert not marker.exists()
    session.expire_all()
    assert session.get(Task, task.id).state == "ready"
    assert session.get(ProcessInstance, task.instance_id).version == version


def form_file(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "hostile.schema.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def schema(**properties) -> str:
    return json.dumps({"title": "t", "type": "object", "properties": properties, "examples": [{}]})


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "入れ子"),
        (schema(a={"$ref": "http://127.0.0.1:9/x.json", "title": "a"}), "参照"),
        (schema(a={"$ref": "file:///etc/passwd", "title": "a"}), "参照"),
        (schema(a={"type": "string", "pattern": "^(a+)\\1$", "title": "a"}), "正規表現"),
        (schema(a={"type": "string", "pattern": "^(?=a)", "title": "a"}), "正規表現"),
        (schema(a={"type": "object", "patternProperties": {"(?!x)": {}}, "title": "a"}), "正規表現"),
        ('{"title": "' + "あ" * 300_000 + '"}', "大きすぎ"),
        ("[1, 2, 3]", "オブジェクト"),
        (b"\xff\xfe{", "読めません"),
        ('{"title": "t", "type": "nonsense"}', "不正"),
    ],
)
def test_hostile_form_schemas_are_refused_without_crashing_or_fetching(tmp_path, content, words):
    problems = check_form(form_file(tmp_path, content), "common/forms/hostile.schema.json")
    assert problems and all(p.rule in ("bad-form", "form-example") for p in problems)
    assert words in problems[0].message


def test_a_form_schema_the_library_cannot_read_is_a_library_error(tmp_path):
    root = tmp_path / "processes"
    shutil.copytree(FIXTURE, root)
    (root / "demo" / "forms").mkdir()
    (root / "demo" / "forms" / "intake.schema.json").write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(LibraryError) as failed:
        Library(root, python_decisions={"score"}).resolve("demo", "mini")
    assert failed.value.problems[0].rule == "bad-form"
