"""介護予防支援・サービス評価表: goals evaluated, misses explained, outcome fits next service."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.process_library.forms import FormContext
from handlers.evaluation import Evaluation

FORMS = Path(__file__).resolve().parents[2] / "processes" / "common" / "forms"
EVALUATION = json.loads((FORMS / "evaluation.schema.json").read_text(encoding="utf-8"))["examples"][0]
CONTEXT = FormContext(today=date(2026, 11, 20), municipality="suzuka-kameyama")


def check(**changes: object) -> dict[str, str]:
    return Evaluation().validate({**EVALUATION, **changes}, CONTEXT)


def test_the_example_is_accepted():
    assert check() == {}


def test_at_least_one_goal_is_evaluated():
    assert set(check(goal_results=[])) == {"goal_results"}


def test_a_goal_not_achieved_needs_the_planners_view_of_why():
    missed = {**EVALUATION["goal_results"][1], "achieved": False}
    without_reason = {k: v for k, v in missed.items() if k != "reason_planner"}
    errors = check(goal_results=[EVALUATION["goal_results"][0], without_reason])
    assert set(errors) == {"goal_results.1.reason_planner"}
    assert check(goal_results=[{**without_reason, "achieved": True}]) == {}  # achieved: no reason needed


@pytest.mark.parametrize(
    "outcome, following, ok",
    [
        ("end", "終了", True),
        ("end", "一般介護予防事業", True),  # open to everyone, no plan
        ("end", "介護給付", True),  # 要介護: a 居宅介護支援事業所 makes the next plan
        ("end", "予防給付", False),
        ("end", "介護予防・生活支援サービス事業", False),
        ("change", "予防給付", True),
        ("change", "介護予防・生活支援サービス事業", True),
        ("continue", "予防給付", True),
        ("change", "終了", False),
        ("continue", "終了", False),
    ],
)
def test_the_outcome_and_the_next_service_agree(outcome, following, ok):
    errors = check(evaluation_outcome=outcome, next_service=following)
    assert (errors == {}) is ok
    if not ok:
        assert set(errors) == {"next_service"} and "003:" in errors["next_service"]
