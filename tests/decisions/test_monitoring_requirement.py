"""monitoring_requirement: DOMAIN §11.1-11.3 (003:617-620; 000:194-206; 002:10; 004:1830-1857)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ValidationError
from engine.process_library.decisions import Decisions
from handlers.decisions.inputs import Month
from handlers.decisions.monitoring_requirement import monitoring_requirement

START = Month(2026, 4)
SUZUKA = {"start_month_home_visit": True}
OUTPUTS = {"contact_required", "home_visit_required", "video_allowed", "record_required"}


def m(k: int) -> str:
    return str(START + k)


def decide(params: dict[str, Any] | None = None, **inputs: Any) -> dict[str, Any]:
    decisions = Decisions({}, {"monitoring_requirement": monitoring_requirement}, params or {})
    out = decisions.decide("monitoring_requirement", inputs)
    assert set(out) == OUTPUTS
    return out


def run_plan(
    params: dict[str, Any] | None = None,
    *,
    care_level: str = "shien2",
    months: int = 12,
    chosen_visits: frozenset[int] = frozenset(),
    state_changes: frozenset[int] = frozenset(),
    video: bool = False,
    care_management_type: str = "A",
) -> tuple[list[int], list[int], list[dict[str, Any]]]:
    """Walk a plan month by month, visiting when required (and in `chosen_visits`).

    Returns the months (0 = start month) that required a home visit, the months that allowed video, and every
    output.
    """
    last: str | None = None
    required, video_months, outputs = [], [], []
    for k in range(months):
        out = decide(
            params,
            care_level=care_level,
            care_management_type=care_management_type,
            plan_start="2026-04-10",
            month=m(k),
            evaluation_month=m(months - 1),
            state_changed=k in state_changes,
            video_conditions_met=video,
            last_home_visit_month=last,
        )
        outputs.append(out)
        if out["home_visit_required"]:
            required.append(k)
        if out["video_allowed"]:
            video_months.append(k)
        if out["home_visit_required"] or k in chosen_visits:
            last = m(k)
    return required, video_months, outputs


# -- 要支援・事業対象者 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("care_level", ["shien1", "shien2", "jigyo"])
def test_twelve_months_visiting_only_when_required(care_level: str) -> None:
    required, video, outputs = run_plan(care_level=care_level)
    # Periods S+1..S+3, S+4..S+6, S+7..S+9 close without a visit; S+11 is the evaluation month.
    assert required == [3, 6, 9, 11]
    assert video == []
    assert all(o["contact_required"] and o["record_required"] for o in outputs)


def test_visits_early_in_each_period_lift_the_period_rule() -> None:
    required, _, _ = run_plan(chosen_visits=frozenset({1, 4, 7, 10}))
    assert required == [11]


def test_one_visit_covers_only_its_own_period() -> None:
    required, _, _ = run_plan(chosen_visits=frozenset({2}))
    assert required == [6, 9, 11]


def test_the_start_month_visit_does_not_count_for_the_first_period() -> None:
    required, _, _ = run_plan(chosen_visits=frozenset({0}))
    assert required == [3, 6, 9, 11]


def test_suzuka_kameyama_start_month() -> None:
    required, _, _ = run_plan(SUZUKA)
    assert required == [0, 3, 6, 9, 11]
    required, _, _ = run_plan({"start_month_home_visit": False})
    assert required == [3, 6, 9, 11]


def test_suzuka_kameyama_six_month_example() -> None:
    # 003:617-620: 開始月 ◎, one visit in months 2-4, month 5 no visit, 評価月 ◎.
    required, _, outputs = run_plan(SUZUKA, months=6, chosen_visits=frozenset({1}))
    assert required == [0, 5]
    assert all(o["contact_required"] for o in outputs)  # month 5 is a non-visit contact month [I]
    required, _, _ = run_plan(SUZUKA, months=6)
    assert required == [0, 3, 5]


def test_a_marked_state_change_requires_a_visit_that_then_covers_its_period() -> None:
    required, _, _ = run_plan(state_changes=frozenset({4}))
    assert required == [3, 4, 9, 11]


def test_last_month_of_a_period_boundaries() -> None:
    base = {"care_level": "shien1", "plan_start": "2026-04-01", "evaluation_month": m(11)}
    # A visit in the first month of the period (S+1) lifts the rule in its last month (S+3).
    assert decide(month=m(3), last_home_visit_month=m(1), **base)["home_visit_required"] is False
    # A visit just before the period (the start month S) does not.
    assert decide(month=m(3), last_home_visit_month=m(0), **base)["home_visit_required"] is True
    # The visit in the month itself never lifts that month's duty.
    assert decide(month=m(3), last_home_visit_month=m(3), **base)["home_visit_required"] is True
    # Middle months of a period owe a visit by the period's end but do not require it yet.
    assert decide(month=m(4), last_home_visit_month=None, **base)["home_visit_required"] is False
    assert decide(month=m(5), last_home_visit_month=None, **base)["home_visit_required"] is False
    assert decide(month=m(6), last_home_visit_month=None, **base)["home_visit_required"] is True
    # The start month itself needs no visit outside 鈴鹿亀山.
    assert decide(month=m(0), last_home_visit_month=None, **base)["home_visit_required"] is False


def test_evaluation_month_always_requires_a_visit() -> None:
    base = {"care_level": "shien2", "plan_start": "2026-04-01", "evaluation_month": m(5)}
    out = decide(month=m(5), last_home_visit_month=m(4), video_conditions_met=True, **base)
    assert out == {
        "contact_required": True,
        "home_visit_required": True,
        "video_allowed": False,
        "record_required": True,
    }


def test_video_needs_a_visit_in_every_two_consecutive_periods() -> None:
    required, video, _ = run_plan(video=True)
    # P1 alone never forces a visit; P2 closes with no visit in P1 or P2; P3 is covered by P2's visit;
    # the evaluation month (S+11) still needs one [N].
    assert required == [6, 11]
    assert video == [k for k in range(12) if k not in (6, 11)]


def test_video_with_suzuka_kameyama_start_month() -> None:
    required, video, _ = run_plan(SUZUKA, video=True)
    assert required == [0, 6, 11]
    assert 0 not in video


def test_video_and_a_state_change() -> None:
    required, video, _ = run_plan(video=True, state_changes=frozenset({2}))
    assert required == [2, 9, 11]  # the S+2 visit covers P1 and so P2; P3 closes with none in P2 or P3
    assert 2 not in video


def test_video_not_allowed_without_the_conditions() -> None:
    base = {"care_level": "shien2", "plan_start": "2026-04-01", "evaluation_month": m(11)}
    assert decide(month=m(1), **base)["video_allowed"] is False
    assert decide(month=m(1), video_conditions_met=True, **base)["video_allowed"] is True
    assert decide(month=m(1), video_conditions_met=True, state_changed=True, **base)["video_allowed"] is False


def test_municipalities_without_video_monitoring_ignore_the_conditions() -> None:
    required, video, _ = run_plan({"video_monitoring": False}, video=True)
    assert (required, video) == ([3, 6, 9, 11], [])
    required, video, _ = run_plan({"video_monitoring": False}, care_level="kaigo1", video=True)
    assert (required, video) == (list(range(12)), [])


def test_type_c_needs_no_monitoring() -> None:
    required, video, outputs = run_plan(care_management_type="C", care_level="jigyo")
    assert required == [] and video == []
    assert all(not any(o.values()) for o in outputs)


def test_type_b_is_monitored_as_type_a_unless_configured() -> None:
    required, _, _ = run_plan(care_management_type="B", care_level="jigyo")
    assert required == [3, 6, 9, 11]
    required, _, outputs = run_plan({"type_b_monitoring": "C"}, care_management_type="B", care_level="jigyo")
    assert required == []
    assert all(not any(o.values()) for o in outputs)


# -- 要介護 -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("care_level", ["kaigo1", "kaigo3", "kaigo5"])
def test_care_level_needs_a_monthly_home_visit(care_level: str) -> None:
    required, video, outputs = run_plan(care_level=care_level)
    assert required == list(range(12))
    assert video == []
    assert all(o["contact_required"] and o["record_required"] for o in outputs)


def test_care_level_with_video_alternates_months() -> None:
    required, video, _ = run_plan(care_level="kaigo2", video=True)
    assert required == [0, 2, 4, 6, 8, 10]
    assert video == [1, 3, 5, 7, 9, 11]


def test_care_level_video_rules() -> None:
    base = {"care_level": "kaigo1", "plan_start": "2026-04-01", "video_conditions_met": True}
    assert decide(month=m(3), last_home_visit_month=m(2), **base) == {
        "contact_required": True,
        "home_visit_required": False,
        "video_allowed": True,
        "record_required": True,
    }
    # no visit last month -> home visit (少なくとも2月に1回)
    assert decide(month=m(3), last_home_visit_month=m(1), **base)["home_visit_required"] is True
    assert decide(month=m(3), last_home_visit_month=None, **base)["home_visit_required"] is True
    # a state change means the 安定 condition no longer holds [I]
    out = decide(month=m(3), last_home_visit_month=m(2), state_changed=True, **base)
    assert (out["home_visit_required"], out["video_allowed"]) == (True, False)
    # the visit of the previous month counts even across the plan start
    assert decide(month=m(0), last_home_visit_month=str(START + -1), **base)["home_visit_required"] is False


def test_care_level_ignores_type_and_evaluation_month() -> None:
    out = decide(care_level="kaigo2", care_management_type="C", plan_start="2026-04-01", month=m(14))
    assert out["home_visit_required"] is True and out["contact_required"] is True


# -- bad input ---------------------------------------------------------------------------------------------------


def details(params: dict[str, Any] | None = None, **inputs: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        decide(params, **inputs)
    assert caught.value.message == "判定「monitoring_requirement」の入力が正しくありません"
    return caught.value.details


def test_missing_inputs() -> None:
    assert details() == {
        "care_level": "要介護度を入力してください",
        "plan_start": "計画の開始日を入力してください",
        "month": "対象月を入力してください",
    }
    assert details(care_level="shien1", plan_start="2026-04-01", month="2026-05") == {
        "evaluation_month": "評価月を入力してください"
    }


def test_unknown_values() -> None:
    assert details(
        care_level="kaigo9",
        care_management_type="D",
        plan_start="2026-04",
        month="2026-13",
        state_changed="yes",
        last_home_visit_month="2026/04",
    ) == {
        "care_level": "要介護度は選択肢の中から指定してください",
        "care_management_type": "ケアマネジメントの類型は選択肢の中から指定してください",
        "plan_start": "計画の開始日は日付で指定してください(例: 令和8年4月1日)",
        "month": "対象月は年月で指定してください(例: 令和8年4月)",
        "state_changed": "状態の著しい変化は はい か いいえ で指定してください",
        "last_home_visit_month": "直近の居宅訪問月は年月で指定してください(例: 令和8年4月)",
    }


@pytest.mark.parametrize("level", ["pending", "higaito"])
def test_pending_and_higaito_are_refused(level: str) -> None:
    assert details(care_level=level, plan_start="2026-04-01", month="2026-04") == {
        "care_level": "要介護度(care_level)が申請中・非該当ではモニタリングの基準を決められません"
        "(暫定プランなら見込みの要介護度を指定してください)"
    }


def test_months_outside_the_plan() -> None:
    base = {"care_level": "shien1", "plan_start": "2026-04-15"}
    assert details(month="2026-03", evaluation_month="2026-09", **base) == {
        "month": "対象月(month)は計画の開始月(2026-04)以降の月です"
    }
    assert details(month="2026-10", evaluation_month="2026-09", **base) == {
        "month": "対象月(month)は評価月(2026-09)までの月です(次の計画期間は新しい計画で判定します)"
    }
    assert details(month="2026-05", evaluation_month="2026-03", **base)["evaluation_month"] == (
        "評価月(evaluation_month)は計画の開始月(2026-04)以降の月です"
    )
    assert details(month="2026-05", evaluation_month="2026-09", last_home_visit_month="2026-06", **base) == {
        "last_home_visit_month": "直近の居宅訪問月(last_home_visit_month)は対象月(2026-05)以前の月です"
    }


def test_bad_parameter() -> None:
    with pytest.raises(ValidationError) as caught:
        decide(
            {"type_b_monitoring": "B"},
            care_level="jigyo",
            care_management_type="B",
            plan_start="2026-04-01",
            month="2026-05",
            evaluation_month="2026-09",
        )
    assert caught.value.details == {"type_b_monitoring": "type_b_monitoring は A, C のいずれかです"}
