"""Validators (被保険者番号, 和暦), the form handlers' cross-field rules, and every form's own example."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from jsonschema import FormatChecker

import handlers
from engine.forms import FormContext
from handlers import validators

FORMS = sorted((Path(__file__).resolve().parents[2] / "processes").glob("*/forms/*.schema.json"))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("令和8年4月1日", date(2026, 4, 1)),
        ("R8.4.1", date(2026, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("昭和17年4月10日", date(1942, 4, 10)),
        ("大正15年1月1日", date(1926, 1, 1)),
        ("2026-04-01", date(2026, 4, 1)),
        ("2026/4/1", date(2026, 4, 1)),
        ("２０２６／４／１", date(2026, 4, 1)),
    ],
)
def test_wareki_and_seireki_input(text, expected):
    assert validators.parse_wareki(text) == expected


@pytest.mark.parametrize("text", ["令和8年2月30日", "令和元年4月30日", "昨日", "R8"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(ValueError):
        validators.parse_wareki(text)


def test_to_wareki():
    assert validators.to_wareki(date(2026, 4, 1)) == "令和8年4月1日"
    assert validators.to_wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert validators.to_wareki(date(2019, 4, 30)) == "平成31年4月30日"


@pytest.mark.parametrize(
    "value, ok",
    [
        ("0123456789", True),
        ("０１２３４５６７８９", True),
        ("012345678", False),
        ("01234567890", False),
        ("012345678a", False),
        (None, False),
    ],
)
def test_insured_number(value, ok):
    assert (validators.insured_number(value) is None) is ok


@pytest.mark.parametrize("path", FORMS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_form_is_valid_with_a_valid_japanese_example(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema.get("title")
    assert all(prop.get("title") for prop in schema["properties"].values())
    errors = list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(schema["examples"][0]))
    assert errors == []


def _context(**data):
    return FormContext(date(2026, 5, 1), "suzuka-kameyama", {}, data)


def _example(form):
    path = next(p for p in FORMS if p.name == f"{form}.schema.json" and p.parent.parent.name == "common")
    return json.loads(path.read_text(encoding="utf-8"))["examples"][0]


def test_every_registered_handler_names_a_form_and_accepts_its_example():
    registry = handlers.form_handlers()
    names = {p.name.removesuffix(".schema.json") for p in FORMS}
    for name, handler in registry.items():
        assert name in names, name
        example = (
            _example(name)
            if any(p.name == f"{name}.schema.json" and p.parent.parent.name == "common" for p in FORMS)
            else None
        )
        if example is not None:
            context = _context(
                **{
                    **example,
                    "certification_start": "2026-04-01",
                    "certification_end": "2027-03-31",
                    "month": example.get("month"),
                }
            )
            assert handler.validate(example, context) == {}, name


def test_plan_must_lie_within_the_certification_and_sets_the_evaluation_month():
    handler = handlers.form_handlers()["plan_draft"]
    plan = _example("plan_draft")
    context = _context(certification_start="2026-04-01", certification_end="2026-09-30")
    assert "plan_end" in handler.validate(plan, context)  # plan ends 2026-11-30
    assert handler.validate({**plan, "certification_status": "pending"}, context) == {}  # 暫定 (申請中)
    derived = handler.derive(plan, context)
    assert derived == {"evaluation_month": "2026-11", "evaluation_due_at": "2026-11-01T00:00:00+09:00"}


def test_proxy_signature_must_name_the_proxy():
    handler = handlers.form_handlers()["plan_consent"]
    errors = handler.validate({**_example("plan_consent"), "signed_by_proxy": True}, _context())
    assert set(errors) == {"proxy_name", "proxy_relationship"}


def test_monitoring_method_and_month_must_agree():
    handler = handlers.form_handlers()["monitoring"]
    record = _example("monitoring")
    assert handler.validate(record, _context(month="2026-06")) == {}
    assert "home_visit" in handler.validate({**record, "contact_method": "phone"}, _context(month="2026-06"))
    assert "month" in handler.validate(record, _context(month="2026-07"))
