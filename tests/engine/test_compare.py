"""Comparing two sides of one flow: known pairs from processes/ and a synthetic pair in tests/fixtures/comparelib.

comparelib: `west` and `north` use common's diagrams; `east` overrides new_case (a local step, a stricter
gateway condition, a monthly due rule) and the `level` decision table (one rule's outcome differs).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.comparison import dmn_diff
from engine.comparison.flow_diff import Side
from engine.comparison.flow_diff import diff_flow
from engine.comparison.flow_model import load_flow
from engine.comparison.parameter_diff import diff_parameters
from engine.errors import NotFoundError
from engine.process_library.loader import Library
from engine.scheduling.duewords import describe_due_rule

ROOT = Path(__file__).resolve().parent.parent.parent
COMPARELIB = ROOT / "tests" / "fixtures" / "comparelib"


@pytest.fixture(scope="module")
def library() -> Library:
    import handlers

    return Library(ROOT / "processes", python_decisions=handlers.python_decisions())


@pytest.fixture(scope="module")
def fixture_library() -> Library:
    return Library(COMPARELIB)


def by_id(diffs):
    return {d.id: d for d in diffs}


# -- known pairs in processes/ ------------------------------------------------------------------------------


def test_toyokawa_adds_its_delegation_steps_to_suzuka_kameyamas_new_case(library):
    diff = diff_flow(Side(library, "suzuka-kameyama"), Side(library, "toyokawa"), "new_case")
    steps = by_id(diff.steps)
    for local in ("toyokawa_commission_notice", "toyokawa_internal_approval", "toyokawa_assign_staff"):
        assert steps[local].status == "added"
        assert steps[local].process == "new_case"
    # 豊川市: the 委託連絡票 doubles as the request for the materials, so the insurer's step is not there.
    assert steps["certification_materials"].status == "removed"
    assert steps["toyokawa_internal_approval"].marker == "kf-added"
    right = diff.markers("right")["new_case"]
    left = diff.markers("left")["new_case"]
    assert right["toyokawa_commission_notice"] == "kf-added"
    assert "toyokawa_commission_notice" not in left
    assert left["certification_materials"] == "kf-removed"
    assert "certification_materials" not in right


def test_a_lane_named_differently_for_the_same_role_is_a_wording_change(library):
    diff = diff_flow(Side(library, "suzuka-kameyama"), Side(library, "toyokawa"), "new_case")
    acceptance = by_id(diff.steps)["notification_acceptance"]
    fields = {c.field: c for c in acceptance.changes}
    assert fields["lane"].left == "広域" and fields["lane"].right == "介護高齢課介護保険係"
    assert fields["lane"].text_only
    assert "role" not in fields  # both are the insurer


def test_the_flow_includes_called_and_continued_processes_from_the_overlay(library):
    diff = diff_flow(Side(library, "suzuka-kameyama"), Side(library, "toyokawa"), "new_case")
    files = {row.process: (row.left_file, row.right_file, row.identical) for row in diff.processes}
    assert files["new_case"] == ("suzuka-kameyama/new_case.bpmn", "toyokawa/new_case.bpmn", False)
    assert files["plan_cycle"] == ("suzuka-kameyama/plan_cycle.bpmn", "toyokawa/plan_cycle.bpmn", False)
    assert files["plan_period"] == ("common/plan_period.bpmn", "common/plan_period.bpmn", True)
    # The same common diagram on both sides: only an overlay's own form can differ (鈴鹿亀山's service_end asks for
    # the documents returned to the 包括, 003:627), never a step, flow or condition.
    changed = [c.field for d in diff.elements if d.process == "plan_period" for c in d.changes]
    assert set(changed) <= {"form_fields"}


def test_another_flow_started_at_the_end_is_not_part_of_the_comparison(library):
    model = load_flow(library, "toyokawa", "renewal")
    assert "new_case" not in model.processes  # renewal → new_case is a flow of its own
    assert "plan_period" in model.processes


def test_identical_resolutions_give_an_empty_diff(library):
    diff = diff_flow(Side(library, "toyokawa"), Side(library, "oshu"), "equipment_exception")
    assert diff.is_empty
    assert diff.steps == diff.nodes == diff.flows == []
    assert all(row.identical for row in diff.processes)
    # The parameters are still shown side by side.
    assert {"key", "name", "deadlines.claim_due_day"} <= {p.key for p in diff.parameters}
    same = diff_flow(Side(library, "toyokawa"), Side(library, "toyokawa"), "new_case")
    assert same.is_empty
    assert all(p.status == "equal" for p in same.parameters)


def test_user_tasks_come_in_flow_order(library):
    order = [e.id for e in load_flow(library, "toyokawa", "new_case").user_tasks()]
    assert order[0] == "intake"
    assert order.index("delegation_request") < order.index("toyokawa_assign_staff")
    assert order.index("toyokawa_internal_approval") < order.index("materials_handover") < order.index("contract")
    assert order.index("contract") < order.index("assessment") < order.index("plan_delivery")
    assert order.index("plan_delivery") < order.index("evaluation")


def test_sides_keep_their_labels_for_versions(library):
    diff = diff_flow(Side(library, "toyokawa", "toyokawa@3"), Side(library, "toyokawa", "toyokawa@4"), "new_case")
    assert (diff.left.label, diff.right.label) == ("toyokawa@3", "toyokawa@4")
    assert diff.left.name == "豊川市"


def test_an_unknown_municipality_is_a_japanese_not_found(library):
    with pytest.raises(NotFoundError, match="nowhere"):
        diff_flow(Side(library, "nowhere"), Side(library, "toyokawa"), "new_case")


# -- the synthetic pair -------------------------------------------------------------------------------------


def test_a_changed_gateway_condition_is_reported_on_its_flow(fixture_library):
    diff = diff_flow(Side(fixture_library, "west"), Side(fixture_library, "east"), "new_case")
    flow = by_id(diff.flows)["flow_high"]
    assert flow.status == "changed"
    changes = {c.field: (c.left, c.right) for c in flow.changes}
    assert changes["condition"] == ("points >= 50", "points >= 60")
    assert changes["target"] == ("一連の業務", "東市の追加確認")  # the steps by name, as the page shows them
    assert "flow_low" not in by_id(diff.flows)


def test_a_changed_decision_row_is_matched_by_its_input_entries(fixture_library):
    diff = diff_flow(Side(fixture_library, "west"), Side(fixture_library, "east"), "new_case")
    (level,) = diff.decisions
    assert (level.decision, level.status) == ("level", "changed")
    assert (level.left_file, level.right_file) == ("common/decisions/level.dmn", "east/decisions/level.dmn")
    (rule,) = level.rules
    assert rule.status == "changed"
    assert rule.inputs == {"points": ">= 50"}
    assert rule.left_outputs == {"high": "True", "band": '"high"'}
    assert rule.right_outputs == {"high": "True", "band": '"middle"'}


def test_a_local_step_its_role_and_a_due_rule_in_words(fixture_library):
    diff = diff_flow(Side(fixture_library, "west"), Side(fixture_library, "east"), "new_case")
    steps = by_id(diff.steps)
    assert steps["east_extra_check"].status == "added"
    due = {c.field: c for c in steps["intake"].changes}["due"]
    assert due.left == "作業可能になってから3日以内(ready+P3D)"
    assert due.right == "翌月5日まで(next_month_day.results_due_day)"
    assert not due.text_only
    east = load_flow(fixture_library, "east", "new_case")
    assert east.elements[("new_case", "east_extra_check")].role == "insurer"


def test_parameters_side_by_side(fixture_library):
    diff = diff_flow(Side(fixture_library, "west"), Side(fixture_library, "east"), "new_case")
    rows = {p.key: (p.left, p.right, p.status) for p in diff.parameters}
    assert rows["deadlines.results_due_day"] == (4, 5, "different")
    assert rows["deadlines.due_date_shift"] == ("none", "none", "equal")
    assert rows["switches.special_handling"] == (False, True, "different")
    assert rows["lanes.高齢福祉課"] == (None, "insurer", "right_only")


def test_the_same_common_files_give_an_empty_diff(fixture_library):
    diff = diff_flow(Side(fixture_library, "west"), Side(fixture_library, "north"), "new_case")
    assert diff.is_empty
    assert [d.status for d in diff.decisions] == ["equal"]


def test_to_dict_is_json_with_markers(fixture_library):
    diff = diff_flow(Side(fixture_library, "west"), Side(fixture_library, "east"), "new_case")
    data = json.loads(json.dumps(diff.to_dict(), ensure_ascii=False))
    assert data["empty"] is False
    assert {s["id"]: s["marker"] for s in data["steps"]} == {"intake": "kf-changed", "east_extra_check": "kf-added"}
    assert data["decisions"][0]["rules"][0]["status"] == "changed"


# -- pieces -------------------------------------------------------------------------------------------------


TABLE = """<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
<decision id="t" name="t"><decisionTable id="tt" hitPolicy="{policy}">
{inputs}
<output id="o" label="結果" name="result" typeRef="string" />
{rules}
</decisionTable></decision></definitions>"""


def table(rules, columns=("kind",), policy="UNIQUE"):
    inputs = "".join(
        f'<input id="i{n}" label="{c}"><inputExpression id="e{n}"><text>{c}</text></inputExpression></input>'
        for n, c in enumerate(columns)
    )
    body = "".join(
        "<rule>"
        + "".join(f"<inputEntry><text>{e}</text></inputEntry>" for e in entries)
        + f"<outputEntry><text>{out}</text></outputEntry></rule>"
        for entries, out in rules
    )
    parsed = dmn_diff.read_table(TABLE.format(policy=policy, inputs=inputs, rules=body))
    assert parsed is not None
    return parsed


def test_reordered_rules_are_not_a_change_and_added_removed_rules_are():
    a = table([(['"a"'], '"x"'), (['"b"'], '"y"')])
    assert dmn_diff.diff_tables(a, table([(['"b"'], '"y"'), (['"a"'], '"x"')])) == ([], [])
    columns, rules = dmn_diff.diff_tables(a, table([(['"a"'], '"x"'), (['"c"'], '"z"')]))
    assert columns == []
    assert sorted((r.status, r.inputs["kind"]) for r in rules) == [("added", '"c"'), ("removed", '"b"')]


def test_a_new_input_column_that_rules_do_not_test_keeps_them_matched():
    a = table([(['"a"'], '"x"')])
    b = table([(['"a"', "-"], '"x"')], columns=("kind", "state"))
    columns, rules = dmn_diff.diff_tables(a, b)
    assert rules == []
    assert [(c.what, c.left, c.right) for c in columns] == [("inputs", ["kind"], ["kind", "state"])]


def test_hit_policy_change_is_a_column_change():
    columns, _ = dmn_diff.diff_tables(table([]), table([], policy="FIRST"))
    assert [(c.what, c.left, c.right) for c in columns] == [("hit_policy", "UNIQUE", "FIRST")]


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (None, "期限なし"),
        ("ready+P7D", "作業可能になってから7日以内"),
        ("ready", "作業可能になった日まで"),
        ("month_end", "その月の末日まで"),
        ("next_month_day.4", "翌月4日まで"),
        ("next_month_day.results_due_day", "翌月4日まで"),
        ("next_month_day.claim_due_day", "翌月?(claim_due_day 未設定)日まで"),
        ("data.certification_end-P30D", "認定有効期間の終了日の30日前まで"),
        ("data.plan_start+P3M", "計画期間の開始日の3か月後まで"),
        ("data.certification_end-days.renewal_support_days", "認定有効期間の終了日の30日前まで"),
        ("ready+days.missing_days", "作業可能になった日の?日(missing_days 未設定)後まで"),
        ("data.custom_date+P1Y2W", "custom_dateの1年2週間後まで"),
        ("tomorrow", "期限ルールが不正です(tomorrow)"),
    ],
)
def test_due_rules_in_words(rule, words):
    assert describe_due_rule(rule, {"results_due_day": 4, "renewal_support_days": 30}) == words


def test_parameters_are_flattened_and_compared_by_type():
    rows = diff_parameters({"a": 1, "s": {"x": True}}, {"a": 1.0, "s": {"x": True, "y": [1, 2]}})
    assert [(r.key, r.status) for r in rows] == [("a", "different"), ("s.x", "equal"), ("s.y", "right_only")]
