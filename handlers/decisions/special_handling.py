"""Decide whether a late renewal result qualifies for 鈴鹿亀山's 暫定ケアプランの特例取扱い.

Sources: DOMAIN.md §8.4 and §10.4; 鈴鹿亀山 II 5 (003_ac00e42d951987eb.txt:852-860): "更新申請を認定有効期間終了日の
31日以前に申請し、認定結果が、更新前の認定有効期間内に確定せず …". The form is 003:893-918.

    eligible = (certification_end - application_date).days >= special_handling_min_days
               and (result_date is None or result_date > certification_end)

A result on `certification_end` itself was fixed within the old validity, so it is not eligible (and no 暫定 plan
was needed). The procedural conditions (center and office cooperating; the 申出書 and the 暫定 plan received by the
広域) are workflow facts: the case flag `special_handling` is this output **and** `special_handling_receipt` done.

Inputs: `application_date`, `certification_end` (ISO dates, required), `result_date` (ISO date; absent or null
while the result is pending), `application_type` (optional: when given, anything but `renewal` is not eligible,
because the 特例 is for renewals only).

Parameters (municipality.toml):
- `special_handling` (`[switches]`, bool; default true when `special_handling_min_days` is set, else false;
  鈴鹿亀山 true, the others false): whether the municipality has the 特例 at all. The national rule has none [?],
  so without it the decision is always false.
- `special_handling_min_days` (`[deadlines]`, int, default 31 when `special_handling` is true; 鈴鹿亀山 31): the
  application must be at least this many days before the end of validity.

Interpretation: "31日以前" is read as 31 or more days before the end date by simple date difference (end − 31 days
is the last eligible day: validity ending 2026-03-31 → apply by 2026-02-28), as DOMAIN §10.4 does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import ValidationError
from handlers.decisions.inputs import InputReader
from handlers.decisions.inputs import param

DEFAULT_MIN_DAYS = 31
"""鈴鹿亀山's "認定有効期間終了日の31日以前" (003:856), the only 特例 in the seeds."""


def special_handling(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Return `special_handling_eligible` (DOMAIN §10.4)."""
    read = InputReader("special_handling", inputs)
    application_date = read.day("application_date", "更新申請日")
    certification_end = read.day("certification_end", "認定有効期間の終了日")
    result_date = read.day("result_date", "認定結果の確定日", optional=True)
    application_type = read.choice(
        "application_type", "申請の種類", ("new", "renewal", "level_change"), default="renewal"
    )
    read.check()
    configured_days = param(params, "special_handling_min_days", None)
    enabled = param(params, "special_handling", configured_days is not None, (True, False))
    min_days = configured_days if configured_days is not None else DEFAULT_MIN_DAYS
    if isinstance(min_days, bool) or not isinstance(min_days, int) or min_days < 0:
        raise ValidationError(
            f"municipality.toml の special_handling_min_days は 0 以上の整数です(現在: {min_days!r})",
            details={"special_handling_min_days": "0 以上の整数で指定してください"},
        )
    assert application_date is not None and certification_end is not None
    eligible = (
        enabled
        and application_type == "renewal"
        and (certification_end - application_date).days >= min_days
        and (result_date is None or result_date > certification_end)
    )
    return {"special_handling_eligible": eligible}
