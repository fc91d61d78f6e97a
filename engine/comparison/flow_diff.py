"""Compare two sides of one flow: steps, flows and gateway conditions, decision tables and parameters.

A side is a municipality in a library (`Side(library, "toyokawa", "toyokawa")`); the library may be the live one
or one published version's, so the same comparison serves 豊川市 vs 鈴鹿亀山 and 豊川市 version 2 vs 3. Elements are
matched by BPMN id within their process (canonical ids, CONTRACT.md); a step that moved to another process of the
flow is matched by its id alone. Overlays and called processes are resolved first (engine.comparison.flow_model), so the
comparison is of what actually runs.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from engine.comparison import dmn_diff
from engine.comparison.flow_model import Element
from engine.comparison.flow_model import FlowModel
from engine.comparison.flow_model import FlowSource
from engine.comparison.flow_model import SequenceFlow
from engine.comparison.flow_model import load_flow
from engine.comparison.parameter_diff import ParameterRow
from engine.comparison.parameter_diff import diff_parameters
from engine.process_library.canonical import flow_name
from engine.process_library.loader import FormSpec

FIELD_LABELS = {
    "process": "所属する手続き",
    "kind": "種類",
    "name": "名称",
    "lane": "レーン",
    "role": "担当(役割)",
    "form": "様式",
    "form_fields": "様式の項目",
    "due": "期限",
    "decision": "判定",
    "called": "呼び出す手続き",
    "script": "スクリプト",
    "timer": "タイマー",
    "properties": "拡張プロパティ",
    "default_flow": "既定の分岐先",
    "source": "流れの元",
    "target": "流れの先",
    "condition": "分岐の条件",
    "instructions": "作業説明",
    "sources": "出典",
    "documentation": "説明(出典以外)",
}
TEXT_FIELDS = frozenset({"lane", "instructions", "sources", "documentation"})
"""Differences in wording only: who does what, when and by which rule are unchanged."""

CATEGORY_NAMES = {"step": "手順", "gateway": "分岐", "event": "イベント", "flow": "流れ"}
STATUS_NAMES = {"added": "追加", "removed": "削除", "changed": "変更"}


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a municipality in a library (live, or one published version's)."""

    library: FlowSource
    municipality: str
    label: str = ""

    @property
    def shown(self) -> str:
        return self.label or self.municipality


@dataclass
class FieldChange:
    field: str
    label: str
    left: Any
    right: Any
    text_only: bool


@dataclass
class ElementDiff:
    """An element added on the right, removed from the left, or changed (with the fields that differ)."""

    status: str
    category: str
    process: str
    id: str
    kind: str
    name: str
    left_process: str | None = None
    right_process: str | None = None
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def text_only(self) -> bool:
        return self.status == "changed" and all(c.text_only for c in self.changes)

    @property
    def marker(self) -> str:
        """The diagram marker class (web/static/css/diagram.css)."""
        if self.status == "changed":
            return "kf-text-changed" if self.text_only else "kf-changed"
        return f"kf-{self.status}"


@dataclass
class SideSummary:
    label: str
    municipality: str
    name: str


@dataclass
class ProcessRow:
    """A process of the flow and the library file each side resolves it to."""

    process: str
    name: str
    left_file: str | None
    right_file: str | None
    identical: bool


@dataclass
class FlowDiff:
    process_key: str
    left: SideSummary
    right: SideSummary
    processes: list[ProcessRow]
    steps: list[ElementDiff]
    nodes: list[ElementDiff]
    """Gateways and events."""
    flows: list[ElementDiff]
    decisions: list[dmn_diff.DecisionDiff]
    parameters: list[ParameterRow]

    @property
    def elements(self) -> list[ElementDiff]:
        return [*self.steps, *self.nodes, *self.flows]

    @property
    def changed_decisions(self) -> list[dmn_diff.DecisionDiff]:
        return [d for d in self.decisions if d.status not in ("equal", "python")]

    @property
    def is_empty(self) -> bool:
        """No difference in the flow itself (parameters are listed side by side either way)."""
        return not self.elements and not self.changed_decisions

    def markers(self, side: str) -> dict[str, dict[str, str]]:
        """process id -> element id -> marker class, for the "left" or "right" diagram."""
        found: dict[str, dict[str, str]] = {}
        for diff in self.elements:
            if (side == "left" and diff.status == "added") or (side == "right" and diff.status == "removed"):
                continue
            process = diff.left_process if side == "left" else diff.right_process
            found.setdefault(process or diff.process, {})[diff.id] = diff.marker
        return found

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for group in ("steps", "nodes", "flows"):
            for item, diff in zip(data[group], getattr(self, group), strict=True):
                item["marker"] = diff.marker
        data["empty"] = self.is_empty
        return data


def diff_flow(left: Side, right: Side, process_key: str) -> FlowDiff:
    """Compare the flow `process_key` as `left` and `right` run it.

    Raises NotFoundError for an unknown municipality and LibraryError when a side's flow cannot be read.
    """
    a = load_flow(left.library, left.municipality, process_key)
    b = load_flow(right.library, right.municipality, process_key)
    return diff_models(a, b, left.shown, right.shown)


def diff_models(a: FlowModel, b: FlowModel, left_label: str = "", right_label: str = "") -> FlowDiff:
    element_diffs = _diff_elements(a, b)
    flow_diffs = _diff_flows(a, b)
    return FlowDiff(
        process_key=a.process_key,
        left=SideSummary(left_label or a.municipality.key, a.municipality.key, a.municipality.name),
        right=SideSummary(right_label or b.municipality.key, b.municipality.key, b.municipality.name),
        processes=_process_rows(a, b),
        steps=[d for d in element_diffs if d.category == "step"],
        nodes=[d for d in element_diffs if d.category != "step"],
        flows=flow_diffs,
        decisions=dmn_diff.diff_decisions(a, b),
        parameters=diff_parameters(a.municipality.raw, b.municipality.raw),
    )


# -- processes ----------------------------------------------------------------------------------------------


def _process_rows(a: FlowModel, b: FlowModel) -> list[ProcessRow]:
    rows = []
    for pid in dict.fromkeys([*a.processes, *b.processes]):
        rows.append(
            ProcessRow(
                process=pid,
                name=a.process_names.get(pid) or b.process_names.get(pid) or pid,
                left_file=a.processes.get(pid),
                right_file=b.processes.get(pid),
                identical=pid in a.bpmn and a.bpmn.get(pid) == b.bpmn.get(pid),
            )
        )
    return rows


# -- elements -----------------------------------------------------------------------------------------------


def _category(element: Element) -> str:
    if element.is_step:
        return "step"
    return "gateway" if element.kind.endswith("Gateway") else "event"


def _merged_order(left: list[tuple[str, str]], right: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Both sides' keys in one flow order: common runs once, each side's extras where they stand."""
    merged: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            merged.extend(left[i1:i2])
        else:
            merged.extend(left[i1:i2])
            merged.extend(right[j1:j2])
    return list(dict.fromkeys(merged))


def _diff_elements(a: FlowModel, b: FlowModel) -> list[ElementDiff]:
    only_left = [k for k in a.order if k not in b.elements]
    only_right = [k for k in b.order if k not in a.elements]
    moved: dict[tuple[str, str], tuple[str, str]] = {}
    for key in only_left:
        if not a.elements[key].is_step:
            continue
        same_id = [k for k in only_right if k[1] == key[1]]
        left_same_id = [k for k in only_left if k[1] == key[1]]
        if len(same_id) == 1 and len(left_same_id) == 1:
            moved[key] = same_id[0]
    moved_right = set(moved.values())
    diffs = []
    for key in _merged_order(a.order, b.order):
        if key in moved_right:
            continue
        left, right = a.elements.get(key), b.elements.get(key)
        if key in moved:
            right = b.elements[moved[key]]
        if left is None and right is not None:
            diffs.append(_element_diff("added", right, None, right))
        elif right is None and left is not None:
            diffs.append(_element_diff("removed", left, left, None))
        elif left is not None and right is not None:
            changes = _element_changes(left, right, a, b)
            if changes:
                diff = _element_diff("changed", right, left, right)
                diff.changes = changes
                diffs.append(diff)
    return diffs


def _element_diff(status: str, shown: Element, left: Element | None, right: Element | None) -> ElementDiff:
    return ElementDiff(
        status=status,
        category=_category(shown),
        process=shown.process,
        id=shown.id,
        kind=shown.kind,
        name=_title(shown),
        left_process=left.process if left else None,
        right_process=right.process if right else None,
    )


def _title(element: Element | None, fallback: str = "") -> str:
    """What a person calls an element: its name, or for an unnamed gateway or event the word for its kind (the id
    is shown beside it, small, for those who edit the diagram)."""
    if element is None:
        return fallback
    return element.name or f"名前のない{CATEGORY_NAMES[_category(element)]}"


def _node_title(model: FlowModel, process: str, node: str) -> str:
    return _title(model.elements.get((process, node)), node)


def _change(name: str, left: Any, right: Any) -> FieldChange:
    return FieldChange(name, FIELD_LABELS[name], left, right, name in TEXT_FIELDS)


def _element_changes(left: Element, right: Element, a: FlowModel, b: FlowModel) -> list[FieldChange]:
    changes = []
    if left.process != right.process:
        changes.append(_change("process", flow_name(left.process), flow_name(right.process)))
    for name in ("kind", "name"):
        if getattr(left, name) != getattr(right, name):
            changes.append(_change(name, getattr(left, name), getattr(right, name)))
    if left.is_step:
        if left.lane != right.lane:
            changes.append(_change("lane", left.lane, right.lane))
        if left.role != right.role:
            changes.append(_change("role", left.role, right.role))
        if left.form != right.form:
            changes.append(_change("form", left.form, right.form))
        elif left.form:
            form_change = _form_change(a.forms.get(left.form), b.forms.get(right.form or ""))
            if form_change:
                changes.append(form_change)
        if (left.due_rule, left.due) != (right.due_rule, right.due):
            changes.append(_change("due", _due_text(left), _due_text(right)))
    for name in ("decision", "called", "script", "timer", "default_flow"):
        if getattr(left, name) != getattr(right, name):
            changes.append(_change(name, getattr(left, name), getattr(right, name)))
    if left.properties != right.properties:
        changes.append(_change("properties", dict(left.properties), dict(right.properties)))
    if left.is_step:
        if left.instructions != right.instructions:
            changes.append(_change("instructions", left.instructions, right.instructions))
        if left.sources != right.sources:
            changes.append(_change("sources", list(left.sources), list(right.sources)))
        elif left.documentation != right.documentation:
            changes.append(_change("documentation", left.documentation, right.documentation))
    return changes


def _due_text(element: Element) -> str | None:
    if not element.due_rule:
        return None
    return f"{element.due}({element.due_rule})"


def _form_change(left: FormSpec | None, right: FormSpec | None) -> FieldChange | None:
    """The same form name, but a municipality's own schema: which fields each side has that the other lacks."""
    if left is None or right is None or left.schema == right.schema:
        return None
    left_fields = _form_fields(left)
    right_fields = _form_fields(right)
    only_left = [f"{k}({t})" for k, t in left_fields.items() if k not in right_fields]
    only_right = [f"{k}({t})" for k, t in right_fields.items() if k not in left_fields]
    if not only_left and not only_right:
        only_left = only_right = ["(項目は同じで、項目の定義が異なります)"]
    return _change("form_fields", only_left, only_right)


def _form_fields(form: FormSpec) -> dict[str, str]:
    properties = form.schema.get("properties") or {}
    return {str(k): str((v or {}).get("title", k)) for k, v in properties.items() if isinstance(v, dict)}


# -- sequence flows -----------------------------------------------------------------------------------------


def _flow_keys_in_order(model: FlowModel) -> list[tuple[str, str]]:
    rank = {key: index for index, key in enumerate(model.order)}
    return sorted(model.flows, key=lambda k: (rank.get((k[0], model.flows[k].source), len(rank)), k[1]))


def _diff_flows(a: FlowModel, b: FlowModel) -> list[ElementDiff]:
    diffs = []
    for key in _merged_order(_flow_keys_in_order(a), _flow_keys_in_order(b)):
        left, right = a.flows.get(key), b.flows.get(key)
        if left is None and right is not None:
            diffs.append(_flow_diff("added", right, b, None, right))
        elif right is None and left is not None:
            diffs.append(_flow_diff("removed", left, a, left, None))
        elif left is not None and right is not None:
            changes = [
                _change(
                    name,
                    _node_title(a, left.process, getattr(left, name)),
                    _node_title(b, right.process, getattr(right, name)),
                )
                for name in ("source", "target")
                if getattr(left, name) != getattr(right, name)
            ]
            if left.condition != right.condition:
                changes.append(_change("condition", left.condition, right.condition))
            if left.name != right.name:
                changes.append(_change("name", left.name, right.name))
            if changes:
                diff = _flow_diff("changed", right, b, left, right)
                diff.changes = changes
                diffs.append(diff)
    return diffs


def _flow_diff(status: str, shown: SequenceFlow, model: FlowModel, left: Any, right: Any) -> ElementDiff:
    source, target = (_node_title(model, shown.process, node) for node in (shown.source, shown.target))
    arrow = f"{source} → {target}"
    return ElementDiff(
        status=status,
        category="flow",
        process=shown.process,
        id=shown.id,
        kind="sequenceFlow",
        name=f"{shown.name}({arrow})" if shown.name else arrow,
        left_process=left.process if left else None,
        right_process=right.process if right else None,
        changes=[_change("condition", None, shown.condition)] if status == "added" and shown.condition else [],
    )


def summary_counts(diffs: Iterable[ElementDiff]) -> dict[str, int]:
    counts = {"added": 0, "removed": 0, "changed": 0}
    for diff in diffs:
        counts[diff.status] += 1
    return counts
