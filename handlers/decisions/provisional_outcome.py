"""Decide what happens to a 暫定 (provisional) plan once the certification result is known.

Sources: DOMAIN.md §8.5, §8.6 and §10.5; 鈴鹿亀山 II 4-6 (003_ac00e42d951987eb.txt:844-871); 前橋 別紙2
(004_f6001c94592c1eac.txt:3801-3846); national QA (Vol.2 問52, quoted at 003:881-891).

    category(level) = care for kaigo1..5, preventive for shien1..2
    result 非該当 (higaito)                          -> program_or_self_pay (総合事業 if eligible, else self pay;
                                                        003:877)
    same category as expected:
        needs_changed                               -> redo_plan     (003:870-871: 大幅に異なる, state/needs
                                                                       changed, services revised -> full series)
        route "minor"                               -> confirm_minor (鈴鹿亀山 003:866-868: treat as 軽微な変更)
        route "preagreed", confirmation_preagreed
          and result_level == expected_level        -> confirm       (前橋 004:3818-3822: assessment and meeting
                                                                       skipped; consent and delivery remain)
        otherwise                                   -> redo_plan     (national default: a 確定 plan by the series,
                                                                       draft dated on or after the result, 004:3817)
    different category (a plan of the wrong kind cannot be the 確定 plan, 003:846):
        special_handling                            -> handover_to_center (result 要支援) /
                                                       handover_to_office (result 要介護)   (特例, 003:858)
        otherwise                                   -> self_plan (セルフケアプラン扱い, 003:846; QA 問52)

Inputs: `expected_level` (shien1…kaigo5), `result_level` (shien1…kaigo5 or higaito), `special_handling` (bool,
default false: the 特例 case flag), `plan_author` (`center` / `office`; checked, and kept for the record: the
handover goes to the side that serves the result's category whoever wrote the 暫定 plan), `needs_changed` (bool,
default false: the care manager's judgement that the level is 大幅に異なる, or the state, needs or services
changed; "大幅" is not quantified in any seed [?]), `confirmation_preagreed` (bool, default false: the 暫定
meeting agreed that the 暫定 plan becomes the 確定 plan if the expected level comes out, 前橋 別紙2).

Parameters (municipality.toml `[switches]`):
- `provisional_outcome_route` (`national` default | `minor` 鈴鹿亀山 | `preagreed` 前橋 別紙2).

Why Python and not a DMN table: the route is a municipality switch, which a DMN table cannot read (tables see only
instance data), and the rule compares the categories of two inputs; three forked tables would drift apart.

Interpretations:
- 前橋 "見込みどおりの介護度がでて" is read as the exact level (kaigo2 expected, kaigo3 result is not 見込みどおり:
  the 区分支給限度額 differs), so `confirm` needs `result_level == expected_level`; 鈴鹿亀山's 軽微 route compares
  only the category and leaves "大幅に異なる" to the care manager (`needs_changed`), as DOMAIN §10.5 does.
- `self_plan` is not available for 総合事業 services or 生活保護 recipients (003:848-850); the seeds do not say
  what happens then [?]. The flow must warn and send the case to the insurer; this decision does not know either
  fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.vocabulary import CERTIFIED_LEVELS
from engine.vocabulary import KAIGO_LEVELS
from handlers.decisions.inputs import InputReader
from handlers.decisions.inputs import param

ROUTES = ("national", "minor", "preagreed")


def provisional_outcome(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Return `outcome` (DOMAIN §10.5)."""
    read = InputReader("provisional_outcome", inputs)
    expected = read.choice("expected_level", "見込みの要介護度", CERTIFIED_LEVELS)
    result = read.choice("result_level", "認定結果の要介護度", (*CERTIFIED_LEVELS, "higaito"))
    special = read.flag("special_handling", "特例取扱い", default=False)
    read.choice("plan_author", "暫定プランの作成者", ("center", "office"))
    needs_changed = read.flag("needs_changed", "状態・ニーズ・サービスの変化、または区分が大幅に異なる", default=False)
    preagreed = read.flag("confirmation_preagreed", "暫定プランを確定とする事前の合意", default=False)
    read.check()
    route = param(params, "provisional_outcome_route", "national", ROUTES)

    if result == "higaito":
        return {"outcome": "program_or_self_pay"}
    if _category(result) == _category(expected):
        if needs_changed:
            return {"outcome": "redo_plan"}
        if route == "minor":
            return {"outcome": "confirm_minor"}
        if route == "preagreed" and preagreed and result == expected:
            return {"outcome": "confirm"}
        return {"outcome": "redo_plan"}
    if special:
        return {"outcome": "handover_to_office" if _category(result) == "care" else "handover_to_center"}
    return {"outcome": "self_plan"}


def _category(level: str | None) -> str:
    return "care" if level in KAIGO_LEVELS else "preventive"
