"""One flow across every municipality: rows of canonical steps in flow order, local additions, CSV for Excel."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from engine.comparison.matrix import build_matrix
from engine.comparison.matrix import merge_orders
from engine.process_library.loader import Library

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def library() -> Library:
    import handlers

    return Library(ROOT / "processes", python_decisions=handlers.python_decisions())


@pytest.fixture(scope="module")
def new_case(library):
    return build_matrix(library, sorted(library.municipalities()), "new_case")


def test_rows_are_canonical_steps_in_flow_order(new_case):
    steps = [row.step for row in new_case.rows]
    assert steps[0] == "intake"
    assert steps.index("contract") < steps.index("assessment") < steps.index("plan_draft") < steps.index("evaluation")
    assert all(row.canonical for row in new_case.rows)
    assert not any(step.startswith("toyokawa_") for step in steps)


def test_cells_say_who_by_when_and_with_which_form(new_case):
    rows = {row.step: row for row in new_case.rows}
    toyokawa = rows["notification_acceptance"].cells["toyokawa"]
    assert toyokawa.present
    assert toyokawa.who == "保険者(介護高齢課介護保険係)"
    assert toyokawa.due == "作業可能になってから7日以内"
    assert toyokawa.form == "notification_acceptance"
    assert not rows["certification_materials"].cells["toyokawa"].present
    assert rows["certification_materials"].cells["suzuka-kameyama"].present
    # 前橋市 (居宅介護支援): the office plans itself, no delegation to request.
    assert not rows["delegation_request"].cells["maebashi"].present
    assert rows["assessment"].cells["maebashi"].who.startswith("居宅介護支援事業所")


def test_local_additions_per_municipality(new_case):
    local = {key: [step.step for step in steps] for key, steps in new_case.local.items()}
    assert {"toyokawa_commission_notice", "toyokawa_internal_approval"} <= set(local["toyokawa"])
    # The office's own 居宅介護支援 contract (new_case gw_planner, issue 11) is drawn in the three center flows.
    own_contract = {"care_contract", "care_plan_request_notification"}
    assert set(local["suzuka-kameyama"]) == own_contract
    assert all(step.startswith("toyokawa_") for step in set(local["toyokawa"]) - own_contract)


def test_csv_has_a_bom_and_one_block_of_columns_per_municipality(new_case):
    data = new_case.to_csv()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["手順ID", "手順", "標準"]
    assert len(header) == 3 + 4 * len(new_case.columns)
    assert "豊川市 有無" in header and "鈴鹿亀山地区広域連合 期限" in header
    body = {row[0]: row for row in rows[1 : 1 + len(new_case.rows)]}
    column = header.index("豊川市 有無")
    assert body["certification_materials"][column] == "-"
    assert body["materials_handover"][column] == "○"
    assert body["materials_handover"][column + 3] == "materials_handover"
    local = [row for row in rows if len(row) > 1 and row[1] == "toyokawa_internal_approval"]
    assert local and local[0][0] == "豊川市"


def test_a_municipality_that_cannot_be_read_is_a_column_with_its_error(tmp_path):
    for name in ("common", "good", "broken"):
        (tmp_path / name).mkdir()
    shutil.copytree(ROOT / "tests" / "fixtures" / "comparelib" / "common", tmp_path / "common", dirs_exist_ok=True)
    (tmp_path / "good" / "municipality.toml").write_text('name = "良い市"\n', encoding="utf-8")
    (tmp_path / "broken" / "municipality.toml").write_text('name = "壊れた市"\n', encoding="utf-8")
    (tmp_path / "broken" / "new_case.bpmn").write_text("<not-closed>", encoding="utf-8")
    matrix = build_matrix(Library(tmp_path), ["broken", "good"], "new_case")
    broken, good = matrix.columns
    assert broken.error and "壊れた市" in broken.error
    assert good.error is None
    assert [row.step for row in matrix.rows] == ["intake", "assessment", "evaluation"]
    assert "読み込めません" in matrix.to_csv().decode("utf-8-sig")


def test_merge_orders_keeps_agreed_order_and_breaks_conflicts_by_the_contract():
    assert merge_orders([["intake", "contract"], ["intake", "local_x", "contract"]]) == [
        "intake",
        "local_x",
        "contract",
    ]
    # One municipality puts contract first, the other intake first: the contract's order decides.
    assert merge_orders([["contract", "intake"], ["intake", "contract"]]) == ["intake", "contract"]


def test_no_cell_of_the_csv_is_a_formula_for_a_spreadsheet(tmp_path):
    shutil.copytree(ROOT / "tests" / "fixtures" / "comparelib" / "common", tmp_path / "common")
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "municipality.toml").write_text('name = "=HYPERLINK(\\"https://evil.example\\")"\n', "utf-8")
    rows = list(
        csv.reader(io.StringIO(build_matrix(Library(tmp_path), ["evil"], "new_case").to_csv().decode("utf-8-sig")))
    )
    header = rows[0]
    assert '\'=HYPERLINK("https://evil.example") 有無' in header
    cells = [cell for row in rows for cell in row]
    assert not [
        cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r") or (cell.startswith("-") and cell != "-")
    ]


@pytest.fixture(scope="module")
def plan_cycle(library):
    return build_matrix(library, sorted(library.municipalities()), "plan_cycle")


def test_a_step_in_another_order_is_marked_with_what_it_follows(plan_cycle):
    rows = {row.step: row for row in plan_cycle.rows}
    originals = rows["plan_originals_submission"]
    # 豊川: the originals go to the 包括 before the plan is delivered to the providers (001:179-195); 鈴鹿亀山: after.
    assert originals.order_differs
    assert originals.cells["toyokawa"].after == "plan_consent"
    assert originals.cells["suzuka-kameyama"].after == "plan_delivery"
    assert not rows["plan_consent"].order_differs


def test_a_step_done_by_different_roles_is_marked(plan_cycle):
    rows = {row.step: row for row in plan_cycle.rows}
    assert rows["plan_draft"].who_differs  # 前橋: the office's own 居宅介護支援; elsewhere the planner lane
    assert not rows["plan_review"].who_differs


def test_parameters_are_rows_marked_where_the_municipalities_differ(plan_cycle):
    parameters = {row.name: row for row in plan_cycle.parameters}
    attendance = parameters["center_meeting_attendance"]
    assert attendance.differs
    assert attendance.values["toyokawa"] == "on_request"
    assert attendance.values["maebashi"] is None
    assert parameters["results_due_day"].values["suzuka-kameyama"] == 4
    assert not parameters["renewal_ready_days"].differs


def test_csv_ends_with_the_differences_and_the_parameters(plan_cycle):
    rows = list(csv.reader(io.StringIO(plan_cycle.to_csv().decode("utf-8-sig"))))
    differences = rows.index(["違い"])
    assert ["plan_originals_submission", "原本等の包括への提出", "あり", ""] in rows[differences:]
    settings = rows.index(["市町村の設定(municipality.toml)"])
    header = rows[settings + 1]
    by_name = {row[0]: row for row in rows[settings + 2 :]}
    assert by_name["start_month_home_visit"][1] == "あり"
    assert by_name["start_month_home_visit"][header.index("鈴鹿亀山地区広域連合")] == "はい"
    assert by_name["center_meeting_attendance"][header.index("前橋市")] == "未設定(既定値)"
