"""Compare the decisions two sides of a flow call: DMN tables rule by rule, Python decisions by name only.

Rules are matched by their input entries (the conditions), not by position or rule id, so a reordered table
is not a change and a rule whose outcome differs shows as changed. An entry of "-" or empty matches anything and
is left out of the match, so adding an input column that a rule does not test does not unmatch the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from engine.process_library import xmlsafe

if TYPE_CHECKING:
    from engine.comparison.flow_model import FlowModel

ANY = frozenset({"", "-"})


@dataclass
class RuleDiff:
    status: str
    """added / removed / changed"""
    inputs: dict[str, str]
    left_outputs: dict[str, str] | None
    right_outputs: dict[str, str] | None
    description: str = ""


@dataclass
class ColumnChange:
    what: str
    left: Any
    right: Any


@dataclass
class DecisionDiff:
    decision: str
    left_kind: str
    """dmn / python / none (not called by that side)"""
    right_kind: str
    left_file: str | None
    right_file: str | None
    status: str
    """equal / changed / added / removed / python (both Python: named, not compared) / kind (DMN on one side)"""
    columns: list[ColumnChange] = field(default_factory=list)
    rules: list[RuleDiff] = field(default_factory=list)


@dataclass
class Table:
    hit_policy: str
    inputs: list[tuple[str, str]]
    """(expression, label) per input column"""
    outputs: list[tuple[str, str]]
    """(name, label) per output column"""
    rules: list[tuple[dict[str, str], dict[str, str], str]]
    """(input expression -> entry, output name -> entry, description) per rule"""


def read_table(source: str, name: str = "decision") -> Table | None:
    """The first decision table of a DMN document; None when it cannot be read."""
    root, _ = xmlsafe.parse(source.encode("utf-8"), f"{name}.dmn")
    if root is None:
        return None
    tables = root.xpath("//*[local-name()='decisionTable']")
    if not tables:
        return None
    table = tables[0]

    def text(node: Any, path: str) -> str:
        return " ".join("".join(node.xpath(path)).split())

    inputs = [
        (
            text(i, "./*[local-name()='inputExpression']/*[local-name()='text']/text()") or i.get("label", ""),
            i.get("label", ""),
        )
        for i in table.xpath("./*[local-name()='input']")
    ]
    outputs = [
        (o.get("name") or o.get("label", ""), o.get("label", "")) for o in table.xpath("./*[local-name()='output']")
    ]
    rules = []
    for rule in table.xpath("./*[local-name()='rule']"):
        entries = [text(e, "./*[local-name()='text']/text()") for e in rule.xpath("./*[local-name()='inputEntry']")]
        results = [text(e, "./*[local-name()='text']/text()") for e in rule.xpath("./*[local-name()='outputEntry']")]
        conditions = {expr: entry for (expr, _), entry in zip(inputs, entries, strict=False)}
        outcome = {name: entry for (name, _), entry in zip(outputs, results, strict=False)}
        rules.append((conditions, outcome, text(rule, "./*[local-name()='description']/text()")))
    return Table(table.get("hitPolicy", "UNIQUE"), inputs, outputs, rules)


def _key(conditions: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in conditions.items() if v not in ANY))


def diff_tables(left: Table, right: Table) -> tuple[list[ColumnChange], list[RuleDiff]]:
    columns = []
    if left.hit_policy != right.hit_policy:
        columns.append(ColumnChange("hit_policy", left.hit_policy, right.hit_policy))
    if [e for e, _ in left.inputs] != [e for e, _ in right.inputs]:
        columns.append(ColumnChange("inputs", [e for e, _ in left.inputs], [e for e, _ in right.inputs]))
    if [n for n, _ in left.outputs] != [n for n, _ in right.outputs]:
        columns.append(ColumnChange("outputs", [n for n, _ in left.outputs], [n for n, _ in right.outputs]))
    unmatched: dict[tuple[tuple[str, str], ...], list[tuple[dict[str, str], dict[str, str], str]]] = {}
    for rule in right.rules:
        unmatched.setdefault(_key(rule[0]), []).append(rule)
    rules = []
    for conditions, outcome, description in left.rules:
        partners = unmatched.get(_key(conditions))
        if not partners:
            rules.append(RuleDiff("removed", _shown(conditions), outcome, None, description))
            continue
        other = partners.pop(0)
        if other[1] != outcome:
            rules.append(RuleDiff("changed", _shown(conditions), outcome, other[1], other[2] or description))
    for partners in unmatched.values():
        for conditions, outcome, description in partners:
            rules.append(RuleDiff("added", _shown(conditions), None, outcome, description))
    return columns, rules


def _shown(conditions: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in conditions.items() if v not in ANY}


def diff_decisions(a: FlowModel, b: FlowModel) -> list[DecisionDiff]:
    """Every decision either side calls, in flow order."""
    diffs = []
    for decision in dict.fromkeys([*a.decisions(), *b.decisions()]):
        left_kind = _kind(a, decision)
        right_kind = _kind(b, decision)
        diff = DecisionDiff(
            decision=decision,
            left_kind=left_kind,
            right_kind=right_kind,
            left_file=a.decision_files.get(decision),
            right_file=b.decision_files.get(decision),
            status="equal",
        )
        if left_kind == "none":
            diff.status = "added"
        elif right_kind == "none":
            diff.status = "removed"
        elif left_kind != right_kind:
            diff.status = "kind"
        elif left_kind == "python":
            diff.status = "python"
        elif a.dmn[decision] != b.dmn[decision]:
            left_table, right_table = read_table(a.dmn[decision], decision), read_table(b.dmn[decision], decision)
            if left_table is None or right_table is None:
                diff.status = "changed"
            else:
                diff.columns, diff.rules = diff_tables(left_table, right_table)
                diff.status = "changed" if diff.columns or diff.rules else "equal"
        diffs.append(diff)
    return diffs


def _kind(model: FlowModel, decision: str) -> str:
    if decision not in model.decisions():
        return "none"
    return "dmn" if decision in model.dmn else "python"
