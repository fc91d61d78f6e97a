"""minor_change: the DMN table of DOMAIN §10.6 (003:920-1012; 004:1974-2066), evaluated by the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.errors import ValidationError
from engine.process_library.decisions import Decisions

DMN = Path(__file__).resolve().parents[2] / "processes" / "common" / "decisions" / "minor_change.dmn"
KINDS = [
    "weekday",
    "frequency",
    "address",
    "office_name",
    "goal_period",
    "equivalent_equipment",
    "office_change",
    "service_content",
    "care_manager",
]


def minor(**inputs: Any) -> bool:
    decisions = Decisions({"minor_change": DMN.read_text(encoding="utf-8")}, {}, {})
    out = decisions.decide("minor_change", inputs)
    assert set(out) == {"minor"}
    assert type(out["minor"]) is bool
    result: bool = out["minor"]
    return result


@pytest.mark.parametrize("kind", KINDS)
def test_each_of_the_nine_kinds_is_minor_without_a_state_change(kind: str) -> None:
    assert minor(change_kind=kind, state_changed=False, several_service_types=False) is True


@pytest.mark.parametrize("several", [False, True])
@pytest.mark.parametrize("kind", [*KINDS, "other"])
def test_a_state_change_is_never_minor(kind: str, several: bool) -> None:
    assert minor(change_kind=kind, state_changed=True, several_service_types=several) is False


def test_frequency_in_several_service_types_is_not_minor() -> None:
    assert minor(change_kind="frequency", state_changed=False, several_service_types=True) is False  # 003:960
    assert minor(change_kind="frequency", state_changed=False, several_service_types=False) is True


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "frequency"])
def test_several_service_types_only_matters_for_frequency(kind: str) -> None:
    assert minor(change_kind=kind, state_changed=False, several_service_types=True) is True


def test_any_other_change_is_not_minor() -> None:
    assert minor(change_kind="other", state_changed=False, several_service_types=False) is False


def details(**inputs: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        Decisions({"minor_change": DMN.read_text(encoding="utf-8")}, {}, {}).decide("minor_change", inputs)
    assert caught.value.message == "判定「minor_change」の入力が正しくありません"
    return caught.value.details


def test_missing_inputs() -> None:
    assert details() == {
        "change_kind": "変更の種類を入力してください",
        "state_changed": "利用者の状態の変化を入力してください",
        "several_service_types": "複数のサービス種別で回数が増減を入力してください",
    }


def test_unknown_kind_and_non_bool_flags() -> None:
    assert details(change_kind="renewal", state_changed="no", several_service_types=0) == {
        "change_kind": "変更の種類は選択肢の中から指定してください",
        "state_changed": "利用者の状態の変化は はい か いいえ で指定してください",
        "several_service_types": "複数のサービス種別で回数が増減は はい か いいえ で指定してください",
    }
