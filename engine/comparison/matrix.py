"""One flow across every municipality: which canonical steps each has, who does them, by when, with which form.

Rows are the canonical steps (CONTRACT.md) in flow order, plus steps of other ids that every municipality has;
columns are the municipalities. What a municipality does beyond that is listed as its local additions. The table
exports as CSV for a report (UTF-8 with a byte order mark, so Excel opens the Japanese correctly).

Beside which steps exist, the matrix says what differs: a row whose step comes after a different step in some
municipality (order), or is done by different roles (who), is marked; and the municipalities' parameters
(municipality.toml: billing and submission days, monitoring rules, who attends the meeting …) are rows of their own,
marked where the values differ.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from engine import spreadsheet
from engine.comparison.flow_model import Element
from engine.comparison.flow_model import FlowModel
from engine.comparison.flow_model import FlowSource
from engine.comparison.flow_model import load_flow
from engine.errors import KaigoflowError
from engine.process_library import canonical


@dataclass
class Occurrence:
    """One place a step appears in a municipality's flow (a step may appear in several processes)."""

    process: str
    name: str
    lane: str | None
    role: str | None
    due_rule: str | None
    due: str | None
    form: str | None

    @classmethod
    def of(cls, element: Element) -> Occurrence:
        return cls(
            element.process, element.label, element.lane, element.role, element.due_rule, element.due, element.form
        )


def _who(occurrence: Occurrence) -> str:
    """The role in Japanese, with the lane as drawn when the municipality names it differently (e.g. 広域)."""
    role = canonical.role_name(occurrence.role)
    lane = occurrence.lane
    return f"{role}({lane})" if lane and lane != role else role


@dataclass
class Cell:
    occurrences: list[Occurrence] = field(default_factory=list)
    after: str | None = None
    """The shown step this one follows in the municipality's flow (None: the first)."""

    @property
    def present(self) -> bool:
        return bool(self.occurrences)

    def _joined(self, values: list[str | None]) -> str:
        return " / ".join(dict.fromkeys(v for v in values if v))

    @property
    def who(self) -> str:
        return self._joined([_who(o) for o in self.occurrences])

    @property
    def due(self) -> str:
        return self._joined([o.due or "期限なし" for o in self.occurrences])

    @property
    def form(self) -> str:
        return self._joined([o.form for o in self.occurrences])

    @property
    def name(self) -> str:
        return self._joined([o.name for o in self.occurrences])


@dataclass
class Row:
    step: str
    name: str
    canonical: bool
    cells: dict[str, Cell]

    def _present(self) -> list[Cell]:
        return [cell for cell in self.cells.values() if cell.present]

    @property
    def order_differs(self) -> bool:
        """The step follows a different step in some municipality (the order of the flow differs there)."""
        return len({cell.after for cell in self._present()}) > 1

    @property
    def who_differs(self) -> bool:
        return len({cell.who for cell in self._present()}) > 1


@dataclass
class ParameterRow:
    """One municipality.toml parameter across the municipalities (None where one does not set it)."""

    name: str
    values: dict[str, Any]

    @property
    def differs(self) -> bool:
        return len({repr(value) for value in self.values.values()}) > 1


@dataclass
class Column:
    municipality: str
    name: str
    error: str | None = None


@dataclass
class LocalStep:
    step: str
    occurrences: list[Occurrence]


@dataclass
class FlowMatrix:
    process_key: str
    columns: list[Column]
    rows: list[Row]
    local: dict[str, list[LocalStep]]
    parameters: list[ParameterRow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for row_data, row in zip(data["rows"], self.rows, strict=True):
            row_data.update(order_differs=row.order_differs, who_differs=row.who_differs)
            for key, cell in row.cells.items():
                row_data["cells"][key].update(present=cell.present, who=cell.who, due=cell.due, form=cell.form)
        for parameter_data, parameter in zip(data["parameters"], self.parameters, strict=True):
            parameter_data["differs"] = parameter.differs
        return data

    def to_csv(self) -> bytes:
        """The table for a spreadsheet: per municipality 有無 / 担当 / 期限 / 様式, then the local additions."""
        return spreadsheet.to_csv(self._csv_rows())

    def _csv_rows(self) -> Iterator[list[str]]:
        header = ["手順ID", "手順", "標準"]
        for column in self.columns:
            header += [f"{column.name} {label}" for label in ("有無", "担当", "期限", "様式")]
        yield header
        for row in self.rows:
            line = [row.step, row.name, "標準" if row.canonical else "標準外(全市町村)"]
            for column in self.columns:
                cell = row.cells.get(column.municipality, Cell())
                mark = "○" if cell.present else ("読込不可" if column.error else "-")
                line += [mark, cell.who, cell.due if cell.present else "", cell.form]
            yield line
        yield []
        yield ["市町村独自の手順"]
        yield ["市町村", "手順ID", "手順", "手続き", "担当", "期限", "様式"]
        for column in self.columns:
            for local in self.local.get(column.municipality, []):
                cell = Cell(local.occurrences)
                processes = " / ".join(dict.fromkeys(o.process for o in local.occurrences))
                yield [column.name, local.step, cell.name, processes, cell.who, cell.due, cell.form]
            if column.error:
                yield [column.name, "", f"読み込めません: {column.error}"]
        yield []
        yield ["違い"]
        yield ["手順ID", "手順", "順番の違い", "担当の違い"]
        for row in self.rows:
            if row.order_differs or row.who_differs:
                yield [row.step, row.name, "あり" if row.order_differs else "", "あり" if row.who_differs else ""]
        yield []
        yield ["市町村の設定(municipality.toml)"]
        yield ["設定", "違い", *[column.name for column in self.columns]]
        for parameter in self.parameters:
            values = [parameter_text(parameter.values.get(column.municipality)) for column in self.columns]
            yield [parameter.name, "あり" if parameter.differs else "", *values]


def parameter_text(value: Any) -> str:
    """A parameter's value as staff read it (はい/いいえ, lists joined, 未設定 for absent)."""
    if value is None:
        return "未設定(既定値)"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)


def build_matrix(source: FlowSource, municipalities: list[str], process_key: str) -> FlowMatrix:
    """The matrix of `process_key` over `municipalities` (a municipality whose flow cannot be read is a column
    with its error, so one broken variant does not hide the others)."""
    columns: list[Column] = []
    models: dict[str, FlowModel] = {}
    for key in municipalities:
        muni = source.municipality(key)
        column = Column(key, muni.name)
        try:
            models[key] = load_flow(source, key, process_key)
        except KaigoflowError as exc:
            column.error = exc.message
        columns.append(column)
    steps: dict[str, dict[str, list[Occurrence]]] = {}
    sequences: list[list[str]] = []
    for key, model in models.items():
        sequence = []
        for element in model.user_tasks():
            steps.setdefault(element.id, {}).setdefault(key, []).append(Occurrence.of(element))
            if element.id not in sequence:
                sequence.append(element.id)
        sequences.append(sequence)
    everywhere = {step for step, by_muni in steps.items() if models and len(by_muni) == len(models)}
    shown = [s for s in steps if canonical.is_canonical(s) or s in everywhere]
    rows = [
        Row(
            step=step,
            name=canonical.STEP_NAMES.get(step) or _first_name(steps[step]),
            canonical=canonical.is_canonical(step),
            cells={key: Cell(steps[step].get(key, [])) for key in municipalities},
        )
        for step in merge_orders([[s for s in seq if s in shown] for seq in sequences])
    ]
    for key, sequence in zip(models, sequences, strict=True):
        previous: str | None = None
        for step in (s for s in sequence if s in shown):
            for row in rows:
                if row.step == step:
                    row.cells[key].after = previous
            previous = step
    local = {
        key: [LocalStep(step, steps[step][key]) for step in sequence if step not in shown]
        for key, sequence in zip(models, sequences, strict=True)
    }
    return FlowMatrix(process_key, columns, rows, local, _parameters(source, municipalities))


def _parameters(source: FlowSource, municipalities: list[str]) -> list[ParameterRow]:
    params = {key: dict(source.municipality(key).params) for key in municipalities}
    names = sorted({name for values in params.values() for name in values})
    return [ParameterRow(name, {key: params[key].get(name) for key in municipalities}) for name in names]


def _first_name(by_muni: dict[str, list[Occurrence]]) -> str:
    return next(o.name for occurrences in by_muni.values() for o in occurrences)


def merge_orders(sequences: list[list[str]]) -> list[str]:
    """One order that keeps each municipality's order where they agree (a topological merge).

    Ties, and conflicts between municipalities, go to CONTRACT.md's order, then to the order first met.
    """
    first_seen: dict[str, int] = {}
    for sequence in sequences:
        for step in sequence:
            first_seen.setdefault(step, len(first_seen))
    contract = {step: index for index, step in enumerate(canonical.STEP_IDS)}

    def priority(step: str) -> tuple[int, int]:
        return (contract.get(step, len(contract)), first_seen[step])

    successors: dict[str, set[str]] = {step: set() for step in first_seen}
    incoming = dict.fromkeys(first_seen, 0)
    for sequence in sequences:
        for before, after in itertools.pairwise(sequence):
            if after not in successors[before]:
                successors[before].add(after)
                incoming[after] += 1
    order: list[str] = []
    ready = [(priority(s), s) for s, n in incoming.items() if n == 0]
    heapq.heapify(ready)
    remaining = set(first_seen)
    while remaining:
        if not ready:
            # Municipalities disagree on the order (a cycle): take the step that comes first in the contract.
            step = min(remaining, key=priority)
            incoming[step] = 0
            ready.append((priority(step), step))
        _, step = heapq.heappop(ready)
        if step not in remaining:
            continue
        remaining.discard(step)
        order.append(step)
        for after in successors[step]:
            if after in remaining:
                incoming[after] -= 1
                if incoming[after] == 0:
                    heapq.heappush(ready, (priority(after), after))
    return order
