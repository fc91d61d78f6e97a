"""A form's validator is built once per schema object (engine/process_library/forms.py, issue 14), never shared
between two schemas."""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.process_library import forms
from engine.process_library.forms import FormContext
from engine.process_library.forms import validate_submission

CONTEXT = FormContext(date(2026, 5, 1), "demo")


def schema_of(kind: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"n": {"type": kind, "title": "数"}}, "required": ["n"]}


def test_a_schema_validator_is_built_once_per_schema_object(monkeypatch):
    built: list[int] = []
    build = forms.linear_time_validator

    def counted(schema: Any, format_checker: Any = None) -> Any:
        built.append(id(schema))
        return build(schema, format_checker=format_checker)

    monkeypatch.setattr(forms, "linear_time_validator", counted)
    integer, text = schema_of("integer"), schema_of("string")
    assert validate_submission(integer, {"n": 1}, None, CONTEXT) == {}
    assert validate_submission(integer, {}, None, CONTEXT) == {"n": "入力してください"}
    assert validate_submission(text, {"n": 1}, None, CONTEXT) == {"n": "形式が違います(文字で入力してください)"}
    assert validate_submission(integer, {"n": "1"}, None, CONTEXT) == {"n": "形式が違います(整数で入力してください)"}
    assert built == [id(integer), id(text)]


def test_schemas_made_one_after_another_are_each_checked_by_their_own_validator():
    for kind in ("integer", "string", "integer", "string"):
        schema = schema_of(kind)  # were the previous one freed, this one could get its id
        wrong = "x" if kind == "integer" else 1
        assert validate_submission(schema, {"n": wrong}, None, CONTEXT) == {
            "n": f"形式が違います({'整数' if kind == 'integer' else '文字'}で入力してください)"
        }


def test_the_validators_kept_are_bounded_the_oldest_going_first(monkeypatch):
    monkeypatch.setattr(forms, "_VALIDATORS", {})
    monkeypatch.setattr(forms, "_VALIDATORS_KEPT", 2)
    schemas = [schema_of("integer") for _ in range(3)]
    for schema in schemas:
        assert validate_submission(schema, {"n": 1}, None, CONTEXT) == {}
    assert list(forms._VALIDATORS) == [id(schemas[1]), id(schemas[2])]
    assert validate_submission(schemas[0], {"n": "x"}, None, CONTEXT) == {"n": "形式が違います(整数で入力してください)"}
