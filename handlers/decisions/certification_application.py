"""Check a 更新申請 (renewal) or 区分変更申請 (level change) and compute its dates, before the result is known.

Sources: DOMAIN.md §6.2, §7.1, §8.4, §11.6; 前橋 004_f6001c94592c1eac.txt:570-572 (the application is made at least
30 days before the validity ends); 鈴鹿亀山 003_ac00e42d951987eb.txt:852-860 (特例 when applied 31 days or more
before the end; a result not fixed within the old validity needs a 暫定 plan, 003:786-788, 840-842).

Called by the `renewal` and `level_change` diagrams right after the application form. It keeps what the result will
overwrite (the certification_result_entry form writes the new `certification_start`/`certification_end`, and the
result decision the new `care_level`), so later steps can still compare old and new:

    previous_care_level        = care_level
    previous_certification_start / previous_certification_end = certification_start / certification_end
    previous_delegated         = delegated
    previous_benefit           = current_benefit, or the benefit of care_level when unset
    current_benefit            = the same (so a 暫定 plan started from here knows the current benefit, 003:808-842)

and, for a renewal:

    renewal_ready_from         = certification_end - renewal_ready_days           (60 [N]; issue 6 schedules it)
    renewal_apply_by           = certification_end - renewal_support_days          (30, 004:570-572)
    application_days_before_end = certification_end - application_date (days)
    renewal_application_late   = application_date > renewal_apply_by
    special_handling_apply_by  = certification_end - special_handling_min_days     (鈴鹿亀山 31; null elsewhere)
    result_wait_until          = 00:00 JST of (certification_end - provisional_lead_days + 1 day)

`result_wait_until` is the timer of the renewal diagram: when no result has been registered by then, the 暫定 route
starts (DOMAIN §6.1: "result not known by certification_end"). With the default lead of 0 days it fires as the day
after certification_end begins, so a result registered on certification_end itself is in time (as §10.4 counts it).

Inputs: `application_type` (`renewal` | `level_change`), `application_date`, `certification_end` (ISO dates),
`care_level` (the current level: jigyo, shien1-2, kaigo1-5), optional `certification_start`, `delegated`,
`current_benefit`.

Refused (ValidationError, Japanese, per input):
- a renewal applied after `certification_end` (that is a new application, not a renewal) [N];
- a renewal applied earlier than `renewal_earliest_days` (60) before the end: the 更新申請 can be filed from 60 days
  before the validity ends (介護保険法施行規則 第39条) [N];
- a level change applied outside the current validity (`certification_start`..`certification_end`) [N];
- a current level that is not a certified level or 事業対象者 (非該当 / 申請中 clients have nothing to renew).

Parameters (municipality.toml `[deadlines]`, all optional):
- `renewal_support_days` (30): the support duty, 004:570-572 (the diagram's dueRule reads the same parameter:
  `data.certification_end-days.renewal_support_days`);
- `renewal_ready_days` (60) and `renewal_earliest_days` (60): the national window for filing [N];
- `special_handling` / `special_handling_min_days`: as the `special_handling` decision (鈴鹿亀山 31);
- `provisional_lead_days` (0): start the 暫定 route this many days before the end instead of after it [I]. 前橋's
  別紙2 wants the 暫定 series done *by* certification_end (004:3808-3812), which a lead of about 14 days allows:
  前橋 sets 14 (its 暫定 `expected_level_judgement` is then due on certification_end).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from datetime import timedelta
from typing import Any

from engine.errors import ValidationError
from engine.vocabulary import CURRENT_LEVELS
from engine.vocabulary import KAIGO_LEVELS
from engine.vocabulary import SHIEN_LEVELS
from handlers.decisions.inputs import InputReader
from handlers.decisions.inputs import param

BENEFITS = ("preventive", "care", "program", "none")


def benefit_of(level: str | None) -> str:
    """The benefit a level gives by default: 介護給付, 予防給付, 総合事業, or none."""
    if level in KAIGO_LEVELS:
        return "care"
    if level in SHIEN_LEVELS:
        return "preventive"
    if level == "jigyo":
        return "program"
    return "none"


def _days(params: Mapping[str, Any], name: str, default: int) -> int:
    value = param(params, name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            f"municipality.toml の {name} は 0 以上の整数です(現在: {value!r})",
            details={name: "0 以上の整数で指定してください"},
        )
    return value


def certification_application(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Return the previous values and the renewal's dates; refuse an application outside its window."""
    read = InputReader("certification_application", inputs)
    application_type = read.choice("application_type", "申請の種類", ("renewal", "level_change"))
    application_date = read.day("application_date", "申請日")
    certification_end = read.day("certification_end", "認定有効期間の終了日")
    certification_start = read.day("certification_start", "認定有効期間の開始日", optional=True)
    care_level = read.choice("care_level", "現在の要介護度", CURRENT_LEVELS)
    delegated = read.flag("delegated", "委託", default=False)
    current_benefit = read.choice("current_benefit", "現在の給付", BENEFITS, default=None)
    read.check()
    assert application_date is not None and certification_end is not None

    support_days = _days(params, "renewal_support_days", 30)
    ready_days = _days(params, "renewal_ready_days", 60)
    earliest_days = _days(params, "renewal_earliest_days", 60)
    lead_days = _days(params, "provisional_lead_days", 0)
    configured_min = param(params, "special_handling_min_days", None)
    special_enabled = param(params, "special_handling", configured_min is not None, (True, False))
    special_min = _days(params, "special_handling_min_days", 31) if special_enabled else None

    details: dict[str, str] = {}
    if application_type == "renewal":
        earliest = certification_end - timedelta(days=earliest_days)
        if application_date > certification_end:
            details["application_date"] = (
                f"申請日(application_date)が認定有効期間の終了日({certification_end.isoformat()})を過ぎています。"
                "有効期間が終わった後は更新ではなく新規の申請です"
            )
        elif application_date < earliest:
            details["application_date"] = (
                f"更新申請は認定有効期間の終了日の{earliest_days}日前({earliest.isoformat()})から行えます"
                f"(申請日: {application_date.isoformat()})"
            )
    else:
        if application_date > certification_end or (certification_start and application_date < certification_start):
            period = (
                f"{certification_start.isoformat() if certification_start else ''}〜{certification_end.isoformat()}"
            )
            details["application_date"] = (
                f"区分変更の申請日(application_date)は現在の認定有効期間({period})の中の日付です"
            )
    if details:
        raise ValidationError("申請の内容に誤りがあります", details=details)

    outputs: dict[str, Any] = {
        "application_type": application_type,
        "previous_care_level": care_level,
        "previous_certification_start": certification_start.isoformat() if certification_start else None,
        "previous_certification_end": certification_end.isoformat(),
        "previous_delegated": delegated,
        "previous_benefit": current_benefit or benefit_of(care_level),
        "current_benefit": current_benefit or benefit_of(care_level),
    }
    if application_type == "renewal":
        apply_by = certification_end - timedelta(days=support_days)
        wait_until = certification_end - timedelta(days=lead_days) + timedelta(days=1)
        outputs.update(
            {
                "renewal_ready_from": (certification_end - timedelta(days=ready_days)).isoformat(),
                "renewal_apply_by": apply_by.isoformat(),
                "application_days_before_end": (certification_end - application_date).days,
                "renewal_application_late": application_date > apply_by,
                "special_handling_apply_by": (
                    (certification_end - timedelta(days=special_min)).isoformat() if special_min is not None else None
                ),
                "result_wait_until": _midnight_jst(wait_until),
            }
        )
    return outputs


def _midnight_jst(day: date) -> str:
    return f"{day.isoformat()}T00:00:00+09:00"
