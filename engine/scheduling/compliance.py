"""Compliance risks (DOMAIN.md §12), raised only from what was and was not recorded.

A risk is raised from a schedule item whose due date passed without its record (an overdue code), or from the
documents themselves (a plan used without consent, a meeting or a delivery; an assessment without a home visit; a
contract without the required explanations). The 運営基準減算 triggers are `reduction` for 要介護 (居宅介護支援)
and `warning` for 要支援・事業対象者, whose seeds have no 減算 (DOMAIN.md §12); overdue codes are `overdue`.
A risk clears when the record arrives (or a 特段の事情 is recorded), which `engine.scheduling.schedule.refresh` notices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import Any

from engine.scheduling.deadlines import as_date
from engine.scheduling.duties import Item
from engine.scheduling.duties import Records
from engine.scheduling.duties import has_text
from engine.scheduling.duties import is_care
from engine.scheduling.duties import planner_role
from engine.store.models import Case

REDUCTION_CODES = frozenset(
    {
        "contract_explanation_missing",
        "assessment_home_visit_missing",
        "service_meeting_missing",
        "plan_consent_missing",
        "plan_delivery_missing",
        "monitoring_missing",
        "renewal_series_missing",
        "plan_change_series_missing",
    }
)
SERIES_DAYS = 30
"""[I] How long after a result or a plan-change decision the new series (meeting included) may take."""


@dataclass(frozen=True)
class RiskKind:
    name: str
    rule: str
    source: str


RISKS: dict[str, RiskKind] = {
    "contract_explanation_missing": RiskKind(
        "契約時の説明の記録なし",
        "複数の事業者の紹介を求められること・選定理由の説明を求められることを説明した記録がない",
        "004_f6001c94592c1eac.txt:389-413",
    ),
    "assessment_home_visit_missing": RiskKind(
        "居宅訪問によるアセスメントなし",
        "アセスメントが居宅訪問・面接で行われず、入院等の理由も記録されていない",
        "004_f6001c94592c1eac.txt:1549-1552",
    ),
    "service_meeting_missing": RiskKind(
        "サービス担当者会議の記録なし",
        "計画の開始日までに担当者会議(又はやむを得ない照会)の記録がない",
        "004_f6001c94592c1eac.txt:1752-1755",
    ),
    "plan_consent_missing": RiskKind(
        "ケアプランの同意の記録なし",
        "計画の開始日までに文書による同意(日付・署名)の記録がない",
        "004_f6001c94592c1eac.txt:1708-1712, 1731-1735",
    ),
    "plan_delivery_missing": RiskKind(
        "ケアプランの交付の記録なし",
        "計画の開始日までに利用者・担当者への交付の記録がない(開始後の交付は減算の記録として残る)",
        "004_f6001c94592c1eac.txt:1714-1718",
    ),
    "monitoring_missing": RiskKind(
        "モニタリング未実施",
        "月1回の接触・記録、又は必要な居宅訪問がなく、特段の事情の記録もない",
        "004_f6001c94592c1eac.txt:1925-1927; 003_ac00e42d951987eb.txt:116, 617",
    ),
    "renewal_series_missing": RiskKind(
        "更新・区分変更後の一連の業務なし",
        "認定結果の後、担当者会議を含む一連の業務の記録がない(新しい有効期間の開始、又は結果から30日まで)。"
        "暫定の担当者会議で確定版とすることを検討済みなら同意・交付のみでよい",
        "004_f6001c94592c1eac.txt:1980-1992, 3818-3822",
    ),
    "plan_change_series_missing": RiskKind(
        "計画変更の一連の業務なし",
        "評価で計画変更とした後30日以内に担当者会議を含む一連の業務(又は軽微な変更の記録)がない",
        "004_f6001c94592c1eac.txt:1994-1999",
    ),
    "renewal_application_overdue": RiskKind(
        "更新申請の期限超過",
        "有効期間終了の30日前までに更新申請の記録がない",
        "004_f6001c94592c1eac.txt:570-572",
    ),
    "results_submission_overdue": RiskKind(
        "実績の提出期限超過", "翌月の提出日までに実績の提出の記録がない", "003_ac00e42d951987eb.txt:624"
    ),
    "claim_transmission_overdue": RiskKind(
        "国保連への伝送期限超過", "翌月10日までに給付管理票の伝送の記録がない", "003_ac00e42d951987eb.txt:139, 624"
    ),
    "equipment_consultation_missing": RiskKind(
        "福祉用具貸与の協議なし",
        "新しい認定有効期間の開始までに福祉用具貸与の協議(確認書)の記録がない",
        "003_ac00e42d951987eb.txt:1084-1089",
    ),
    "notification_missing": RiskKind(
        "届出書の提出遅れ",
        "サービス開始日までに居宅サービス計画作成依頼届出書の提出の記録がない(開始日当日の提出は期限内)",
        "003_ac00e42d951987eb.txt:606",
    ),
    "retention_expired": RiskKind(
        "保存期間満了(廃棄期限)",
        "完結の日から5年の保存期間が過ぎたが、廃棄の記録がない",
        "003_ac00e42d951987eb.txt:144, 627; 004_f6001c94592c1eac.txt:2901",
    ),
}

OVERDUE_BY_DUTY = {
    "renewal_application": "renewal_application_overdue",
    "results_submission": "results_submission_overdue",
    "claim_transmission": "claim_transmission_overdue",
    "equipment_reconsultation": "equipment_consultation_missing",
    "retention_deletion": "retention_expired",
}


@dataclass
class Found:
    key: str
    code: str
    since: date
    role: str
    duty_key: str | None = None

    @property
    def kind(self) -> RiskKind:
        return RISKS[self.code]


def severity(code: str, case: Case) -> str:
    if code not in REDUCTION_CODES:
        return "overdue"
    return "reduction" if is_care(case) else "warning"


def find(case: Case, params: Mapping[str, Any], items: list[Item], records: Records, today: date) -> list[Found]:
    """The risks that hold today for this case."""
    found: dict[str, Found] = {}

    def add(item: Found) -> None:
        found.setdefault(item.key, item)

    for item in items:
        if item.status(today) != "missed":
            continue
        if item.duty in ("monitoring_contact", "monitoring_record", "home_visit"):
            add(
                Found(
                    f"monitoring_missing:{item.period}",
                    "monitoring_missing",
                    item.due_date + timedelta(1),
                    item.role,
                    item.key,
                )
            )
        elif item.duty in OVERDUE_BY_DUTY:
            code = OVERDUE_BY_DUTY[item.duty]
            add(Found(f"{code}:{item.period}", code, item.due_date + timedelta(1), item.role, item.key))
    if case.status == "open":
        for risk in _from_documents(case, params, records, today):
            add(risk)
    return list(found.values())


def upcoming(case: Case, records: Records, today: date) -> set[date]:
    """Days after today on which a document rule may start to hold: the worker re-checks the case then."""
    days: set[date] = set()
    for form, day, data in records.documents:
        if form == "plan_draft":
            start = as_date(data.get("plan_start"))
            if start:
                days.add(start + timedelta(days=1))
        elif form == "certification_result_entry":
            start = as_date(data.get("certification_start"))
            due = start if start and start > day else day + timedelta(days=SERIES_DAYS)
            days.add(due + timedelta(days=1))
        elif form == "evaluation":
            days.add(day + timedelta(days=SERIES_DAYS + 1))
        elif form == "intake":
            start = as_date(data.get("service_start_date"))
            if start:
                days.add(start + timedelta(days=1))
    return {day for day in days if day > today}


def _from_documents(case: Case, params: Mapping[str, Any], records: Records, today: date) -> list[Found]:
    planner = planner_role(case)
    out: list[Found] = []
    for day, data in records.of("contract"):
        if "multiple_providers_explained" in data and not (
            data.get("multiple_providers_explained") and data.get("selection_reasons_explained")
        ):
            out.append(Found(f"contract_explanation_missing:{day}", "contract_explanation_missing", day, planner))
    for day, data in records.of("assessment"):
        if data.get("visited_at_home") is False and data.get("present_status", "home") == "home":
            if not has_text(data.get("not_at_home_reason")):
                out.append(Found(f"assessment_home_visit_missing:{day}", "assessment_home_visit_missing", day, planner))
    out += _plan_series(case, records, today, planner)
    out += _after_results(records, today, planner)
    out += _notification(params, records, today, planner)
    return out


def _plan_series(case: Case, records: Records, today: date, planner: str) -> list[Found]:
    """Each plan in use needs its meeting, written consent and delivery recorded after its draft (004:1708-1755)."""
    drafts = [(i, day, data) for i, (form, day, data) in enumerate(records.documents) if form == "plan_draft"]
    out = []
    for n, (index, _day, data) in enumerate(drafts):
        start = as_date(data.get("plan_start"))
        if start is None or start >= today:
            continue  # the series may still be finished on the start day itself
        until = drafts[n + 1][0] if n + 1 < len(drafts) else len(records.documents)
        after = records.documents[index + 1 : until]
        before = records.documents[drafts[n - 1][0] + 1 if n else 0 : index]
        forms = {form: d for form, _d, d in after}
        needs = ["plan_consent", "plan_delivery"]
        if case.care_management_type != "C" and not any(_preagreed(d) for _f, _x, d in before):
            needs.append("service_meeting")
        for form in needs:
            meeting_ok = form == "service_meeting" and any(
                f == "service_meeting" and _meeting_held(d) for f, _x, d in after
            )
            if form == "plan_delivery" and not any(_delivered_by(d, day, start) for f, day, d in after if f == form):
                # Delivered after the services started: the 減算 stays on record (004:1714-1718).
                out.append(
                    Found(
                        f"plan_delivery_missing:{start.isoformat()}",
                        "plan_delivery_missing",
                        start + timedelta(days=1),
                        planner,
                    )
                )
                continue
            if form in forms and (form != "service_meeting" or meeting_ok):
                continue
            code = f"{form}_missing"
            out.append(Found(f"{code}:{start.isoformat()}", code, start + timedelta(days=1), planner))
    return out


def _after_results(records: Records, today: date, planner: str) -> list[Found]:
    """After a renewal or 区分変更 result, or an evaluation that changes the plan, the series must follow."""
    out = []
    for index, (form, day, data) in enumerate(records.documents):
        later = records.documents[index + 1 :]
        if form == "certification_result_entry" and data.get("result_level") not in (None, "higaito", "pending"):
            start = as_date(data.get("certification_start"))
            due = start if start and start > day else day + timedelta(days=SERIES_DAYS)
            if today > due and not any(f == "service_meeting" and _meeting_held(d) for f, _x, d in later):
                if not any(f == "minor_change_record" for f, _x, _d in later) and not _preagreed_series(later):
                    out.append(
                        Found(f"renewal_series_missing:{day}", "renewal_series_missing", due + timedelta(1), planner)
                    )
        if form == "evaluation" and data.get("evaluation_outcome") == "change":
            due = day + timedelta(days=SERIES_DAYS)
            done = any(
                (f == "service_meeting" and _meeting_held(d)) or (f == "minor_change_record" and d.get("minor"))
                for f, _x, d in later
            )
            if today > due and not done:
                out.append(
                    Found(
                        f"plan_change_series_missing:{day}", "plan_change_series_missing", due + timedelta(1), planner
                    )
                )
    return out


def _notification(params: Mapping[str, Any], records: Records, today: date, planner: str) -> list[Found]:
    """鈴鹿亀山: the 届出書 reaches the 広域 on or before the service start date (003:606)."""
    if not params.get("notification_before_service_start"):
        return []
    starts = [as_date(data.get("service_start_date")) for _day, data in records.of("intake")]
    start = next((s for s in reversed(starts) if s), None)
    if start is None or today <= start:
        return []  # on or before the start date: the start date itself is still in time
    if records.of("plan_request_notification"):
        return []  # recorded (late or not): the risk was the missing record, and it has arrived
    role = "center" if planner == "office" else planner
    return [Found(f"notification_missing:{start.isoformat()}", "notification_missing", start + timedelta(1), role)]


def _preagreed(data: Mapping[str, Any]) -> bool:
    """前橋 別紙2: the 暫定 plan's meeting agreed to make it the 確定 plan if the level came as expected and nothing
    changed, so the assessment and the meeting may be left out; consent and delivery still follow (004:3818-3822)."""
    return data.get("confirmation_preagreed") is True and data.get("needs_changed") is False


def _preagreed_series(later: list[tuple[str, date, dict[str, Any]]]) -> bool:
    """After a result: a pre-agreed confirmation, then the plan's consent and delivery (004:3818-3822)."""
    for index, (_form, _day, data) in enumerate(later):
        if _preagreed(data):
            rest = {form for form, _d, _x in later[index + 1 :]}
            return {"plan_consent", "plan_delivery"} <= rest
    return False


def _delivered_by(data: Mapping[str, Any], recorded_on: date, start: date) -> bool:
    """The plan reached the client and the 担当者 by the start of the services (004:1718), and is not marked as
    after it. It was delivered on its delivery date, and at the latest on the day that was recorded."""
    if data.get("before_service_start") is False:
        return False
    return min(as_date(data.get("delivery_date")) or recorded_on, recorded_on) <= start


def _meeting_held(data: Mapping[str, Any]) -> bool:
    """A meeting held, or replaced by a recorded やむを得ない理由 (照会) (004:1752-1755)."""
    return bool(data.get("held")) or has_text(data.get("not_held_reason")) or has_text(data.get("unavoidable_reason"))
