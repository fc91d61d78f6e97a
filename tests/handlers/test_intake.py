"""相談受付・利用申込: 被保険者番号, the certification period and the kind of care management."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.process_library.forms import FormContext
from handlers.intake import Intake

FORMS = Path(__file__).resolve().parents[2] / "processes" / "common" / "forms"
INTAKE = json.loads((FORMS / "intake.schema.json").read_text(encoding="utf-8"))["examples"][0]
CONTEXT = FormContext(today=date(2026, 5, 1), municipality="suzuka-kameyama")


def check(**changes: object) -> dict[str, str]:
    submission = {k: v for k, v in {**INTAKE, **changes}.items() if v is not None}
    return Intake().validate(submission, CONTEXT)


def test_the_example_is_accepted():
    assert check() == {}


@pytest.mark.parametrize("number", ["12345", "012345678X", "01234567890"])
def test_a_bad_insured_number_is_refused(number):
    assert "10桁" in check(insured_number=number)["insured_number"]


def test_full_width_digits_are_accepted_and_stored_half_width():
    assert check(insured_number="０１２３４５６７８９") == {}
    derived = Intake().derive({**INTAKE, "insured_number": "０１２３４５６７８９"}, CONTEXT)
    assert derived == {"insured_number": "0123456789"}


def test_the_certification_period_runs_forwards():
    errors = check(certification_start="2027-04-01", certification_end="2026-03-31")
    assert set(errors) == {"certification_end"}
    assert "以降" in errors["certification_end"] and "令和9年4月1日" in errors["certification_end"]


@pytest.mark.parametrize("level", ["shien1", "shien2", "kaigo1", "kaigo5"])
def test_a_certified_level_needs_its_validity_period(level):
    errors = check(care_level=level, certification_start=None, certification_end=None)
    assert set(errors) == {"certification_start", "certification_end"}
    assert "認定有効期間" in errors["certification_start"]


@pytest.mark.parametrize("level", ["jigyo", "pending", "higaito"])
def test_other_levels_have_no_validity_period_to_give(level):
    type_a = {"care_management_type": "A"} if level == "jigyo" else {}
    assert check(care_level=level, certification_start=None, certification_end=None, **type_a) == {}


def test_a_jigyo_client_cannot_use_preventive_benefits():
    base = {"care_level": "jigyo", "certification_start": None, "certification_end": None}
    assert "介護予防ケアマネジメント" in check(**base, care_management_type="")["care_management_type"]
    assert check(**base, care_management_type="C") == {}
    assert check(**base) != {}  # the example's "" (介護予防支援) is carried over
