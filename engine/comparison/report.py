"""Readable text for a comparison or a matrix (Japanese with English headings), as `kaigoflow diff` prints it."""

from __future__ import annotations

from typing import Any

from engine.comparison.flow_diff import STATUS_NAMES
from engine.comparison.flow_diff import ElementDiff
from engine.comparison.flow_diff import FlowDiff
from engine.comparison.flow_diff import summary_counts
from engine.comparison.matrix import FlowMatrix
from engine.comparison.matrix import parameter_text
from engine.process_library import canonical

SIGNS = {"added": "+", "removed": "-", "changed": "~"}
PARAMETER_SIGNS = {"equal": "=", "different": "≠", "left_only": "<", "right_only": ">"}
DECISION_STATUS = {
    "equal": "同じ",
    "changed": "規則が異なる",
    "added": "右だけが呼ぶ",
    "removed": "左だけが呼ぶ",
    "python": "Python の判定(名前のみ・内容は比較しない)",
    "kind": "一方は DMN、他方は Python",
}
MAX_VALUE = 90


def shown(value: Any) -> str:
    """A value on one line, cut to MAX_VALUE characters."""
    if value is None or value == "" or value == [] or value == {}:
        text = "(なし)"
    elif isinstance(value, list):
        text = "、".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = ", ".join(f"{k}={v}" for k, v in value.items())
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _counts(diffs: list[ElementDiff]) -> str:
    counts = summary_counts(diffs)
    return ", ".join(f"{STATUS_NAMES[k]} {n}" for k, n in counts.items())


def _element_lines(diff: ElementDiff) -> list[str]:
    moved = diff.left_process and diff.right_process and diff.left_process != diff.right_process
    where = f"{diff.left_process} → {diff.right_process}" if moved else diff.process
    head = f"  {SIGNS[diff.status]} {diff.id}  {diff.name}  [{where}]"
    if diff.text_only:
        fields = "、".join(c.label for c in diff.changes)
        return [f"{head}  文言のみ / wording only: {fields}"]
    lines = [head]
    for change in diff.changes:
        if change.text_only:
            lines.append(f"      {change.label}: (文言が異なる / wording differs)")
        elif change.left == change.right:
            lines.append(f"      {change.label}: {shown(change.left)}")
        else:
            lines.append(f"      {change.label}: {shown(change.left)} → {shown(change.right)}")
    return lines


def describe_diff(diff: FlowDiff) -> list[str]:
    """The comparison as lines of text: processes, steps, gateways and events, flows, decisions, parameters."""
    lines = [
        f"比較 / Comparison: {canonical.flow_name(diff.process_key)} ({diff.process_key})",
        f"  左 / left : {diff.left.name} ({diff.left.label})",
        f"  右 / right: {diff.right.name} ({diff.right.label})",
        "",
        "手続きの図 / Processes (overlay resolved)",
    ]
    for row in diff.processes:
        same = "同一 / identical" if row.identical else "異なる / differs"
        lines.append(f"  {row.process}  {row.name}: {row.left_file or '(なし)'} | {row.right_file or '(なし)'}  {same}")
    if diff.is_empty:
        lines += ["", "手順・分岐・流れ・判定表に違いはありません / No difference in the flow."]
    sections = (
        ("手順 / Steps", diff.steps),
        ("分岐・イベント / Gateways and events", diff.nodes),
        ("流れ・分岐の条件 / Sequence flows and conditions", diff.flows),
    )
    for title, diffs in sections:
        if not diffs:
            continue
        lines += ["", f"{title}: {_counts(diffs)}"]
        for item in diffs:
            lines += _element_lines(item)
    if diff.decisions:
        lines += ["", "判定 / Decisions"]
        for decision in diff.decisions:
            files = f"{decision.left_file or decision.left_kind} | {decision.right_file or decision.right_kind}"
            lines.append(f"  {decision.decision}: {DECISION_STATUS[decision.status]}  ({files})")
            for column in decision.columns:
                lines.append(f"      列 {column.what}: {shown(column.left)} → {shown(column.right)}")
            for rule in decision.rules:
                when = shown(rule.inputs) if rule.inputs else "(すべて)"
                lines.append(
                    f"    {SIGNS[rule.status]} 条件 {when}: {shown(rule.left_outputs)} → {shown(rule.right_outputs)}"
                )
    lines += ["", "パラメータ / Parameters (municipality.toml)  = 同じ  ≠ 異なる  < 左のみ  > 右のみ"]
    for param in diff.parameters:
        lines.append(f"  {PARAMETER_SIGNS[param.status]} {param.key}: {shown(param.left)} | {shown(param.right)}")
    return lines


def describe_matrix(matrix: FlowMatrix) -> list[str]:
    """The matrix as text: one block per step, one line per municipality."""
    lines = [
        f"{canonical.flow_name(matrix.process_key)} ({matrix.process_key}): 市町村ごとの手順 / steps by municipality"
    ]
    for column in matrix.columns:
        if column.error:
            lines.append(f"  ! {column.name}: 読み込めません / cannot be read: {column.error}")
    for row in matrix.rows:
        mark = "" if row.canonical else "  (標準外・全市町村 / non-canonical, everywhere)"
        differs = [label for label, flag in (("順番", row.order_differs), ("担当", row.who_differs)) if flag]
        if differs:
            mark += f"  [違い: {'・'.join(differs)}]"
        lines += ["", f"{row.step}  {row.name}{mark}"]
        for column in matrix.columns:
            cell = row.cells[column.municipality]
            if cell.present:
                order = f" / {cell.after} の後" if row.order_differs else ""
                lines.append(f"  ○ {column.name}: {cell.who} / {cell.due} / 様式 {cell.form or '(なし)'}{order}")
            else:
                lines.append(f"  - {column.name}: なし / absent")
    lines += ["", "市町村独自の手順 / Local additions"]
    for column in matrix.columns:
        locals_ = matrix.local.get(column.municipality, [])
        if not locals_:
            lines.append(f"  {column.name}: なし / none")
        for local in locals_:
            first = local.occurrences[0]
            who = canonical.role_name(first.role)
            lines.append(
                f"  {column.name}: {local.step}  {first.name}  [{first.process}] {who} / {first.due or '期限なし'}"
            )
    lines += ["", "市町村の設定 / Parameters (municipality.toml; * = 違いあり / differs)"]
    for parameter in matrix.parameters:
        values = ", ".join(
            f"{column.name} {parameter_text(parameter.values.get(column.municipality))}" for column in matrix.columns
        )
        lines.append(f"  {'*' if parameter.differs else ' '} {parameter.name}: {values}")
    return lines
