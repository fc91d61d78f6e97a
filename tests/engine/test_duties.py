"""Schedule rules (engine.scheduling.duties) per municipality parameters, and every risk code raised and cleared
(compliance).

Pure tests: a case row, the municipality's real parameters and the records as the schedule gathers them.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

import pytest

import handlers
from engine.cases import facts
from engine.process_library.decisions import Decisions
from engine.process_library.loader import Library
from engine.scheduling import compliance
from engine.scheduling import duties
from engine.store.models import Case
from tests.conftest import PROCESSES


@pytest.fixture(scope="module")
def library() -> Library:
    return Library(PROCESSES, python_decisions=handlers.python_decisions())


def params(library: Library, key: str) -> dict[str, Any]:
    return dict(library.municipality(key).params)


def decide_for(library: Library, key: str) -> duties.Decide:
    return Decisions({}, handlers.python_decisions(), params(library, key)).decide


def make_case(**fields: Any) -> Case:
    base: dict[str, Any] = {
        "municipality": "suzuka-kameyama",
        "status": "open",
        "care_level": "shien2",
        "certification_start": date(2026, 4, 1),
        "certification_end": date(2027, 3, 31),
        "plan_start": date(2026, 5, 1),
        "plan_end": date(2026, 10, 31),
        "center_org_id": 1,
        "office_org_id": 2,
        "delegated": False,
        "data": {},
    }
    base.update(fields)
    # As runtime.open_case does: the planner follows the delegation and the care level unless a test names it.
    base.setdefault("planner", facts.default_planner(base["delegated"], base["care_level"]))
    return Case(**base)


def schedule(library: Library, key: str, case: Case, records: duties.Records | None = None, today=date(2026, 5, 1)):
    items = duties.compute(case, params(library, key), records or duties.Records(), decide_for(library, key), today)
    return {item.key: item for item in items}


def doc(form: str, day: date, **data: Any) -> tuple[str, date, dict[str, Any]]:
    return (form, day, data)


# -- schedule rules ------------------------------------------------------------------------------------------


def test_monitoring_every_month_and_home_visits_by_period_for_shien(library):
    items = schedule(library, "suzuka-kameyama", make_case(municipality="suzuka-kameyama"))
    months = [f"2026-{m:02d}" for m in range(5, 11)]
    assert all(f"monitoring_record:{m}" in items and f"monitoring_contact:{m}" in items for m in months)
    visits = sorted(k for k in items if k.startswith("home_visit:"))
    # 開始月 (鈴鹿亀山), the period 06-08 closing in August, the evaluation month October (003:617-620)
    assert visits == ["home_visit:2026-05", "home_visit:2026-08", "home_visit:2026-10"]
    assert items["home_visit:2026-08"].window_start == date(2026, 6, 1)
    assert items["home_visit:2026-10"].detail["reasons"] == ["evaluation_month"]
    assert items["evaluation:2026-10-31"].due_date == date(2026, 10, 31)


def test_start_month_visit_only_where_the_municipality_says_so(library):
    items = schedule(library, "toyokawa", make_case(municipality="toyokawa"))
    assert "home_visit:2026-05" not in items and "home_visit:2026-08" in items


def test_a_visit_anywhere_in_the_period_does_the_duty(library):
    records = duties.Records(
        documents=[doc("monitoring", date(2026, 6, 20), month="2026-06", contact_date="2026-06-20", home_visit=True)]
    )
    items = schedule(library, "toyokawa", make_case(municipality="toyokawa"), records)
    assert items["home_visit:2026-08"].done_on == date(2026, 6, 20)
    assert items["home_visit:2026-08"].status(date(2026, 9, 1)) == "done"
    assert items["monitoring_record:2026-06"].done_on == date(2026, 6, 20)


def test_marked_change_requires_a_visit_that_month(library):
    records = duties.Records(
        documents=[doc("monitoring", date(2026, 7, 3), month="2026-07", contact_date="2026-07-03", state_changed=True)]
    )
    items = schedule(library, "toyokawa", make_case(municipality="toyokawa"), records)
    assert items["home_visit:2026-07"].detail["reasons"] == ["state_changed"]


def test_kaigo_visits_monthly_or_every_second_month_with_video(library):
    case = make_case(municipality="maebashi", care_level="kaigo2", delegated=False)
    items = schedule(library, "maebashi", case)
    assert [k for k in items if k.startswith("home_visit:")] == [f"home_visit:2026-{m:02d}" for m in range(5, 11)]
    assert items["home_visit:2026-05"].role == "office"  # 居宅介護支援: the office, never the center
    visited = duties.Records(
        documents=[doc("monitoring", date(2026, 5, 9), month="2026-05", contact_date="2026-05-09", home_visit=True)]
    )
    video = make_case(municipality="maebashi", care_level="kaigo2", data={"video_conditions_met": True})
    items = schedule(library, "maebashi", video, visited)
    assert "home_visit:2026-06" not in items  # May had a visit: June may be by video (004:1843-1857)
    assert "home_visit:2026-07" in items


def test_type_c_has_no_monitoring(library):
    items = schedule(library, "city-a", make_case(municipality="city-a", care_management_type="C", delegated=True))
    assert not [k for k in items if k.startswith(("monitoring_", "home_visit"))]
    assert "evaluation:2026-10-31" in items


@pytest.mark.parametrize(
    ("key", "delegated", "expected"),
    [
        ("suzuka-kameyama", True, {"results_submission": 4, "claim_transmission": 10}),
        ("city-a", True, {"results_submission": 5, "claim_transmission": 10, "commission_invoice": 5}),
        (
            "oshu",
            True,
            # the 包括 pays the 委託料 (002:11 §8③): by the end of the invoice month [I]
            {
                "service_results_report": 3,
                "results_submission": 5,
                "claim_transmission": 10,
                "commission_invoice": 15,
                "commission_payment": 30,
            },
        ),
        # 委託料請求書とサービス実績(写し) to the 包括 (001:198-206): no day stated, the 5th [I] before the 10th
        ("toyokawa", True, {"claim_transmission": 10, "commission_invoice": 5}),
        ("toyokawa", False, {"claim_transmission": 10}),
        ("suzuka-kameyama", False, {"claim_transmission": 10}),
    ],
)
def test_benefit_management_days_of_the_following_month(library, key, delegated, expected):
    items = schedule(library, key, make_case(municipality=key, delegated=delegated))
    found = {
        item.duty: item.due_date.day
        for k, item in items.items()
        if k.endswith(":2026-05") and item.duty in duties.MANUAL
    }
    assert found == expected
    assert all(items[f"{duty}:2026-05"].due_date.month == 6 for duty in expected)


def test_claim_on_the_exact_day_and_who_transmits(library):
    city = schedule(library, "city-a", make_case(municipality="city-a", delegated=True))
    assert city["claim_transmission:2026-05"].window_start == date(2026, 6, 10)  # 10日に伝送 (000:300-308)
    assert city["claim_transmission:2026-05"].role == "center"
    maebashi = schedule(library, "maebashi", make_case(municipality="maebashi", care_level="kaigo1"))
    assert maebashi["claim_transmission:2026-05"].role == "office"


def test_due_dates_move_to_the_previous_business_day_only_when_configured(library):
    case = make_case(municipality="suzuka-kameyama", delegated=True, plan_start=date(2026, 9, 1))
    shifted = {**params(library, "suzuka-kameyama"), "due_date_shift": "previous_business_day"}
    plain = duties.compute(case, params(library, "suzuka-kameyama"), duties.Records(), None, date(2026, 9, 1))
    moved = duties.compute(case, shifted, duties.Records(), None, date(2026, 9, 1))
    by_key = {i.key: i.due_date for i in plain}
    assert by_key["claim_transmission:2026-09"] == date(2026, 10, 10)  # a Saturday
    assert {i.key: i.due_date for i in moved}["claim_transmission:2026-09"] == date(2026, 10, 9)


def test_renewal_window_and_special_handling_date(library):
    items = schedule(library, "suzuka-kameyama", make_case())
    renewal = items["renewal_application:2027-03-31"]
    assert (renewal.window_start, renewal.due_date) == (date(2027, 1, 30), date(2027, 3, 1))
    assert renewal.detail["special_handling_apply_by"] == "2027-02-28"  # 003:856
    applied = duties.Records(documents=[doc("renewal_application", date(2027, 2, 10), application_date="2027-02-10")])
    assert schedule(library, "suzuka-kameyama", make_case(), applied)["renewal_application:2027-03-31"].done_on == date(
        2027, 2, 10
    )


def test_copay_check_in_late_july_only_in_toyokawa(library):
    case = make_case(plan_start=date(2026, 5, 1), plan_end=date(2027, 8, 31), certification_end=date(2028, 3, 31))
    toyokawa = schedule(library, "toyokawa", case)
    assert [(i.window_start, i.due_date) for k, i in toyokawa.items() if k.startswith("copay_check:")] == [
        (date(2026, 7, 21), date(2026, 7, 31)),
        (date(2027, 7, 21), date(2027, 7, 31)),
    ]
    assert not [k for k in schedule(library, "oshu", case) if k.startswith("copay_check:")]


def test_equipment_reconsultation_each_certification_period(library):
    first_period = duties.Records(
        documents=[
            doc("insurer_consultation", date(2025, 6, 1), confirmation_issued=True),
            doc("rental_start", date(2025, 6, 5)),
        ]
    )
    items = schedule(library, "suzuka-kameyama", make_case(), first_period)
    item = items["equipment_reconsultation:2026-04-01"]
    assert (item.window_start, item.due_date, item.done_on) == (date(2026, 1, 31), date(2026, 4, 1), None)
    again = duties.Records(
        documents=[*first_period.documents, doc("insurer_consultation", date(2026, 3, 1), confirmation_issued=True)]
    )
    assert schedule(library, "suzuka-kameyama", make_case(), again)[
        "equipment_reconsultation:2026-04-01"
    ].done_on == date(2026, 3, 1)


def test_retention_five_years_from_completion_then_deletion(library):
    ended = make_case(status="ended", ended_at=datetime(2026, 10, 2, 1, 0, tzinfo=UTC))
    records = duties.Records(documents=[doc("service_end", date(2026, 10, 1), end_date="2026-09-30")])
    items = schedule(library, "suzuka-kameyama", ended, records)
    assert list(items) == ["retention_deletion:2026-09-30"]
    item = items["retention_deletion:2026-09-30"]
    assert item.due_date == date(2031, 10, 1) and item.detail["keep_until"] == "2031-09-30"


def test_a_plan_replaced_mid_period_keeps_its_months_until_the_new_start(library):
    case = make_case(plan_start=date(2026, 8, 15), plan_end=date(2027, 1, 31), data={})
    records = duties.Records(
        documents=[doc("plan_draft", date(2026, 4, 20), plan_start="2026-05-01", plan_end="2026-10-31")]
    )
    items = schedule(library, "toyokawa", case, records, today=date(2026, 8, 20))
    assert "monitoring_record:2026-07" in items and "monitoring_record:2027-01" in items
    assert "evaluation:2026-10-31" not in items and "evaluation:2027-01-31" in items
    assert items["monitoring_record:2026-08"].window_start == date(2026, 8, 15)  # August belongs to the new plan


# -- risks ---------------------------------------------------------------------------------------------------

PLAN = doc("plan_draft", date(2026, 4, 20), plan_start="2026-05-01", plan_end="2026-10-31")
SERIES = [
    doc("service_meeting", date(2026, 4, 22), held=True),
    doc("plan_consent", date(2026, 4, 23)),
    doc("plan_delivery", date(2026, 4, 24)),
]


def risks(library, key, case, documents, today, **records: Any):
    rec = duties.Records(documents=list(documents), **records)
    items = duties.compute(case, params(library, key), rec, decide_for(library, key), today)
    return {r.code: r for r in compliance.find(case, params(library, key), items, rec, today)}


@pytest.mark.parametrize(
    ("code", "raised_by", "cleared_by"),
    [
        (
            "contract_explanation_missing",
            [doc("contract", date(2026, 4, 10), multiple_providers_explained=True, selection_reasons_explained=False)],
            [doc("contract", date(2026, 4, 10), multiple_providers_explained=True, selection_reasons_explained=True)],
        ),
        (
            "assessment_home_visit_missing",
            [doc("assessment", date(2026, 4, 12), visited_at_home=False, present_status="home")],
            [doc("assessment", date(2026, 4, 12), visited_at_home=False, present_status="hospital")],
        ),
        (
            "service_meeting_missing",
            [PLAN, *SERIES[1:]],
            [PLAN, doc("service_meeting", date(2026, 4, 22), held=False, unavoidable_reason="照会"), *SERIES[1:]],
        ),
        ("plan_consent_missing", [PLAN, SERIES[0], SERIES[2]], [PLAN, *SERIES]),
        ("plan_delivery_missing", [PLAN, *SERIES[:2]], [PLAN, *SERIES]),
        (
            "renewal_series_missing",
            [
                PLAN,
                *SERIES,
                doc(
                    "certification_result_entry",
                    date(2026, 4, 25),
                    result_level="kaigo2",
                    certification_start="2026-04-01",
                ),
            ],
            [
                PLAN,
                *SERIES,
                doc(
                    "certification_result_entry",
                    date(2026, 4, 25),
                    result_level="kaigo2",
                    certification_start="2026-04-01",
                ),
                doc("service_meeting", date(2026, 5, 20), held=True),
            ],
        ),
        (
            "plan_change_series_missing",
            [PLAN, *SERIES, doc("evaluation", date(2026, 5, 1), evaluation_outcome="change")],
            [
                PLAN,
                *SERIES,
                doc("evaluation", date(2026, 5, 1), evaluation_outcome="change"),
                doc("minor_change_record", date(2026, 5, 10), minor=True),
            ],
        ),
    ],
)
def test_document_risks_for_kaigo_are_fee_reductions_and_clear_with_the_record(library, code, raised_by, cleared_by):
    case = make_case(municipality="maebashi", care_level="kaigo2")
    today = date(2026, 6, 5)
    raised = risks(library, "maebashi", case, raised_by, today)
    assert code in raised
    assert compliance.severity(code, case) == "reduction"
    assert compliance.severity(code, make_case(care_level="shien1")) == "warning"  # 要支援: no 減算 in the seeds
    assert code not in risks(library, "maebashi", case, cleared_by, today)


def test_monitoring_missing_raised_the_day_after_the_month_and_cleared_by_the_record_or_excuse(library):
    case = make_case(municipality="maebashi", care_level="kaigo2")
    base = [PLAN, *SERIES]
    assert "monitoring_missing" not in risks(library, "maebashi", case, base, date(2026, 5, 31))
    found = risks(library, "maebashi", case, base, date(2026, 6, 1))["monitoring_missing"]
    assert (found.key, found.since) == ("monitoring_missing:2026-05", date(2026, 6, 1))
    phoned = doc("monitoring", date(2026, 6, 2), month="2026-05", contact_date="2026-05-30", home_visit=False)
    assert "monitoring_missing" in risks(library, "maebashi", case, [*base, phoned], date(2026, 6, 2))  # no visit
    excused = risks(
        library,
        "maebashi",
        case,
        [*base, phoned],
        date(2026, 6, 2),
        excused={"home_visit:2026-05": "入院のため"},
    )
    assert "monitoring_missing" not in excused
    visited = doc("monitoring", date(2026, 6, 2), month="2026-05", contact_date="2026-05-30", home_visit=True)
    assert "monitoring_missing" not in risks(library, "maebashi", case, [*base, visited], date(2026, 6, 2))


@pytest.mark.parametrize(
    ("code", "duty_key", "due", "case_fields", "key"),
    [
        ("renewal_application_overdue", "renewal_application:2027-03-31", date(2027, 3, 1), {}, "suzuka-kameyama"),
        (
            "results_submission_overdue",
            "results_submission:2026-05",
            date(2026, 6, 4),
            {"delegated": True},
            "suzuka-kameyama",
        ),
        ("claim_transmission_overdue", "claim_transmission:2026-05", date(2026, 6, 10), {}, "suzuka-kameyama"),
    ],
)
def test_overdue_codes_raised_after_the_due_date_and_cleared_when_recorded(
    library, code, duty_key, due, case_fields, key
):
    case = make_case(**case_fields)
    on_due = risks(library, key, case, [PLAN, *SERIES], due)
    assert code not in on_due
    after = risks(library, key, case, [PLAN, *SERIES], date.fromordinal(due.toordinal() + 1))
    assert after[code].since == date.fromordinal(due.toordinal() + 1) and after[code].duty_key == duty_key
    recorded = {duty_key: due} if not code.startswith("renewal") else {}
    documents = [PLAN, *SERIES] + (
        [doc("renewal_application", due, application_date=due.isoformat())] if code.startswith("renewal") else []
    )
    assert code not in risks(
        library,
        key,
        case,
        documents,
        date(2027, 3, 2) if code.startswith("renewal") else due.replace(day=20),
        recorded=recorded,
    )


def test_equipment_consultation_missing_and_retention_expired(library):
    documents = [
        doc("insurer_consultation", date(2025, 6, 1), confirmation_issued=True),
        doc("rental_start", date(2025, 6, 5)),
    ]
    assert "equipment_consultation_missing" in risks(
        library, "suzuka-kameyama", make_case(), documents, date(2026, 4, 2)
    )
    again = [*documents, doc("insurer_consultation", date(2026, 4, 10), confirmation_issued=True)]
    assert "equipment_consultation_missing" not in risks(
        library, "suzuka-kameyama", make_case(), again, date(2026, 4, 11)
    )
    ended = make_case(status="ended", ended_at=datetime(2026, 10, 1, tzinfo=UTC))
    ends = [doc("service_end", date(2026, 10, 1), end_date="2026-09-30")]
    assert "retention_expired" not in risks(library, "suzuka-kameyama", ended, ends, date(2031, 10, 1))
    assert risks(library, "suzuka-kameyama", ended, ends, date(2031, 10, 2))["retention_expired"].since == date(
        2031, 10, 2
    )
    deleted = {"retention_deletion:2026-09-30": date(2031, 10, 3)}
    assert "retention_expired" not in risks(
        library, "suzuka-kameyama", ended, ends, date(2031, 10, 5), recorded=deleted
    )


def test_notification_missing_only_where_required(library):
    intake = doc("intake", date(2026, 4, 1), service_start_date="2026-05-01")
    # "on or before the service start" (003:606): the start date itself is still in time
    assert "notification_missing" not in risks(library, "suzuka-kameyama", make_case(), [intake], date(2026, 5, 1))
    late = risks(library, "suzuka-kameyama", make_case(), [intake], date(2026, 5, 2))
    assert late["notification_missing"].since == date(2026, 5, 2)
    assert "notification_missing" not in risks(
        library, "toyokawa", make_case(municipality="toyokawa"), [intake], date(2026, 5, 1)
    )
    sent = doc("plan_request_notification", date(2026, 5, 3), notification_date="2026-05-03")
    assert "notification_missing" not in risks(
        library, "suzuka-kameyama", make_case(), [intake, sent], date(2026, 5, 4)
    )


def test_every_risk_code_has_a_rule_and_a_seed_source():
    for code, kind in compliance.RISKS.items():
        assert kind.name and kind.rule, code
        assert ".txt:" in kind.source, code
    for duty, kind in duties.DUTIES.items():
        assert kind.name and kind.rule and (".txt:" in kind.source or "DOMAIN.md" in kind.source), duty


def test_oshu_duties_are_named_after_its_own_documents():
    from web.schedules import duty_name

    assert "様式3" in duties.name_of("commission_invoice", "oshu")
    assert "様式2-1" in duties.name_of("results_submission", "oshu")
    assert "実績の報告用紙" in duties.name_of("service_results_report", "oshu")
    assert duties.name_of("commission_invoice", "city-a") == duties.DUTIES["commission_invoice"].name
    # 豊川: 委託料請求書とサービス実績(写し)を包括へ (001:198-206)
    assert "サービス実績(写し)" in duties.name_of("commission_invoice", "toyokawa")
    assert "001_0406baf8f7838dc8.txt:198-206" in duties.source_of("commission_invoice", "toyokawa")
    assert duty_name("commission_invoice", "oshu") == duties.name_of(
        "commission_invoice", "oshu"
    )  # board, page, report


def test_no_claim_is_overdue_while_the_result_is_unknown(library):
    pending = make_case(care_level="pending", certification_start=None, certification_end=None)
    items = schedule(library, "suzuka-kameyama", pending, today=date(2026, 7, 20))
    claim = items["claim_transmission:2026-05"]
    assert claim.due_date == date(2026, 8, 10) and claim.status(date(2026, 7, 20)) == "open"  # 月遅れ (003:140)
    result = doc(
        "certification_result_entry",
        date(2026, 7, 25),
        result_level="shien2",
        result_date="2026-07-25",
        certification_start="2026-04-01",
        certification_end="2027-03-31",
    )
    known = schedule(library, "suzuka-kameyama", make_case(), duties.Records(documents=[result]), date(2026, 7, 26))
    assert known["claim_transmission:2026-05"].due_date == date(2026, 8, 10)  # with the first claim after the result
    assert known["claim_transmission:2026-07"].due_date == date(2026, 8, 10)
    on_time = schedule(library, "suzuka-kameyama", make_case(), today=date(2026, 7, 26))
    assert on_time["claim_transmission:2026-05"].due_date == date(2026, 6, 10)


def test_commission_contract_each_fiscal_year_but_not_for_the_new_cases_own_start(library):
    new = make_case(municipality="city-a", delegated=True, plan_start=date(2027, 4, 1), plan_end=date(2027, 9, 30))
    assert "commission_contract:2027" not in schedule(library, "city-a", new, today=date(2027, 3, 15))
    continuing = make_case(
        municipality="city-a",
        delegated=True,
        plan_start=date(2027, 4, 1),
        plan_end=date(2027, 9, 30),
        data={"previous_plan": {"plan_start": "2026-10-01", "plan_end": "2027-03-31"}},
    )
    item = schedule(library, "city-a", continuing, today=date(2027, 3, 15))["commission_contract:2027"]
    assert (item.window_start, item.due_date, item.role) == (date(2027, 3, 1), date(2027, 4, 1), "center")
    assert "commission_contract:2027" not in schedule(library, "toyokawa", continuing, today=date(2027, 3, 15))


def test_a_section_is_taken_again_only_when_everything_it_reads_is_the_same(library):
    """compute's `reuse` (the schedule refresh keeps it with its copy of the case) gives what a compute from nothing
    gives, for a change of each thing the remembered section (給付管理) reads; with nothing changed it is taken
    again."""
    key = "suzuka-kameyama"
    base_params = params(library, key)
    result = doc(
        "certification_result_entry",
        date(2026, 4, 25),
        result_level="shien2",
        result_date="2026-06-05",
        certification_start="2026-04-01",
        certification_end="2027-03-31",
    )
    start = {
        "case": {"delegated": True, "plan_start": date(2026, 5, 1), "plan_end": date(2028, 3, 31)},
        "params": base_params,
        "documents": [result],
        "recorded": {},
        "today": date(2026, 10, 1),
        "since": None,
    }
    changes: dict[str, dict[str, Any]] = {
        "a later day": {"today": date(2026, 12, 1)},
        "an older open duty": {"since": date(2026, 5, 10)},
        "要介護": {"case": {**start["case"], "care_level": "kaigo1"}},
        "申請中": {"case": {**start["case"], "care_level": "pending"}},
        "no center": {"case": {**start["case"], "center_org_id": None}},
        "not delegated": {"case": {**start["case"], "delegated": False}},
        "a later certification end": {"case": {**start["case"], "certification_end": date(2027, 8, 31)}},
        "a shorter plan": {"case": {**start["case"], "plan_end": date(2027, 6, 30)}},
        "other parameters": {"params": {**base_params, "claim_due_day": 12}},
        "the result's date": {"documents": [(result[0], result[1], {**result[2], "result_date": "2026-09-20"})]},
        "自己作成扱い": {
            "documents": [result, doc("self_plan_consultation", date(2026, 5, 2), self_plan_accepted=True)],
        },
        "a claim recorded": {"recorded": {"claim_transmission:2026-08": date(2026, 9, 9)}},
    }

    def compute(inputs: dict[str, Any], reuse: duties.Reuse | None) -> list[duties.Item]:
        records = duties.Records(documents=list(inputs["documents"]), recorded=dict(inputs["recorded"]))
        case = make_case(**inputs["case"])
        decide = decide_for(library, key)
        return duties.compute(case, inputs["params"], records, decide, inputs["today"], inputs["since"], reuse)

    first = duties.Reuse()
    before = compute(start, first)
    again = duties.Reuse(first)
    assert compute(start, again) == before
    assert again.sections["benefit_management"][1] is first.sections["benefit_management"][1], "not taken again"
    for what, change in changes.items():
        inputs = {**start, **change}
        fresh = compute(inputs, None)
        assert fresh != before, f"{what}: the change changes nothing (a useless case)"
        assert compute(inputs, duties.Reuse(first)) == fresh, f"{what}: the section was taken again"
