"""Forms from JSON Schema: kinds, order, flat values, typed submissions; every real form of processes/ renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from tests.web.conftest import WEBLIB
from web import formfields

ROOT = Path(__file__).resolve().parent.parent.parent
INTAKE_SCHEMA = json.loads((WEBLIB / "common" / "forms" / "intake.schema.json").read_text(encoding="utf-8"))
INTAKE_UI = json.loads((WEBLIB / "common" / "forms" / "intake.uischema.json").read_text(encoding="utf-8"))
REAL_FORMS = sorted(ROOT.glob("processes/*/forms/*.schema.json"))


def test_kinds_and_order():
    fields = formfields.build(INTAKE_SCHEMA, INTAKE_UI)
    assert [(f.key, f.kind) for f in fields] == [
        ("client_name", "text"),
        ("insured_number", "code"),  # an ASCII pattern: normalised like a code
        ("consultation_date", "date"),
        ("age", "integer"),
        ("height_cm", "number"),
        ("summary", "textarea"),
        ("route", "radio"),
        ("care_level", "select"),
        ("consent", "checkbox"),
        ("delegated", "yesno"),
        ("needs", "checkboxes"),
        ("goals", "rows"),
        ("checklist", "labelled"),
    ]
    goals = fields[11]
    assert [(c.key, c.kind, c.required) for c in goals.children] == [("goal", "text", True), ("until", "date", False)]
    assert (goals.min_items, goals.max_items) == (1, 5)
    checklist = fields[12]
    assert checklist.item.kind == "radio" and [o.const for o in checklist.item.options] == [1, 0]


def test_ui_order_wildcard_and_trailing_names():
    schema = {"type": "object", "properties": {k: {"type": "string"} for k in "abcde"}}
    assert [f.key for f in formfields.build(schema, {"ui:order": ["c", "*", "a"]})] == ["c", "b", "d", "e", "a"]
    assert [f.key for f in formfields.build(schema, {"ui:order": ["e", "d"]})] == ["e", "d", "a", "b", "c"]


def test_unsupported_shapes_fall_back_to_json_text():
    schema = {
        "type": "object",
        "properties": {"survey": {"type": "object", "additionalProperties": {"type": "integer"}}},
    }
    [field] = formfields.build(schema)
    assert field.kind == "json"
    submission, errors = formfields.to_submission([field], {"survey": '{"1-3": 1}'})
    assert submission == {"survey": {"1-3": 1}} and errors == {}
    _, errors = formfields.to_submission([field], {"survey": "{broken"})
    assert errors == {"survey": "JSONとして読み取れません"}


def test_data_to_form_and_back_is_the_same_submission():
    fields = formfields.build(INTAKE_SCHEMA, INTAKE_UI)
    data = {
        "client_name": "山田 花子",
        "insured_number": "0123456789",
        "consultation_date": "2026-05-01",
        "age": 80,
        "height_cm": 152.5,
        "summary": "一行目\n二行目",
        "route": "visit",
        "care_level": "kaigo1",
        "consent": True,
        "delegated": False,
        "needs": ["bath", "walk"],
        "goals": [{"goal": "入浴", "until": "2026-06-30"}, {"goal": "散歩"}],
        "checklist": [1, 0, 1],
    }
    flat = formfields.from_data(fields, data)
    assert flat["delegated"] == "false" and flat["checklist.1"] == "0" and flat["goals.1.goal"] == "散歩"
    submission, errors = formfields.to_submission(fields, flat)
    assert errors == {} and submission == data


def test_posted_rows_are_compacted_and_typed():
    fields = formfields.build(INTAKE_SCHEMA, INTAKE_UI)
    form = MultiDict(
        [
            ("goals.0.goal", "消す"),
            ("goals.0._delete", "1"),
            ("goals.1.goal", ""),
            ("goals.2.goal", "残す"),
            ("goals.2.until", "令和8年6月1日"),
            ("goals.7.goal", "飛び番"),
            ("needs", "meal"),
            ("needs", "bath"),
            ("age", " １，０５ "),
            ("height_cm", "1e2"),
        ]
    )
    flat = formfields.from_form(fields, form)
    assert formfields.row_count(flat, "goals") == 2
    submission, errors = formfields.to_submission(fields, flat)
    assert submission["goals"] == [{"goal": "残す", "until": "2026-06-01"}, {"goal": "飛び番"}]
    assert submission["needs"] == ["bath", "meal"]  # in the form's order
    assert submission["age"] == 105 and submission["height_cm"] == 100.0
    assert submission["consent"] is False  # an unchecked box is an answer
    assert "client_name" not in submission  # empty: left out, so `required` reports it
    assert errors == {}


@pytest.mark.parametrize(("typed", "kind", "expected"), [("nan", "number", "nan"), ("12.5", "integer", "12.5")])
def test_values_that_are_not_their_type_are_passed_on_for_the_schema_to_refuse(typed, kind, expected):
    field = formfields.Field(key="x", title="x", kind=kind, schema={"type": kind})
    submission, _ = formfields.to_submission([field], {"x": typed})
    assert submission == {"x": expected}


def test_blank_rows_offered_within_limits():
    fields = formfields.build(INTAKE_SCHEMA, INTAKE_UI)
    goals = fields[11]
    assert formfields.row_indices(goals, {}, "goals") == [0, 1]
    full = {f"goals.{i}.goal": "x" for i in range(4)}
    assert formfields.row_indices(goals, full, "goals") == [0, 1, 2, 3, 4]  # capped at maxItems 5
    assert formfields.row_indices(goals, full, "goals", readonly=True) == [0, 1, 2, 3]


def test_error_paths_are_described_in_japanese():
    fields = formfields.build(INTAKE_SCHEMA, INTAKE_UI)
    assert formfields.describe(fields, "goals.1.until") == "目標(2行目)・期間"
    assert (
        formfields.describe(fields, "checklist.0") == "基本チェックリスト(抜粋)(1. バスや電車で1人で外出していますか)"
    )
    assert formfields.describe(fields, "_form") == "様式全体"
    assert formfields.describe(fields, "unknown.x") == "unknown.x"


def test_read_only_display():
    fields = {f.key: f for f in formfields.build(INTAKE_SCHEMA, INTAKE_UI)}
    flat = {"route": "family", "consultation_date": "2026-05-01", "needs": ["bath", "meal"], "consent": "true"}
    assert formfields.display(fields["route"], flat, "route") == "家族から"
    assert formfields.display(fields["consultation_date"], flat, "consultation_date") == "令和8年5月1日"
    assert formfields.display(fields["needs"], flat, "needs") == "入浴、食事"
    assert formfields.display(fields["consent"], flat, "consent") == "はい"
    assert formfields.display(fields["delegated"], flat, "delegated") == ""


def test_the_library_has_forms_to_render():
    # Without this, an empty glob (forms moved or renamed) would leave the test below with nothing to check.
    assert len(REAL_FORMS) >= 10, REAL_FORMS


@pytest.mark.parametrize("path", REAL_FORMS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_real_form_renders_and_round_trips_its_example(app, path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    ui_path = path.with_name(path.name.replace(".schema.json", ".uischema.json"))
    uischema = json.loads(ui_path.read_text(encoding="utf-8")) if ui_path.exists() else {}
    fields = formfields.build(schema, uischema)
    example = (schema.get("examples") or [{}])[0]
    flat = formfields.from_data(fields, example)
    with app.test_request_context("/"):
        macros = app.jinja_env.get_template("macros/form.html").module
        html = str(macros.fields(fields, flat, {}))
        read_only = str(macros.fields(fields, flat, {}, "", True))
    for field in fields:
        assert field.title in html and field.title in read_only
    submission, errors = formfields.to_submission(fields, flat)
    assert errors == {}
    expected = _clean(example)
    assert _prune(_clean(submission), expected) == expected


def _clean(value):
    """Empty texts and nulls are what an untouched input sends: nothing."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v not in ("", None)}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _prune(value, like):
    """Drop what a form always sends but the example leaves out: unchecked boxes (False), empty lists."""
    if isinstance(value, dict) and isinstance(like, dict):
        return {k: _prune(v, like.get(k)) for k, v in value.items() if k in like or v not in ([], False)}
    if isinstance(value, list) and isinstance(like, list) and len(value) == len(like):
        return [_prune(v, w) for v, w in zip(value, like, strict=True)]
    return value


def test_yes_no_lists_are_answered_with_hai_iie():
    schema = {
        "type": "object",
        "properties": {"answers": {"type": "array", "items": {"type": "integer", "enum": [0, 1]}, "minItems": 2}},
    }
    ui = {"answers": {"ui:widget": "yesno-list", "ui:labels": ["外出していますか", "転んだことがありますか"]}}
    [field] = formfields.build(schema, ui)
    assert field.kind == "labelled" and field.item.kind == "radio"
    assert [(o.value, o.title) for o in field.item.options] == [("1", "はい"), ("0", "いいえ")]
    submission, _ = formfields.to_submission([field], {"answers.0": "1", "answers.1": "0"})
    assert submission == {"answers": [1, 0]}
    assert formfields.display(field.item, {"answers.1": "0"}, "answers.1") == "いいえ"


def test_a_choice_of_the_empty_string_is_neither_preselected_nor_lost():
    schema = {
        "type": "object",
        "properties": {
            "care_management_type": {
                "type": "string",
                "oneOf": [{"const": "", "title": "介護予防支援"}, {"const": "A", "title": "ケアマネジメントA"}],
            }
        },
    }
    fields = formfields.build(schema, {"care_management_type": {"ui:widget": "radio"}})
    assert formfields.from_data(fields, {"care_management_type": None}) == {}  # nothing chosen yet
    flat = formfields.from_data(fields, {"care_management_type": ""})
    assert flat == {"care_management_type": formfields.EMPTY_CHOICE}
    assert formfields.to_submission(fields, flat)[0] == {"care_management_type": ""}
    assert formfields.to_submission(fields, {"care_management_type": ""})[0] == {}


# -- issue 13, item 3: validation that matches the labels ------------------------------------------------------

CHECKLIST_LIKE = {
    "type": "object",
    "required": ["answers", "agreed"],
    "properties": {
        "answers": {"type": "array", "items": {"type": "integer", "enum": [0, 1]}, "minItems": 3, "maxItems": 3},
        "agreed": {"type": "boolean", "title": "説明を受けて同意した"},
        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "title": "対象月"},
    },
}
CHECKLIST_UI = {"answers": {"ui:labels": ["外出していますか", "BMI(この回答は使いません)", "転びましたか"]}}


def test_each_unanswered_question_is_named_once_and_an_unused_one_is_not_required():
    fields = formfields.build(CHECKLIST_LIKE, CHECKLIST_UI)
    submission, errors = formfields.to_submission(fields, {"answers.0": "", "answers.1": "", "answers.2": "1"})
    assert errors["answers.0"] == "回答を選んでください"
    assert "answers.1" not in errors and "answers.2" not in errors
    assert submission["answers"] == [None, 0, 1]


def test_a_month_is_typed_in_wareki_and_shown_in_wareki():
    fields = formfields.build(CHECKLIST_LIKE, CHECKLIST_UI)
    month = next(f for f in fields if f.key == "month")
    assert month.kind == "month"
    for typed in ("令和8年12月", "R8.12", "2026-12", "２０２６－１２"):
        submission, errors = formfields.to_submission(fields, {"month": typed, "agreed": "true"})
        assert submission["month"] == "2026-12" and "month" not in errors, typed
    _, errors = formfields.to_submission(fields, {"month": "令和8年13月", "agreed": "true"})
    assert errors["month"] == "年と月を 令和8年6月 のように入力してください"
    assert formfields.from_data(fields, {"month": "2026-12"})["month"] == "令和8年12月"
    assert formfields.display(month, {"month": "令和8年12月"}, "month") == "令和8年12月"
