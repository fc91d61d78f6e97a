"""provisional_plan_author: the DMN table of DOMAIN §10.3 (003:808-842), evaluated by the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.errors import ValidationError
from engine.process_library.decisions import Decisions

DMN = Path(__file__).resolve().parents[2] / "processes" / "common" / "decisions" / "provisional_plan_author.dmn"
CARE = ["kaigo1", "kaigo2", "kaigo3", "kaigo4", "kaigo5"]
PREVENTIVE = ["shien1", "shien2"]


def decide(**inputs: Any) -> dict[str, Any]:
    decisions = Decisions({"provisional_plan_author": DMN.read_text(encoding="utf-8")}, {}, {})
    return decisions.decide("provisional_plan_author", inputs)


ROWS = [
    # (application_type, current_benefit, levels, plan_author, plan_benefit, coordinate_with_center)
    ("new", "none", CARE, "office", "care", False),  # 3(1)①
    ("new", "program", CARE, "office", "care", False),  # 3(1)① from 事業対象者 (003:788)
    ("new", "none", PREVENTIVE, "center", "preventive", False),  # 3(1)②
    ("new", "program", PREVENTIVE, "center", "preventive", False),
    ("level_change", "preventive", CARE, "office", "care", False),  # 3(2)①
    ("level_change", "preventive", PREVENTIVE, "center", "preventive", False),  # 3(2)②
    ("level_change", "care", CARE, "office", "care", False),  # 3(3)①
    ("level_change", "care", PREVENTIVE, "center", "preventive", True),  # 3(3)②
    ("renewal", "preventive", CARE, "office", "care", False),  # 3(4) = 3(2), 3(3)
    ("renewal", "preventive", PREVENTIVE, "center", "preventive", False),
    ("renewal", "care", CARE, "office", "care", False),
    ("renewal", "care", PREVENTIVE, "center", "preventive", True),
]


@pytest.mark.parametrize(
    "application_type, current_benefit, level, author, benefit, coordinate",
    [(t, b, level, a, pb, c) for (t, b, levels, a, pb, c) in ROWS for level in levels],
)
def test_every_row(
    application_type: str, current_benefit: str, level: str, author: str, benefit: str, coordinate: bool
) -> None:
    out = decide(application_type=application_type, current_benefit=current_benefit, expected_level=level)
    assert out == {"plan_author": author, "plan_benefit": benefit, "coordinate_with_center": coordinate}
    assert type(out["coordinate_with_center"]) is bool


@pytest.mark.parametrize(
    "application_type, current_benefit",
    [
        ("new", "preventive"),
        ("new", "care"),
        ("level_change", "none"),
        ("level_change", "program"),
        ("renewal", "none"),
        ("renewal", "program"),
    ],
)
def test_combinations_outside_the_table_are_refused(application_type: str, current_benefit: str) -> None:
    with pytest.raises(ValidationError) as caught:
        decide(application_type=application_type, current_benefit=current_benefit, expected_level="kaigo1")
    assert caught.value.message == (
        "判定「provisional_plan_author」: 入力の組み合わせに当てはまる規則がありません("
        f"application_type='{application_type}', current_benefit='{current_benefit}', expected_level='kaigo1')"
    )


def test_extra_instance_data_is_ignored() -> None:
    out = decide(application_type="new", current_benefit="none", expected_level="kaigo3", care_level="pending")
    assert out["plan_author"] == "office"


def details(**inputs: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        decide(**inputs)
    assert caught.value.message == "判定「provisional_plan_author」の入力が正しくありません"
    return caught.value.details


def test_missing_inputs() -> None:
    assert details(expected_level=None) == {
        "application_type": "申請の種類を入力してください",
        "current_benefit": "現在の給付を入力してください",
        "expected_level": "認定結果の見込みを入力してください",
    }


def test_unknown_values() -> None:
    assert details(application_type="update", current_benefit="kaigo", expected_level="higaito") == {
        "application_type": "申請の種類は選択肢の中から指定してください",
        "current_benefit": "現在の給付は選択肢の中から指定してください",
        "expected_level": "認定結果の見込みは選択肢の中から指定してください",
    }
