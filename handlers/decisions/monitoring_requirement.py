"""Decide what monitoring one month of a plan requires: contact, home visit, video, record.

Sources: DOMAIN.md §10.7 and §11.1-11.3. 要支援・事業対象者: 鈴鹿亀山 003_ac00e42d951987eb.txt:116 and 617-620
(資料1 7, the 6-month table), city-a 000_ac7815af6fd4c390.txt:194-206, 奥州 002_e0c30eafdce75ab5.txt:10 (video),
豊川 001_0406baf8f7838dc8.txt:247-255. 要介護: 前橋 004_f6001c94592c1eac.txt:1830-1857 and 3774-3791.

The output describes the month's duty as it stands from what happened *before* it, so a monthly duty started at
the beginning of `month` can show it, and a check at the end of the month can flag a missing visit:

- `contact_required`, `record_required`: every month of the plan (monthly monitoring and its record).
- `home_visit_required`, 要支援・事業対象者 (type A; type B as A unless `type_b_monitoring = "C"`):
  S = the month of `plan_start`; periods P1 = S+1..S+3, P2 = S+4..S+6, … ("サービスの提供を開始する月の翌月から
  起算して3月に1回"). A home visit is required
  - whenever `state_changed` (著しい変化);
  - in `evaluation_month` (サービスの評価期間が終了する月);
  - in the start month S when `start_month_home_visit` (鈴鹿亀山 003:617-620: 開始月 ◎);
  - in the **last month of a period** when no home visit has happened in that period yet
    (`last_home_visit_month` before the period). The visit may be made in any month of the period; only when the
    period is about to close without one does the month itself require it. Earlier months of the period show
    `home_visit_required = false` even though a visit is still owed by the period's end.
  - With `video_conditions_met` (§11.3) the period rule becomes "at least once in every two consecutive
    periods" (奥州 002:10): the last month of period Pn (n ≥ 2) requires a visit when neither Pn-1 nor Pn has had
    one. State changes and the evaluation month still require a visit [N].
- `home_visit_required`, 要介護 (前橋): every month, unless video conditions are met, the state did not change and
  the previous month had a home visit (§11.2: "少なくとも2月に1回利用者の居宅を訪問").
- `video_allowed`: video conditions met, no state change, and no home visit required this month (要介護: the
  previous month had a home visit).
- Type C (city-a): no monitoring; everything false.

Inputs: `care_level` (jigyo, shien1, shien2, kaigo1…kaigo5), `care_management_type` (A / B / C, default A; only
read for 事業対象者・要支援), `plan_start` (YYYY-MM-DD), `month` (YYYY-MM, from the plan-start month to the
evaluation month), `evaluation_month` (YYYY-MM; required for 事業対象者・要支援), `state_changed`,
`video_conditions_met` (bools, default false), `last_home_visit_month` (YYYY-MM of the latest home visit, not after
`month`, or null when there has been none).

Parameters (municipality.toml `[switches]`):
- `start_month_home_visit` (bool, default false; 鈴鹿亀山 true): the start month needs a home visit.
- `type_b_monitoring` (`"A"` default, or `"C"`): how type B 介護予防ケアマネジメント is monitored (outside the seeds).
- `video_monitoring` (bool, default true: the national rule [N]; 奥州 and 前橋 set it true): when false, the
  municipality does not use video interviews and `video_conditions_met` is ignored.

Interpretations:
- A visit in `month` itself never lifts that month's requirement (the output is the duty, not whether it is done).
- 鈴鹿亀山 month 5 of its 6-month example is blank in both rows; read as a non-visit contact month (monthly
  monitoring is mandatory), so `contact_required` is true in every month.
- "Two consecutive periods" counts only P1, P2, …: the start month is not a period, so with video conditions P1
  alone never forces a visit (P1+P2 can be covered by a visit in P2).
- 要介護 and 要支援 differ only as the seeds say; 要介護 has no evaluation-month rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.vocabulary import CURRENT_LEVELS
from engine.vocabulary import KAIGO_LEVELS
from handlers.decisions.inputs import InputReader
from handlers.decisions.inputs import Month
from handlers.decisions.inputs import param

PERIOD_MONTHS = 3


def monitoring_requirement(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Return `contact_required`, `home_visit_required`, `video_allowed`, `record_required` for `month`."""
    read = InputReader("monitoring_requirement", inputs)
    level = read.choice("care_level", "要介護度", CURRENT_LEVELS)
    if inputs.get("care_level") in ("pending", "higaito"):
        read.details["care_level"] = (
            "要介護度(care_level)が申請中・非該当ではモニタリングの基準を決められません"
            "(暫定プランなら見込みの要介護度を指定してください)"
        )
    kind = read.choice("care_management_type", "ケアマネジメントの類型", ("A", "B", "C"), default="A")
    plan_start = read.day("plan_start", "計画の開始日")
    month = read.month("month", "対象月")
    preventive = level is not None and level not in KAIGO_LEVELS
    evaluation = read.month("evaluation_month", "評価月", optional=not preventive)
    state_changed = read.flag("state_changed", "状態の著しい変化", default=False)
    video = read.flag("video_conditions_met", "テレビ電話装置等による面接の要件", default=False)
    last_visit = read.month("last_home_visit_month", "直近の居宅訪問月", optional=True)
    start = Month.of(plan_start) if plan_start else None
    if start and month and month < start:
        read.fail("month", f"対象月(month)は計画の開始月({start})以降の月です")
    if start and evaluation and evaluation < start:
        read.fail("evaluation_month", f"評価月(evaluation_month)は計画の開始月({start})以降の月です")
    if preventive and month and evaluation and month > evaluation:
        read.fail("month", f"対象月(month)は評価月({evaluation})までの月です(次の計画期間は新しい計画で判定します)")
    if month and last_visit and last_visit > month:
        read.fail("last_home_visit_month", f"直近の居宅訪問月(last_home_visit_month)は対象月({month})以前の月です")
    read.check()
    assert level is not None and start is not None and month is not None
    video = video and bool(param(params, "video_monitoring", True, (True, False)))
    type_b = param(params, "type_b_monitoring", "A", ("A", "C"))
    if preventive and (kind == "C" or (kind == "B" and type_b == "C")):
        return _result(contact=False, visit=False, video=False)

    if not preventive:
        visited_last_month = last_visit == month + -1
        visit = not video or state_changed or not visited_last_month
        return _result(contact=True, visit=visit, video=video and not visit)

    assert evaluation is not None
    visit = (
        state_changed
        or month == evaluation
        or (month == start and bool(param(params, "start_month_home_visit", False, (True, False))))
        or _period_visit_due(start, month, last_visit, video)
    )
    return _result(contact=True, visit=visit, video=video and not visit)


def _period_visit_due(start: Month, month: Month, last_visit: Month | None, video: bool) -> bool:
    """Whether `month` closes a 3-month period that still lacks its home visit (see the module docstring)."""
    elapsed = month - start
    if elapsed == 0 or elapsed % PERIOD_MONTHS:
        return False  # the start month belongs to no period; only a period's last month can require the visit
    period = elapsed // PERIOD_MONTHS
    period_start = start + (PERIOD_MONTHS * (period - 1) + 1)
    if last_visit is not None and period_start <= last_visit < month:
        return False
    if not video:
        return True
    if period == 1:
        return False
    previous_start = period_start + -PERIOD_MONTHS
    return not (last_visit is not None and previous_start <= last_visit < period_start)


def _result(*, contact: bool, visit: bool, video: bool) -> dict[str, Any]:
    return {
        "contact_required": contact,
        "home_visit_required": visit,
        "video_allowed": video,
        "record_required": contact,
    }
