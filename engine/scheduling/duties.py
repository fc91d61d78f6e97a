"""A case's dated duties (DOMAIN.md §11), computed from the case, its municipality's parameters and its records.

Pure functions: nothing here reads the database or the clock. `engine.scheduling.schedule.refresh` gathers the records,
calls `compute`, stores the result as schedule rows and raises the risks (`engine.scheduling.compliance`).

Each item names the rule it follows and the seed lines behind it, so a board or an inspection report can say why
a date is what it is. Whether a home visit is due in a month is not decided here: it is the
`monitoring_requirement` decision (handlers/decisions), called through `decide`.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from engine.clock import JST
from engine.errors import KaigoflowError
from engine.japanese_dates import as_date
from engine.scheduling.deadlines import add_months
from engine.scheduling.deadlines import month_end
from engine.scheduling.deadlines import shift
from engine.store.models import Case
from engine.vocabulary import KAIGO_LEVELS

Decide = Callable[[str, Mapping[str, Any]], dict[str, Any]]

EXCUSABLE = frozenset({"monitoring_contact", "home_visit"})
"""Duties a 特段の事情 (the client's reasons) can excuse; the monitoring record itself is always owed."""
MANUAL = frozenset(
    {
        "service_results_report",
        "results_submission",
        "claim_transmission",
        "commission_invoice",
        "copay_check",
        "retention_deletion",
        "progress_record_submission",
        "commission_contract",
        "commission_payment",
        "provider_evaluation_report",
        "livelihood_plan_notice",
        "results_delay_contact",
    }
)
"""Duties no flow records: staff mark them done on the schedule (an event), and the record is that event.
(`progress_record_submission` and `provider_evaluation_report` are also done by their municipality's form.)"""


RECORD_FORMS = frozenset(
    {
        "monitoring",
        "evaluation",
        "renewal_application",
        "insurer_consultation",
        "rental_start",
        "service_end",
        "plan_draft",
        "service_meeting",
        "plan_consent",
        "plan_delivery",
        "contract",
        "assessment",
        "certification_result_entry",
        "minor_change_record",
        "intake",
        "plan_request_notification",
        "city-a_progress_record_submission",
        "oshu_post_assessment",
        "self_plan_consultation",
    }
)
"""The forms the schedule and the risks read: submitting any other form leaves them as they are."""


@dataclass(frozen=True)
class DutyKind:
    name: str
    rule: str
    source: str


DUTIES: dict[str, DutyKind] = {
    "monitoring_contact": DutyKind(
        "モニタリング(利用者との接触)",
        "毎月少なくとも1回、利用者と接触しケアプランの実施状況を確認する",
        "003_ac00e42d951987eb.txt:116, 617; 004_f6001c94592c1eac.txt:1830-1841",
    ),
    "monitoring_record": DutyKind(
        "モニタリングの記録",
        "毎月モニタリングの結果を記録する(月末まで)",
        "003_ac00e42d951987eb.txt:116; 004_f6001c94592c1eac.txt:1925-1927",
    ),
    "home_visit": DutyKind(
        "居宅訪問(面接)",
        "居宅を訪問し利用者に面接する(訪問が必要な月)",
        "003_ac00e42d951987eb.txt:116, 617-620; 000_ac7815af6fd4c390.txt:194-200; "
        "002_e0c30eafdce75ab5.txt:10; 004_f6001c94592c1eac.txt:1830-1857",
    ),
    "evaluation": DutyKind(
        "評価(評価表)",
        "計画期間の終了月(評価月)に計画の評価を行う",
        "003_ac00e42d951987eb.txt:126-128, 621",
    ),
    "renewal_application": DutyKind(
        "更新申請(代行)",
        "有効期間終了の60日前から、30日前までに更新申請を行う",
        "004_f6001c94592c1eac.txt:570-572; DOMAIN.md §6.2",
    ),
    "service_results_report": DutyKind(
        "実績の報告(事業所→居宅)",
        "サービス提供月の翌月の定められた日までに実績を報告する",
        "002_e0c30eafdce75ab5.txt:10",
    ),
    "results_submission": DutyKind(
        "利用票・実績・請求明細の提出(居宅→包括)",
        "サービス提供月の翌月の定められた日までに提出する",
        "003_ac00e42d951987eb.txt:624; 000_ac7815af6fd4c390.txt:286-308; 002_e0c30eafdce75ab5.txt:10",
    ),
    "claim_transmission": DutyKind(
        "給付管理票の作成・国保連への伝送",
        "サービス提供月の翌月10日までに国保連へ伝送する",
        "003_ac00e42d951987eb.txt:139, 624; 000_ac7815af6fd4c390.txt:300-308; 002_e0c30eafdce75ab5.txt:11; "
        "004_f6001c94592c1eac.txt:2180-2183",
    ),
    "results_delay_contact": DutyKind(
        "実績の提出が遅れる連絡(居宅→包括)",
        "利用票・実績・請求明細の提出が定められた日を過ぎる場合は、包括へ連絡する",
        "003_ac00e42d951987eb.txt:624",
    ),
    "commission_invoice": DutyKind(
        "委託料の請求",
        "サービス提供月の翌月の定められた日までに委託料を請求する",
        "002_e0c30eafdce75ab5.txt:10-11; 000_ac7815af6fd4c390.txt:286-308; 001_0406baf8f7838dc8.txt:198-206",
    ),
    "copay_check": DutyKind(
        "負担割合証の確認",
        "7月下旬に負担割合証を確認し報告する",
        "001_0406baf8f7838dc8.txt:268-284",
    ),
    "equipment_reconsultation": DutyKind(
        "福祉用具貸与の協議(認定期間ごと)",
        "軽度者の福祉用具貸与を続けるときは認定有効期間ごとに改めて協議する",
        "003_ac00e42d951987eb.txt:1084-1089",
    ),
    "retention_deletion": DutyKind(
        "記録の保存期間満了・廃棄",
        "完結の日から5年間保存し、その後は廃棄する",
        "003_ac00e42d951987eb.txt:144, 627; 004_f6001c94592c1eac.txt:2901, 3129-3177; 001_0406baf8f7838dc8.txt:375-381",
    ),
    "progress_record_submission": DutyKind(
        "介護予防支援経過記録の提出(居宅→包括)",
        "介護予防支援経過記録を、計画の開始から定められた月数ごとを目途に包括へ提出する",
        "000_ac7815af6fd4c390.txt:212-220",
    ),
    "commission_contract": DutyKind(
        "委託契約書の取り交わし(年度始まり)",
        "包括と居宅介護支援事業所は年度始まりごとに委託契約書を取り交わす(新規のときも)",
        "000_ac7815af6fd4c390.txt:42-50",
    ),
    "commission_payment": DutyKind(
        "委託料の支払(包括→居宅)",
        "委託料請求書に基づき委託料の支払事務を行う",
        "002_e0c30eafdce75ab5.txt:11",
    ),
    "provider_evaluation_report": DutyKind(
        "個別サービス計画・評価表の報告(事業所→居宅)",
        "評価月の定められた日までに個別サービス計画・評価表(写し)を報告する",
        "002_e0c30eafdce75ab5.txt:14",
    ),
    "livelihood_plan_notice": DutyKind(
        "生活援助中心型の回数が多い計画の市への届出",
        "厚生労働大臣が定める回数以上の生活援助中心型の訪問介護を位置付けた計画を、翌月の末日までに市へ届け出る",
        "004_f6001c94592c1eac.txt:2143-2146, 2215",
    ),
}

LOCAL_NAMES: dict[str, dict[str, str]] = {
    "service_results_report": {"oshu": "実績の報告用紙の提出(事業所→居宅)"},
    "results_submission": {"oshu": "実績の報告用紙と様式2-1・2-2(委託料請求内訳書)の提出(居宅→包括)"},
    "commission_invoice": {
        "oshu": "委託料請求書(様式3)の提出(居宅→包括)",
        "toyokawa": "委託料請求書とサービス実績(写し)の提出(居宅→包括)",
    },
}
"""A duty under the name of the municipality's own documents, where its manual names them (奥州 002:10-11, 豊川
001:198-206)."""


def name_of(duty: str, municipality: str | None = None) -> str:
    """The duty's name for staff: the municipality's own documents where its manual names them."""
    local = LOCAL_NAMES.get(duty, {}).get(municipality or "")
    kind = DUTIES.get(duty)
    return local or (kind.name if kind else duty)


S000, S001, S002, S003, S004 = (
    "000_ac7815af6fd4c390.txt",
    "001_0406baf8f7838dc8.txt",
    "002_e0c30eafdce75ab5.txt",
    "003_ac00e42d951987eb.txt",
    "004_f6001c94592c1eac.txt",
)
LOCAL_SOURCES: dict[str, dict[str, str]] = {
    "monitoring_contact": {
        "suzuka-kameyama": f"{S003}:116, 617",
        "city-a": f"{S000}:202-206",
        "oshu": f"{S002}:10",
        "toyokawa": f"{S001}:251-255",
        "maebashi": f"{S004}:1830-1841",
    },
    "monitoring_record": {
        "suzuka-kameyama": f"{S003}:116, 617",
        "city-a": f"{S000}:202-206",
        "oshu": f"{S002}:10",
        "toyokawa": f"{S001}:251-255",
        "maebashi": f"{S004}:1925-1927",
    },
    "home_visit": {
        "suzuka-kameyama": f"{S003}:116, 617-620",
        "city-a": f"{S000}:194-200",
        "oshu": f"{S002}:10",
        "toyokawa": f"{S001}:247-249",
        "maebashi": f"{S004}:1830-1857",
    },
    "evaluation": {
        "suzuka-kameyama": f"{S003}:126-128, 621",
        "oshu": f"{S002}:14",
        "toyokawa": f"{S001}:321-337",
    },
    "results_submission": {"suzuka-kameyama": f"{S003}:624", "city-a": f"{S000}:286-308", "oshu": f"{S002}:10"},
    "claim_transmission": {
        "suzuka-kameyama": f"{S003}:139, 624",
        "city-a": f"{S000}:300-308",
        "oshu": f"{S002}:11",
        "maebashi": f"{S004}:2180-2183",
        "toyokawa": "DOMAIN.md §11.5 [N](豊川の資料に記載なし)",
    },
    "commission_invoice": {"oshu": f"{S002}:10-11", "city-a": f"{S000}:286-308", "toyokawa": f"{S001}:198-206"},
    "retention_deletion": {
        "suzuka-kameyama": f"{S003}:144, 627",
        "maebashi": f"{S004}:2901, 3129-3177",
        "toyokawa": f"{S001}:375-381",
    },
}
"""The seed lines of a duty for one municipality; DutyKind.source (all seeds) where the municipality's is silent."""


def source_of(duty: str, municipality: str) -> str:
    return LOCAL_SOURCES.get(duty, {}).get(municipality) or DUTIES[duty].source


@dataclass
class Records:
    """What was recorded for a case, in the shape the rules need (gathered by engine.scheduling.schedule)."""

    documents: list[tuple[str, date, dict[str, Any]]] = field(default_factory=list)
    """(form, submitted on (Japan date), data), oldest first."""
    recorded: dict[str, date] = field(default_factory=dict)
    """schedule key -> the day staff recorded the duty done (event `duty_recorded`)."""
    excused: dict[str, str] = field(default_factory=dict)
    """schedule key -> 特段の事情 recorded for it (event `special_circumstances_recorded`)."""

    def of(self, *forms: str) -> list[tuple[date, dict[str, Any]]]:
        return [(day, data) for form, day, data in self.documents if form in forms]

    def monitoring(self) -> dict[str, list[dict[str, Any]]]:
        by_month: dict[str, list[dict[str, Any]]] = {}
        for _day, data in self.of("monitoring"):
            if isinstance(data.get("month"), str):
                by_month.setdefault(data["month"], []).append(data)
        return by_month


@dataclass
class Item:
    key: str
    duty: str
    period: str | None
    window_start: date | None
    due_date: date
    role: str
    detail: dict[str, Any] = field(default_factory=dict)
    done_on: date | None = None
    excuse: str | None = None

    @property
    def kind(self) -> DutyKind:
        return DUTIES[self.duty]

    def status(self, today: date) -> str:
        if self.done_on is not None:
            return "done"
        if self.excuse:
            return "excused"
        return "missed" if self.due_date < today else "open"


def japan_date(moment: datetime) -> date:
    return moment.astimezone(JST).date()


def months(start: date, end: date) -> Iterator[date]:
    """First days of each month from start's month to end's month, inclusive."""
    current = date(start.year, start.month, 1)
    while current <= end:
        yield current
        current = add_months(current, 1)


def is_care(case: Case) -> bool:
    return (case.care_level or "") in KAIGO_LEVELS


def planner_role(case: Case) -> str:
    """Who writes and monitors the plan: the case's `planner` fact (a case without a center is the office's)."""
    if case.planner == "office" or case.center_org_id is None:
        return "office"
    return "center"


def monitored(case: Case, params: Mapping[str, Any]) -> bool:
    """ケアマネジメントC has no monitoring (000:330-332); type B as A unless the municipality says C."""
    kind = case.care_management_type
    if is_care(case):
        return True
    return not (kind == "C" or (kind == "B" and params.get("type_b_monitoring") == "C"))


@dataclass(frozen=True)
class Plan:
    """A plan period: its months run from `start` to `until` (the day before the next plan starts, else `end`)."""

    start: date
    end: date
    until: date


HISTORY_DAYS = 92
"""Months this recent (of the current plan or a replaced one) are still recomputed, so a late record counts."""
FUTURE_MONTHS = 12
"""Monthly duties are kept this far ahead; later months appear as time passes (a plan may run 4 years)."""


def plan_months(plan: Plan, today: date, since: date | None = None) -> list[date]:
    """The plan's months that are computed: from `since` (default HISTORY_DAYS back) to FUTURE_MONTHS ahead."""
    return list(_plan_months(plan, today, since))


@functools.lru_cache(maxsize=1024)
def _plan_months(plan: Plan, today: date, since: date | None) -> tuple[date, ...]:
    # Asked five times per refresh for the same plan and day (each monthly duty walks the plan's months).
    earliest = since if since is not None else today - timedelta(days=HISTORY_DAYS)
    latest = add_months(today, FUTURE_MONTHS)
    return tuple(m for m in months(plan.start, plan.until) if month_end(m) >= earliest and m <= latest)


def plans(case: Case, records: Records, today: date) -> list[Plan]:
    """The case's current plan and the recent plans it replaced, from the plan drafts recorded and the case row.

    A plan changed mid-period (a new draft, a 区分変更) ends the day before the new plan starts: the months
    until then are still owed under the old plan, and the new plan's months follow.
    """
    periods: list[tuple[date, date]] = []
    for data in [(case.data or {}).get("previous_plan") or {}, *(data for _day, data in records.of("plan_draft"))]:
        start, end = as_date(data.get("plan_start")), as_date(data.get("plan_end"))
        if start and end and end >= start:
            periods.append((start, end))
    if case.plan_start and case.plan_end and case.plan_end >= case.plan_start:
        periods = [p for p in periods if p[0] < case.plan_start]
        periods.append((case.plan_start, case.plan_end))
    periods = sorted(set(periods))
    found = []
    for index, (start, end) in enumerate(periods):
        following = periods[index + 1][0] if index + 1 < len(periods) else None
        until = min(end, following - timedelta(days=1)) if following else end
        if until < start or (index + 1 < len(periods) and until < today - timedelta(days=HISTORY_DAYS)):
            continue
        found.append(Plan(start, end, until))
    return found


class Reuse:
    """Sections of `compute` remembered by everything they read, from one compute of a case to the next (the schedule
    refresh keeps them with its copy of the case): a section whose inputs are equal gives the same items, so they are
    reused (and never changed: compute copies an item it completes)."""

    def __init__(self, previous: Reuse | None = None) -> None:
        self._previous = previous.sections if previous is not None else {}
        self.sections: dict[str, tuple[tuple[Any, ...], list[Item]]] = {}

    def section(self, name: str, inputs: tuple[Any, ...], make: Callable[[], list[Item]]) -> list[Item]:
        found = self._previous.get(name)
        items = found[1] if found is not None and found[0] == inputs else make()
        self.sections[name] = (inputs, items)
        return items


def compute(
    case: Case,
    params: Mapping[str, Any],
    records: Records,
    decide: Decide | None,
    today: date,
    since: date | None = None,
    reuse: Reuse | None = None,
) -> list[Item]:
    """Every dated duty of the case as it stands; statuses come from `records` (see Item.status).

    Monthly duties are computed from HISTORY_DAYS back, or from `since` when earlier (the oldest duty still
    open, so a worker back from a long downtime still sees every month it missed). `reuse`: the sections the last
    compute of the case made, to take again where their inputs are the same.
    """
    since = min(since, today - timedelta(days=HISTORY_DAYS)) if since else None
    items: list[Item] = []
    if case.status == "open":
        current = plans(case, records, today)
        if current:
            if monitored(case, params):
                for plan in current:
                    items += _monitoring(case, params, records, decide, plan, today, since)
            items += _evaluation(case, records, current[-1])
            benefit = functools.partial(_benefit_management, case, params, records, current, today, since)
            if reuse is None:
                items += benefit()
            else:
                items += reuse.section(
                    "benefit_management", _benefit_inputs(case, params, records, current, today, since), benefit
                )
            items += _results_delay_contacts(params, records, items, today)
            items += _copay_checks(case, params, current[0].start, current[-1].end)
            items += _progress_records(case, params, records, current, today, since)
            items += _commission_contracts(case, params, current, today, since)
            items += _provider_evaluation(case, params, records, current[-1])
            items += _livelihood_notices(case, params, records)
        items += _renewal(case, params, records)
        items += _equipment_reconsultation(case, records)
    else:
        items += _retention(case, params, records)
    unique: dict[str, Item] = {}
    for item in items:
        # Copied, not changed: a section's items may be reused by the next compute (Reuse).
        if item.done_on is None and item.key in records.recorded and item.duty in MANUAL:
            item = dataclasses.replace(item, done_on=records.recorded[item.key])
        if item.done_on is None and item.duty in EXCUSABLE and item.key in records.excused:
            item = dataclasses.replace(item, excuse=records.excused[item.key])
        unique[item.key] = item  # a month shared by two plans: the later plan's duty stands
    return list(unique.values())


def _monitoring(
    case: Case,
    params: Mapping[str, Any],
    records: Records,
    decide: Decide | None,
    plan: Plan,
    today: date,
    since: date | None,
) -> list[Item]:
    planner = planner_role(case)
    docs = records.monitoring()
    visits = sorted(month for month, rows in docs.items() if any(r.get("home_visit") is True for r in rows))
    submitted_on: dict[str, date] = {}
    for day, data in records.of("monitoring"):
        submitted_on.setdefault(str(data.get("month")), day)
    items = []
    for first in plan_months(plan, today, since):
        month = f"{first:%Y-%m}"
        end = month_end(first)
        rows = docs.get(month, [])
        contact = next((r for r in rows if r.get("contact_date")), None)
        excuse = next((str(r["special_circumstances"]) for r in rows if has_text(r.get("special_circumstances"))), None)
        items.append(
            Item(
                f"monitoring_contact:{month}",
                "monitoring_contact",
                month,
                max(first, plan.start),
                end,
                planner,
                done_on=as_date(contact.get("contact_date")) if contact else None,
                excuse=excuse,
            )
        )
        submitted = [submitted_on[month]] if month in submitted_on else []
        items.append(
            Item(
                f"monitoring_record:{month}",
                "monitoring_record",
                month,
                max(first, plan.start),
                end,
                planner,
                done_on=submitted[0] if submitted else None,
            )
        )
        visit = _home_visit(case, params, decide, plan, first, docs, visits)
        if visit is not None:
            window, reasons = visit
            # The latest visit of the window (visits are sorted month strings): window <= it <= month.
            latest = bisect.bisect_right(visits, month) - 1
            in_window = latest >= 0 and visits[latest] >= f"{window:%Y-%m}"
            items.append(
                Item(
                    f"home_visit:{month}",
                    "home_visit",
                    month,
                    max(window, plan.start),
                    end,
                    planner,
                    detail={"reasons": reasons, "window_months": f"{window:%Y-%m}..{month}"},
                    done_on=_visit_day(docs, visits[latest]) if in_window else None,
                    excuse=excuse,
                )
            )
    return items


def _home_visit(
    case: Case,
    params: Mapping[str, Any],
    decide: Decide | None,
    plan: Plan,
    first: date,
    docs: Mapping[str, list[dict[str, Any]]],
    visits: list[str],
) -> tuple[date, list[str]] | None:
    """(window start, reasons) when `first`'s month needs a home visit by the monitoring_requirement decision."""
    if decide is None:
        return None
    month = f"{first:%Y-%m}"
    start = date(plan.start.year, plan.start.month, 1)
    elapsed = (first.year - start.year) * 12 + first.month - start.month
    preventive = not is_care(case)
    # A 3-month period's visit may be made in any of its months (DOMAIN.md §11.1): judge the period's last month
    # from the visits *before* the period, and count any visit inside it as doing the duty.
    window = add_months(first, -2) if preventive and elapsed > 0 and elapsed % 3 == 0 else first
    before = bisect.bisect_left(visits, f"{window:%Y-%m}")  # visits[:before] are the months before the window
    state_changed = any(r.get("state_changed") is True for r in docs.get(month, []))
    inputs = {
        "care_level": case.care_level,
        "care_management_type": case.care_management_type or "A",
        "plan_start": plan.start.isoformat(),
        "month": month,
        "evaluation_month": f"{plan.end:%Y-%m}",
        "state_changed": state_changed,
        "video_conditions_met": bool((case.data or {}).get("video_conditions_met")),
        "last_home_visit_month": visits[before - 1] if before else None,
    }
    try:
        outputs = decide("monitoring_requirement", inputs)
    except KaigoflowError:
        return None  # no decision for this level (申請中・非該当) or municipality: nothing to schedule
    if not outputs.get("home_visit_required"):
        return None
    reasons = []
    if state_changed:
        reasons.append("state_changed")
    if preventive and month == inputs["evaluation_month"]:
        reasons.append("evaluation_month")
    if preventive and elapsed == 0:
        reasons.append("start_month")
    if not reasons:
        reasons.append("period" if preventive else "monthly")
    return (window if "period" in reasons else first), reasons


def _evaluation(case: Case, records: Records, plan: Plan) -> list[Item]:
    first = date(plan.end.year, plan.end.month, 1)
    done = [day for day, _data in records.of("evaluation") if day >= plan.start]
    return [
        Item(
            f"evaluation:{plan.end.isoformat()}",
            "evaluation",
            f"{plan.end:%Y-%m}",
            max(first, plan.start),
            plan.end,
            planner_role(case),
            done_on=done[0] if done else None,
        )
    ]


def _renewal(case: Case, params: Mapping[str, Any], records: Records) -> list[Item]:
    if not case.certification_end or (case.care_level or "") in ("", "pending", "higaito"):
        return []
    end = case.certification_end
    lead = int(params.get("renewal_support_days") or 30)
    since = case.certification_start or end - timedelta(days=365)
    applied = [
        as_date(data.get("application_date")) or day for day, data in records.of("renewal_application") if day >= since
    ]
    item = Item(
        f"renewal_application:{end.isoformat()}",
        "renewal_application",
        end.isoformat(),
        end - timedelta(days=60),
        shift(end - timedelta(days=lead), params),
        planner_role(case),
        detail={"certification_end": end.isoformat()},
        done_on=applied[0] if applied else None,
    )
    minimum = params.get("special_handling_min_days")
    if minimum:
        item.detail["special_handling_apply_by"] = (end - timedelta(days=int(minimum))).isoformat()
    return [item]


def _benefit_management(
    case: Case, params: Mapping[str, Any], records: Records, current: list[Plan], today: date, since: date | None
) -> list[Item]:
    """The monthly 給付管理 days for each service month M of the plans, all in M+1 (DOMAIN.md §11.5)."""
    center_claims = not is_care(case) and case.center_org_id is not None
    days: list[tuple[str, Any, str, bool]] = [
        ("service_results_report", params.get("provider_results_due_day"), "provider", True),
        ("results_submission", params.get("results_due_day"), "office", bool(case.delegated)),
        ("claim_transmission", params.get("claim_due_day") or 10, "center" if center_claims else "office", True),
        (
            "commission_invoice",
            params.get("commission_invoice_due_day")
            or (params.get("results_due_day") if params.get("commission_invoice_with_results") else None),
            "office",
            bool(case.delegated),
        ),
    ]
    items = []
    service_months = sorted({m for plan in current for m in plan_months(plan, today, since)})
    self_plan = _self_plan_months(records, current)
    for first in service_months:
        month = f"{first:%Y-%m}"
        following = add_months(first, 1)
        for duty, day, role, applies in days:
            if not applies or not day:
                continue
            due = _day_of(following, int(day), params)
            exact = duty == "claim_transmission" and bool(params.get("claim_on_exact_day"))
            detail: dict[str, Any] = {"service_month": month, "on_exact_day": exact}
            window = due if exact else following
            if duty == "claim_transmission":
                known = _result_known_on(case, records, first, today)
                if known is None or known > due:
                    # No 給付管理票 without the certification result: the month is claimed with the first claim
                    # after the result (月遅れ), and is not overdue while the result is unknown (003:140).
                    month_of_claim = add_months(date((known or today).year, (known or today).month, 1), 1)
                    due = _day_of(month_of_claim, int(day), params)
                    window = due if exact else month_of_claim
                    detail["claimed_late"] = True
                    detail["result_known_on"] = known.isoformat() if known else None
                if first in self_plan:
                    # 自己作成扱い: the insurer does the 給付管理 of the 暫定 plan's months (鈴鹿亀山 003:846).
                    role, detail["self_plan"] = "insurer", True
            items.append(Item(f"{duty}:{month}", duty, month, window, due, role, detail=detail))
        if case.delegated and params.get("commission_payment_by_center"):
            # 奥州 §8③: the 包括 pays the 委託料 on the office's 請求書 (様式3, due the given day of M+1); the seed
            # gives no payment day: due by the end of that month [I].
            invoice_day = params.get("commission_invoice_due_day") or params.get("results_due_day") or 1
            items.append(
                Item(
                    f"commission_payment:{month}",
                    "commission_payment",
                    month,
                    _day_of(following, int(invoice_day), params),
                    shift(month_end(following), params),
                    "center",
                    detail={"service_month": month},
                )
            )
    return items


def _benefit_inputs(
    case: Case, params: Mapping[str, Any], records: Records, current: list[Plan], today: date, since: date | None
) -> tuple[Any, ...]:
    """Everything _benefit_management reads (and _self_plan_months, _result_known_on, _day_of under it)."""
    return (
        params,
        case.care_level,
        case.center_org_id is not None,
        case.delegated,
        case.certification_end,
        tuple(current),
        today,
        since,
        records.of("certification_result_entry"),
        records.of("self_plan_consultation"),
    )


def _self_plan_months(records: Records, current: list[Plan]) -> set[date]:
    """The months of the 暫定 plans taken as written by the person (自己作成扱い, self_plan_consultation accepted):
    those of the plans started on or before the consultation, up to the plan made after it (003:844-846)."""
    accepted = [day for day, data in records.of("self_plan_consultation") if data.get("self_plan_accepted")]
    if not accepted:
        return set()
    consulted = accepted[-1]
    later = [plan.start for plan in current if plan.start > consulted]
    found: set[date] = set()
    for plan in current:
        if plan.start <= consulted:
            found |= {
                m for m in months(plan.start, plan.until) if not later or m < date(later[0].year, later[0].month, 1)
            }
    return found


def _results_delay_contacts(params: Mapping[str, Any], records: Records, items: list[Item], today: date) -> list[Item]:
    """鈴鹿亀山: when the office's 実績 will reach the 包括 after the day (the 4th), the office contacts the 包括
    (003:624 ※). The contact is owed for a month whose results_submission was not recorded by its due date, from
    the day after it; a month submitted on time owes none (`results_delay_contact` switch)."""
    if not params.get("results_delay_contact"):
        return []
    found = []
    for item in items:
        if item.duty != "results_submission":
            continue
        submitted = records.recorded.get(item.key)
        late = submitted > item.due_date if submitted else today > item.due_date
        if late:
            after = item.due_date + timedelta(days=1)
            key = f"results_delay_contact:{item.period}"
            found.append(Item(key, "results_delay_contact", item.period, after, after, "office", dict(item.detail)))
    return found


def _day_of(first: date, day: int, params: Mapping[str, Any]) -> date:
    """Day `day` of the month starting `first` (the month's last day when shorter), shifted as the municipality
    says."""
    return shift(first.replace(day=min(day, month_end(first).day)), params)


def _result_known_on(case: Case, records: Records, first: date, today: date) -> date | None:
    """The day the certification covering the month starting `first` was known; None while it is not known yet
    (申請中, or a month past the current certification whose renewal result has not come)."""
    for recorded_on, data in reversed(records.of("certification_result_entry")):
        start = as_date(data.get("certification_start"))
        end = as_date(data.get("certification_end"))
        if data.get("result_level") in (None, "pending") or start is None:
            continue
        if start <= month_end(first) and (end is None or end >= first):
            return as_date(data.get("result_date")) or recorded_on
    if case.care_level == "pending":
        return None
    if case.certification_end is not None and first > case.certification_end:
        return None
    return date.min  # a certification in force that the case was opened with: known from before


def _progress_records(
    case: Case, params: Mapping[str, Any], records: Records, current: list[Plan], today: date, since: date | None
) -> list[Item]:
    """A市: the office sends the 介護予防支援経過記録 to the 包括 about every N months of a plan (000:212-220).

    One duty per N months from the plan's start, due the end of the block's last month; a submission within the
    block (the municipality's form, or the duty marked done) does it.
    """
    interval = params.get("progress_record_interval_months")
    if not interval or not case.delegated:
        return []
    submitted = [
        as_date(data.get("submitted_date")) or day
        for day, data in records.of("progress_record_submission", f"{case.municipality}_progress_record_submission")
    ]
    shown = {m for plan in current for m in plan_months(plan, today, since)}
    items = []
    for plan in current:
        first = date(plan.start.year, plan.start.month, 1)
        block = 0
        while (start := add_months(first, block * int(interval))) <= plan.until:
            last = min(add_months(start, int(interval) - 1), date(plan.until.year, plan.until.month, 1))
            block += 1
            if last not in shown:
                continue
            window, due = max(start, plan.start), month_end(last)
            done = [d for d in submitted if d is not None and window <= d <= due]
            items.append(
                Item(
                    f"progress_record_submission:{last:%Y-%m}",
                    "progress_record_submission",
                    f"{last:%Y-%m}",
                    window,
                    shift(due, params),
                    "office",
                    detail={"months": f"{start:%Y-%m}..{last:%Y-%m}"},
                    done_on=done[0] if done else None,
                )
            )
    return items


def _commission_contracts(
    case: Case, params: Mapping[str, Any], current: list[Plan], today: date, since: date | None
) -> list[Item]:
    """A市: the 包括 and the office exchange the 委託契約書 at each fiscal-year start (000:42-50): a duty for every
    April 1 of a delegated case's plans, except one its first known plan starts on (the new case's contract, made
    in its own flow)."""
    if not params.get("commission_contract_each_fiscal_year") or not case.delegated or not current:
        return []
    items = []
    for plan in current:
        for first in plan_months(plan, today, since):
            if first.month != 4 or first <= current[0].start:
                continue
            items.append(
                Item(
                    f"commission_contract:{first.year}",
                    "commission_contract",
                    str(first.year),
                    date(first.year, 3, 1),
                    shift(first, params),
                    "center",
                    detail={"fiscal_year": first.year},
                )
            )
    return items


def _provider_evaluation(case: Case, params: Mapping[str, Any], records: Records, plan: Plan) -> list[Item]:
    """奥州: the provider reports the 個別サービス計画・評価表 by the given day of the evaluation month (002:14)."""
    day = params.get("provider_evaluation_due_day")
    if not day:
        return []
    first = date(plan.end.year, plan.end.month, 1)
    forms = ("post_assessment", f"{case.municipality}_post_assessment")
    done = [d for d, _data in records.of(*forms) if d >= max(first - timedelta(days=31), plan.start)]
    return [
        Item(
            f"provider_evaluation_report:{plan.end.isoformat()}",
            "provider_evaluation_report",
            f"{plan.end:%Y-%m}",
            max(first, plan.start),
            _day_of(first, int(day), params),
            "provider",
            done_on=done[0] if done else None,
        )
    ]


LIVELIHOOD_LIMITS = {"kaigo1": 27, "kaigo2": 34, "kaigo3": 43, "kaigo4": 38, "kaigo5": 31}
"""Monthly 生活援助中心型 visits from which a plan is notified: 厚生労働大臣が定める回数 (平成30年厚生労働省告示
第218号) [N]; 004:2143-2146 names the rule without the numbers."""


def _livelihood_notices(case: Case, params: Mapping[str, Any], records: Records) -> list[Item]:
    """前橋: a plan with 生活援助 at or above the set count is notified to the 市 by the end of the month after
    the plan was made (004:2143-2146, 2215)."""
    months_after = params.get("livelihood_plan_notice_months")
    limit = LIVELIHOOD_LIMITS.get(case.care_level or "")
    if not months_after or limit is None:
        return []
    items = []
    for day, data in records.of("plan_draft"):
        count = data.get("livelihood_visits_per_month")
        if not isinstance(count, int) or count < limit:
            continue
        made = as_date(data.get("plan_date")) or day
        due = month_end(add_months(date(made.year, made.month, 1), int(months_after)))
        items.append(
            Item(
                f"livelihood_plan_notice:{made.isoformat()}",
                "livelihood_plan_notice",
                f"{made:%Y-%m}",
                made,
                shift(due, params),
                "office",
                detail={"visits_per_month": count, "limit": limit},
            )
        )
    return items


def _copay_checks(case: Case, params: Mapping[str, Any], first: date, last: date) -> list[Item]:
    """負担割合証 in late July where the municipality does it (豊川: ready 07-21, due 07-31)."""
    ready, due = params.get("copay_check_ready"), params.get("copay_check_due")
    if not ready or not due:
        return []
    items = []
    for year in range(first.year, last.year + 1):
        start = date.fromisoformat(f"{year}-{ready}")
        end = date.fromisoformat(f"{year}-{due}")
        if end < first or start > last:
            continue
        items.append(
            Item(f"copay_check:{year}", "copay_check", str(year), start, shift(end, params), planner_role(case))
        )
    return items


def _equipment_reconsultation(case: Case, records: Records) -> list[Item]:
    """A rental that needed 協議 needs it again in each later certification period (003:1084-1089)."""
    consultations = [day for day, data in records.of("insurer_consultation") if data.get("confirmation_issued")]
    rentals = [day for day, _data in records.of("rental_start")]
    start = case.certification_start
    if not consultations or not rentals or start is None or min(rentals) >= start:
        return []
    window = start - timedelta(days=60)
    done = [day for day in consultations if day >= window]
    return [
        Item(
            f"equipment_reconsultation:{start.isoformat()}",
            "equipment_reconsultation",
            start.isoformat(),
            window,
            start,
            planner_role(case),
            done_on=done[0] if done else None,
        )
    ]


def _retention(case: Case, params: Mapping[str, Any], records: Records) -> list[Item]:
    """Keep 5 years from the completion date inclusive; deletion is due the day after (DOMAIN.md §11.6 [I])."""
    ends = [as_date(data.get("end_date")) for _day, data in records.of("service_end")]
    completion = next((d for d in reversed(ends) if d), None)
    if completion is None and case.ended_at is not None:
        completion = japan_date(case.ended_at)
    if completion is None:
        return []
    years = int(params.get("retention_years") or 5)
    delete_from = add_months(completion, 12 * years) + timedelta(days=1)
    return [
        Item(
            f"retention_deletion:{completion.isoformat()}",
            "retention_deletion",
            completion.isoformat(),
            delete_from,
            delete_from,
            planner_role(case),
            detail={
                "completed_on": completion.isoformat(),
                "keep_until": (delete_from - timedelta(days=1)).isoformat(),
            },
        )
    ]


def _visit_day(docs: Mapping[str, list[dict[str, Any]]], month: str) -> date | None:
    for row in docs.get(month, []):
        if row.get("home_visit") is True:
            return as_date(row.get("contact_date"))
    return None


def has_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
