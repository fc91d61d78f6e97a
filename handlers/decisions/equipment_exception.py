"""Decide the route of a 軽度者 rental of an excluded item (福祉用具貸与の例外給付).

Sources: DOMAIN.md §9 and §10.2; 鈴鹿亀山 IV (003_ac00e42d951987eb.txt:1019-1104: 対象外種目 1021-1031, the three
routes 1033-1058, 別紙1 1091-1104); 前橋 自主点検表 10-11 (004_f6001c94592c1eac.txt:1193-1294, 表2 1393-1425).
The 別紙1 table is 平成27年厚生労働省告示第94号 第31号 (老企第36号 第2の9(2)).

Outputs (CONTRACT.md): `equipment_restricted` (the item is excluded from insurance rental for this level),
`exception_route` and `consultation_required`. Routes, in this order:

1. `ineligible` for 事業対象者 (`jigyo`) and 非該当 (`higaito`): no 福祉用具貸与 under insurance at all [N].
2. `not_restricted` when the item is outside ア–カ, or the level is not restricted for it: ア–カ are restricted for
   要支援1・2 and 要介護1; カ 自動排泄処理装置 also for 要介護2・3 (003:1021-1023, 1183); nothing for 要介護4・5.
3. `survey_match` when the latest 認定調査 (基本調査, and for エ the 主治医意見書) confirms the state of 別紙1 →
   no 協議; the care manager decides the need through the service meeting (003:1035-1037; 004:1259-1264).
4. ア(二) mobility support (`mobility_support_needed`, wheelchair) / オ(三) step removal (`step_removal_needed`,
   transfer lift) have no survey item: `consultation` when `require_consultation_for_a2_o3` (鈴鹿亀山
   003:1039-1047), else `care_manager_judgement` (national; 前橋 004:1266-1270: the CM decides from the doctor's
   information and the meeting, no 協議).
5. `consultation` when a doctor found i) ii) or iii) (`doctor_finding`; 003:1049-1058; 004:1395-1425).
6. Otherwise `ineligible`.

Survey answer codes (DOMAIN §9.4; scales of the national survey form [N]): 1-3 寝返り, 1-4 起き上がり, 1-7 歩行,
1-8 立ち上がり: 3 = できない; 2-1 移乗, 2-2 移動, 2-6 排便: 3 = 一部介助, 4 = 全介助; 3-1 意思の伝達: 1 = できる;
3-2…3-7: 2 = できない; 3-8, 3-9, 4-1…4-15: 1 = ない.

Inputs: `care_level` (required), `equipment_item` (required; one of the seven ids or any other item id),
`survey` (object, default {}), `mobility_support_needed`, `step_removal_needed`, `dementia_noted_by_doctor`
(bools, default false), `doctor_finding` (`i` / `ii` / `iii` / `none` or null, default none). While the
certification is pending (`care_level = pending`) the rule is applied to `expected_level` (DOMAIN §10.2, §8.7),
which is then required.

Parameters (municipality.toml `[switches]`):
- `require_consultation_for_a2_o3` (bool, default false; 鈴鹿亀山 true): ア(二)/オ(三) need 協議 with the insurer.

Interpretations:
- An unanswered survey item confirms nothing: エ(一) needs a 3-x/4-x answer (or the doctor's dementia note), and
  エ(二) "移動において全介助を必要としない" needs 2-2 answered and not 4.
- For 事業対象者 and 非該当 `equipment_restricted` is true for every item (no item can be rented under insurance);
  DOMAIN's pseudo-code leaves it false there, which would let a gateway on `equipment_restricted` plan a rental.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.vocabulary import ALL_LEVELS
from engine.vocabulary import CERTIFIED_LEVELS
from handlers.decisions.inputs import InputReader
from handlers.decisions.inputs import param

EXCLUDED_ITEMS = (
    "wheelchair",  # ア 車いす・車いす付属品
    "special_bed",  # イ 特殊寝台・特殊寝台付属品
    "pressure_mattress",  # ウ 床ずれ防止用具
    "positioning_device",  # ウ 体位変換器
    "wandering_sensor",  # エ 認知症老人徘徊感知機器
    "transfer_lift",  # オ 移動用リフト(つり具の部分を除く)
    "auto_excretion",  # カ 自動排泄処理装置(尿のみを自動的に吸引するものを除く)
)
LEVELS_ALL_ITEMS = frozenset({"shien1", "shien2", "kaigo1"})
LEVELS_EXCRETION = frozenset({"kaigo2", "kaigo3"})
NO_INSURANCE_RENTAL = frozenset({"jigyo", "higaito"})
DOCTOR_FINDINGS = ("i", "ii", "iii", "none")

SURVEY_ITEMS: dict[str, tuple[str, int]] = {
    "1-3": ("寝返り", 3),
    "1-4": ("起き上がり", 3),
    "1-7": ("歩行", 3),
    "1-8": ("立ち上がり", 3),
    "2-1": ("移乗", 4),
    "2-2": ("移動", 4),
    "2-6": ("排便", 4),
    "3-1": ("意思の伝達", 4),
    "3-2": ("毎日の日課を理解", 2),
    "3-3": ("生年月日や年齢を言う", 2),
    "3-4": ("短期記憶", 2),
    "3-5": ("自分の名前を言う", 2),
    "3-6": ("今の季節を理解", 2),
    "3-7": ("場所の理解", 2),
    "3-8": ("徘徊", 3),
    "3-9": ("外出すると戻れない", 3),
    **{f"4-{n}": ("精神・行動障害", 3) for n in range(1, 16)},
}
"""The 基本調査 items 別紙1 tests: key -> (name, highest answer number)."""

_COGNITION_CANNOT = tuple(f"3-{n}" for n in range(2, 8))
_BEHAVIOUR = ("3-8", "3-9", *(f"4-{n}" for n in range(1, 16)))


def equipment_exception(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Return `equipment_restricted`, `exception_route` and `consultation_required` (DOMAIN §10.2)."""
    read = InputReader("equipment_exception", inputs)
    care_level = read.choice("care_level", "要介護度", ALL_LEVELS)
    if care_level == "pending":
        care_level = read.choice(
            "expected_level", "見込みの要介護度(申請中のときは見込みで判定します)", CERTIFIED_LEVELS
        )
    item = read.text("equipment_item", "福祉用具の種目")
    survey = _survey(read)
    mobility = read.flag("mobility_support_needed", "ア(二) 移動の支援が特に必要", default=False)
    steps = read.flag("step_removal_needed", "オ(三) 段差の解消が必要", default=False)
    dementia = read.flag("dementia_noted_by_doctor", "主治医意見書に認知症の症状の記載", default=False)
    finding = "none"
    if inputs.get("doctor_finding") != "":  # an empty form field means no finding
        finding = read.choice("doctor_finding", "医師の医学的所見", DOCTOR_FINDINGS, default="none")
    read.check()
    a2_o3_consultation = bool(param(params, "require_consultation_for_a2_o3", False, (True, False)))

    if care_level in NO_INSURANCE_RENTAL:
        return _result(True, "ineligible")
    restricted = item in EXCLUDED_ITEMS and (
        care_level in LEVELS_ALL_ITEMS or (item == "auto_excretion" and care_level in LEVELS_EXCRETION)
    )
    if not restricted:
        return _result(False, "not_restricted")
    if survey_match(str(item), survey, dementia):
        return _result(True, "survey_match")
    if (item == "wheelchair" and mobility) or (item == "transfer_lift" and steps):
        return _result(True, "consultation" if a2_o3_consultation else "care_manager_judgement")
    if finding in ("i", "ii", "iii"):
        return _result(True, "consultation")
    return _result(True, "ineligible")


def survey_match(item: str, survey: Mapping[str, int], dementia_noted_by_doctor: bool = False) -> bool:
    """Whether the survey confirms the 別紙1 state for an excluded item (003:1091-1104 = 004:1296-1393)."""
    answer = survey.get
    if item == "wheelchair":  # ア(一) 日常的に歩行が困難
        return answer("1-7") == 3
    if item == "special_bed":  # イ(一) 起き上がり or (二) 寝返りが困難
        return answer("1-4") == 3 or answer("1-3") == 3
    if item in ("pressure_mattress", "positioning_device"):  # ウ 寝返りが困難 (1-4 does not count)
        return answer("1-3") == 3
    if item == "wandering_sensor":  # エ (一) and (二)
        communication = answer("3-1") not in (None, 1)
        cannot = any(answer(k) == 2 for k in _COGNITION_CANNOT)
        behaviour = any(answer(k) not in (None, 1) for k in _BEHAVIOUR)
        impaired = communication or cannot or behaviour or dementia_noted_by_doctor
        return impaired and answer("2-2") not in (None, 4)
    if item == "transfer_lift":  # オ(一) 立ち上がりが困難 or (二) 移乗が一部介助・全介助
        return answer("1-8") == 3 or answer("2-1") in (3, 4)
    if item == "auto_excretion":  # カ (一) 排便が全介助 and (二) 移乗が全介助
        return answer("2-6") == 4 and answer("2-1") == 4
    return False


def _survey(read: InputReader) -> dict[str, int]:
    raw = read.inputs.get("survey")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        read.fail("survey", '認定調査の回答(survey)は {"1-3": 3, …} の形で指定してください')
        return {}
    answers: dict[str, int] = {}
    for key, value in raw.items():
        if key not in SURVEY_ITEMS or value is None:
            continue  # other survey items are not tested by 別紙1
        title, highest = SURVEY_ITEMS[key]
        number = int(value) if isinstance(value, str) and value.strip().isdigit() else value
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= highest:
            read.fail(f"survey.{key}", f"認定調査 基本調査 {key}({title})の回答は 1〜{highest} の番号です")
            continue
        answers[key] = number
    return answers


def _result(restricted: bool, route: str) -> dict[str, Any]:
    return {
        "equipment_restricted": restricted,
        "exception_route": route,
        "consultation_required": route == "consultation",
    }
