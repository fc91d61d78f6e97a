"""The canonical vocabulary of cases and diagrams, one home for each word: care levels (要介護度) and their named sets,
the 被保険者番号 rule, and the BPMN node kinds the engine understands. Step, role and flow names are in
engine/process_library/canonical.py; Japanese dates in engine/japanese_dates.py.

A care level is stored as its code (`kaigo1`); `CareLevel` is a str enum, so its members equal those codes and
every set below can be tested with a plain string.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from engine.japanese_dates import normalise_width


class CareLevel(StrEnum):
    """The care levels of CONTRACT.md, in its order."""

    JIGYO = "jigyo"
    SHIEN1 = "shien1"
    SHIEN2 = "shien2"
    KAIGO1 = "kaigo1"
    KAIGO2 = "kaigo2"
    KAIGO3 = "kaigo3"
    KAIGO4 = "kaigo4"
    KAIGO5 = "kaigo5"
    HIGAITO = "higaito"
    PENDING = "pending"

    @property
    def label(self) -> str:
        return CARE_LEVEL_NAMES[self.value]


CARE_LEVEL_NAMES: dict[str, str] = {
    "jigyo": "事業対象者",
    "shien1": "要支援1",
    "shien2": "要支援2",
    "kaigo1": "要介護1",
    "kaigo2": "要介護2",
    "kaigo3": "要介護3",
    "kaigo4": "要介護4",
    "kaigo5": "要介護5",
    "higaito": "非該当",
    "pending": "申請中",
}
"""Each level's Japanese name, as staff pages and 帳票 print it, in CONTRACT.md's order."""

ALL_LEVELS: tuple[str, ...] = tuple(level.value for level in CareLevel)
"""Every level a case may hold: 事業対象者, 要支援1・2, 要介護1〜5, 非該当, 申請中."""

KAIGO_LEVELS: tuple[str, ...] = ("kaigo1", "kaigo2", "kaigo3", "kaigo4", "kaigo5")
"""要介護1〜5: 居宅介護支援, written by an office; no center is needed (004, 003:1025)."""

SHIEN_LEVELS: tuple[str, ...] = ("shien1", "shien2")
"""要支援1・2: 介護予防支援."""

CERTIFIED_LEVELS: tuple[str, ...] = (*SHIEN_LEVELS, *KAIGO_LEVELS)
"""The levels a certification can grant (要支援1〜要介護5)."""

CURRENT_LEVELS: tuple[str, ...] = ("jigyo", *CERTIFIED_LEVELS)
"""The levels a client is served under (事業対象者, 要支援1・2, 要介護1〜5): renewal, level change and monitoring
start from one of these."""

RESULT_LEVELS: tuple[str, ...] = ("jigyo", *CERTIFIED_LEVELS, "higaito")
"""What a certification result can be: 事業対象者, 要支援1・2, 要介護1〜5, 非該当."""

assert set(CARE_LEVEL_NAMES) == set(ALL_LEVELS), "every level has its Japanese name"


def care_level_name(code: str | None) -> str:
    """The Japanese name of a level code; "未登録" for none, the code itself if unknown."""
    if not code:
        return "未登録"
    return CARE_LEVEL_NAMES.get(code, code)


# -- 被保険者番号 -------------------------------------------------------------------------------------------

INSURED_NUMBER_MESSAGE = "被保険者番号は数字10桁で入力してください(例: 0123456789)"
_INSURED_NUMBER = re.compile(r"[0-9]{10}")


def read_insured_number(value: Any) -> str:
    """The 被保険者番号 as stored: 10 half-width digits (full-width digits are accepted and normalised first).

    Raises ValueError(INSURED_NUMBER_MESSAGE) for anything else.
    """
    # A number read from YAML or JSON is accepted as its digits; a bool is not a number here.
    text = normalise_width(str(value)).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not _INSURED_NUMBER.fullmatch(text):
        raise ValueError(INSURED_NUMBER_MESSAGE)
    return text


def insured_number_problem(value: Any) -> str | None:
    """INSURED_NUMBER_MESSAGE when the value is not a 被保険者番号, None when it is."""
    try:
        read_insured_number(value)
    except ValueError as exc:
        return str(exc)
    return None


# -- BPMN ----------------------------------------------------------------------------------------------------

ACTIVITY_KINDS = frozenset(
    {
        "userTask",
        "manualTask",
        "task",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
    }
)
"""BPMN element names of the activities (the steps a flow is made of)."""

NODE_KINDS = ACTIVITY_KINDS | {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
}
"""BPMN element names of every flow node: activities, events and gateways."""
