"""介護予防サービス・支援計画書(原案): the periods, and the evaluation month derived from them.

Plan and goal periods against each other and the certification; the evaluation month and the
timer moment derived from the end of the plan.
"""

from __future__ import annotations

import json
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

import handlers
from engine.process_library.forms import FormContext
from handlers.plan_draft import PlanDraft

FORMS = Path(__file__).resolve().parents[2] / "processes" / "common" / "forms"
PLAN = json.loads((FORMS / "plan_draft.schema.json").read_text(encoding="utf-8"))["examples"][0]
"""Plan 2026-06-01 … 2026-11-30 with one goal over the same period."""
CERTIFIED = {"certification_start": "2026-04-01", "certification_end": "2027-03-31"}


def context(**data: object) -> FormContext:
    return FormContext(today=date(2026, 5, 22), municipality="suzuka-kameyama", data=data)


def plan(**changes: object) -> dict:
    return {**PLAN, **changes}


def goal(start: str, end: str) -> dict:
    return {**PLAN["goals"][0], "period_start": start, "period_end": end}


def check(submission: dict, **data: object) -> dict[str, str]:
    return PlanDraft().validate(submission, context(**data))


def test_the_example_fits_its_certification():
    assert check(PLAN, **CERTIFIED) == {}


def test_the_plan_period_runs_forwards():
    errors = check(plan(plan_start="2026-12-01", goals=[goal("2026-12-01", "2026-12-31")]), **CERTIFIED)
    assert set(errors) >= {"plan_end"}
    assert "令和8年12月1日" in errors["plan_end"]


def test_the_plan_starts_no_earlier_than_the_certification():
    errors = check(plan(plan_start="2026-03-31", goals=[goal("2026-04-01", "2026-11-30")]), **CERTIFIED)
    assert set(errors) == {"plan_start"}
    assert "令和8年4月1日" in errors["plan_start"] and "003:495" in errors["plan_start"]
    assert check(plan(plan_start="2026-04-01", goals=[goal("2026-04-01", "2026-11-30")]), **CERTIFIED) == {}


def test_the_plan_ends_no_later_than_the_certification():
    short = {"certification_start": "2026-04-01", "certification_end": "2026-11-29"}
    errors = check(PLAN, **short)
    assert set(errors) == {"plan_end", "goals.0.period_end"}
    assert "令和8年11月29日" in errors["plan_end"]
    assert check(PLAN, certification_start="2026-04-01", certification_end="2026-11-30") == {}


def test_a_pending_plan_may_run_past_the_old_validity_but_not_start_before_it():
    short = {"certification_start": "2026-04-01", "certification_end": "2026-09-30"}
    assert check(plan(certification_status="pending"), **short) == {}  # 申請中 (003:278-280)
    early = plan(
        certification_status="pending",
        plan_start="2026-03-01",
        goals=[goal("2026-03-01", "2026-11-30")],
    )
    assert set(check(early, **short)) == {"plan_start", "goals.0.period_start"}


@pytest.mark.parametrize(
    "start, end, field",
    [
        ("2026-05-31", "2026-11-30", "goals.0.period_start"),  # a day before the plan
        ("2026-06-01", "2026-12-01", "goals.0.period_end"),  # a day after the plan
        ("2026-09-01", "2026-08-31", "goals.0.period_end"),  # backwards
    ],
)
def test_each_goal_lies_within_the_plan(start, end, field):
    submission = plan(goals=[PLAN["goals"][0], goal(start, end)])
    errors = check(submission, **CERTIFIED)
    assert set(errors) == {field.replace("goals.0", "goals.1")}


def test_goals_are_checked_against_the_certification_when_the_plan_dates_are_missing():
    submission = {k: v for k, v in PLAN.items() if k not in ("plan_start", "plan_end")}
    submission["goals"] = [goal("2026-03-01", "2027-04-30")]
    assert set(check(submission, **CERTIFIED)) == {"goals.0.period_start", "goals.0.period_end"}


def test_without_a_certification_only_the_plan_itself_is_checked():
    assert check(plan(plan_end="2030-03-31", goals=[goal("2026-06-01", "2030-03-31")])) == {}


@pytest.mark.parametrize(
    "day, year, ok",
    [
        ("毎朝玄関まで新聞を取りに行く。", None, True),
        (None, "孫の結婚式に出席する。", True),
        (None, None, False),
        ("  ", "\u3000", False),
    ],
)
def test_one_of_the_life_goals_is_enough(day, year, ok):
    submission = {k: v for k, v in PLAN.items() if k not in ("life_goal_day", "life_goal_year")}
    if day is not None:
        submission["life_goal_day"] = day
    if year is not None:
        submission["life_goal_year"] = year
    errors = check(submission, **CERTIFIED)
    assert (errors == {}) is ok
    if not ok:
        assert "003:312" in errors["life_goal_day"]


def test_a_care_plan_without_the_preventive_boxes_is_not_held_to_the_life_goal_rule():
    # 前橋's 居宅サービス計画書 overrides plan_draft: `needs` in place of `goals`, no 目標とする生活
    care_plan = {k: v for k, v in PLAN.items() if k not in ("goals", "life_goal_day", "life_goal_year")}
    assert check({**care_plan, "needs": []}, **CERTIFIED) == {}
    assert "plan_start" in check({**care_plan, "plan_start": "2026-03-01"}, **CERTIFIED)


@pytest.mark.parametrize(
    "plan_end, month, due",
    [
        ("2026-11-30", "2026-11", "2026-11-01T00:00:00+09:00"),
        ("2027-03-01", "2027-03", "2027-03-01T00:00:00+09:00"),
        ("2027-01-31", "2027-01", "2027-01-01T00:00:00+09:00"),
    ],
)
def test_the_evaluation_month_is_the_month_the_plan_ends(plan_end, month, due):
    derived = PlanDraft().derive(plan(plan_end=plan_end), context(**CERTIFIED))
    assert derived == {
        "plan_start": "2026-06-01",
        "plan_end": plan_end,
        "evaluation_month": month,
        "evaluation_due_at": due,
    }
    moment = datetime.fromisoformat(derived["evaluation_due_at"])
    assert moment.utcoffset() == timedelta(hours=9)  # Japan time
    assert moment.date() == date.fromisoformat(plan_end).replace(day=1)


def test_the_registered_handler_keeps_these_rules_under_the_provisional_wrapper():
    registered = handlers.form_handlers()["plan_draft"]
    assert registered.validate(PLAN, context(**CERTIFIED)) == {}
    assert "plan_start" in registered.validate(plan(plan_start="2026-03-01"), context(**CERTIFIED))
    assert registered.derive(PLAN, context(**CERTIFIED))["evaluation_month"] == "2026-11"
