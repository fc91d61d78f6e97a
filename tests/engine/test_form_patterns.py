"""Form `pattern`s are matched by RE2 in time linear in the input (no ReDoS), and lint refuses a pattern RE2 cannot
compile, in Japanese. Hostile patterns run in a child process (tests/engine/bounded_probe.py) with a time-out and a
memory peak, so a regression to a backtracking engine fails the test instead of hanging the suite."""

from __future__ import annotations

import json
from datetime import date

import pytest

from engine.process_library.forms import FormContext
from engine.process_library.forms import pattern_problem
from engine.process_library.forms import validate_submission
from engine.process_library.lint import check_form
from tests.engine.bounded_probe import probe

HOSTILE = [
    ("^((a+))+$", "a" * 50_000 + "!"),
    ("(\\w+\\s?)+", "!" * 50_000),
    ("^(\\w+\\s?)+$", "a" * 50_000 + "!"),
    ("(a|aa)+", "b" * 50_000),
    ("^(a|aa)+$", "a" * 50_000 + "!"),
    ("(.*a){12}", "a" * 11 + "b" * 50_000),
]
CONTEXT = FormContext(today=date(2026, 5, 1), municipality="demo")


def code_schema(pattern: str) -> dict[str, object]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "t",
        "type": "object",
        "properties": {"code": {"type": "string", "title": "番号", "pattern": pattern}},
        "additionalProperties": False,
        "examples": [{"code": "x"}],
    }


def test_hostile_patterns_cannot_hold_a_submission():
    outcome = probe(
        f"""
        from datetime import date
        from engine.process_library.forms import FormContext, validate_submission
        from tests.engine.test_form_patterns import code_schema
        cases = {HOSTILE!r}
        def attempt():
            context = FormContext(today=date(2026, 5, 1), municipality="demo")
            return [validate_submission(code_schema(p), {{"code": text}}, None, context) for p, text in cases]
        """
    )
    assert outcome["error"] is None, outcome["error"]
    assert outcome["result"] == [{"code": "書式が違います"}] * len(HOSTILE)
    assert outcome["peak_mb"] < 50


def test_lint_checks_a_form_example_against_a_hostile_pattern_without_stalling(tmp_path):
    schemas = []
    for index, (pattern, text) in enumerate(HOSTILE):
        path = tmp_path / f"hostile{index}.schema.json"
        schema = code_schema(pattern) | {"examples": [{"code": text}]}
        path.write_text(json.dumps(schema), encoding="utf-8")
        schemas.append(str(path))
    outcome = probe(
        f"""
        from pathlib import Path
        from engine.process_library.lint import check_form
        def attempt():
            return [[p.rule for p in check_form(Path(path), "common/forms/x.schema.json")] for path in {schemas!r}]
        """
    )
    assert outcome["error"] is None, outcome["error"]
    assert outcome["result"] == [["form-example"]] * len(HOSTILE)
    assert outcome["peak_mb"] < 50


@pytest.mark.parametrize("pattern", ["(a)\\1", "^(?=x)a", "(?<!b)a", "(", "a{1001}"])
def test_lint_refuses_a_pattern_re2_cannot_compile(tmp_path, pattern):
    assert "正規表現" in (pattern_problem(pattern) or "")
    path = tmp_path / "p.schema.json"
    path.write_text(json.dumps(code_schema(pattern)), encoding="utf-8")
    [problem] = check_form(path, "common/forms/p.schema.json")
    assert problem.rule == "bad-form" and "正規表現" in problem.message


def test_ordinary_patterns_match_as_before():
    assert validate_submission(code_schema("^[0-9]{10}$"), {"code": "0123456789"}, None, CONTEXT) == {}
    assert validate_submission(code_schema("^[0-9]{10}$"), {"code": "012345678x"}, None, CONTEXT) == {
        "code": "書式が違います"
    }
    assert validate_submission(code_schema("^[ぁ-んー]+$"), {"code": "やまだ"}, None, CONTEXT) == {}
    assert validate_submission(code_schema("^[0-9+()\\- ]*$"), {"code": "059-(123) 4567"}, None, CONTEXT) == {}
    assert validate_submission(code_schema("[0-9]"), {"code": "a1"}, None, CONTEXT) == {}  # search, not match
    for pattern, _ in HOSTILE:
        assert pattern_problem(pattern) is None  # harmless with a linear-time engine


def test_lint_refuses_pattern_properties(tmp_path):
    # jsonschema matches patternProperties keys with Python's re for additionalProperties: not for staff input.
    schema = code_schema("^[0-9]+$") | {"patternProperties": {"^x_": {"type": "string"}}, "additionalProperties": False}
    path = tmp_path / "p.schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    [problem] = check_form(path, "common/forms/p.schema.json")
    assert problem.rule == "bad-form" and "patternProperties" in problem.message
