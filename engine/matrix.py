"""One flow across every municipality: which canonical steps each has, who does them, by when, with which form.

Rows are the canonical steps (CONTRACT.md) in flow order, plus steps of other ids that every municipality has;
columns are the municipalities. What a municipality does beyond that is listed as its local additions. The table
exports as CSV for a report (UTF-8 with a byte order mark, so Excel opens the Japanese correctly).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from engine import canonical
from engine import spreadsheet
from engine.errors import KaigoflowError
from engine.flowmodel import Element
from engine.flowmodel import FlowModel
from engine.flowmodel import FlowSource
from engine.flowmodel import load_flow


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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for row_data, row in zip(data["rows"], self.rows, strict=True):
            for key, cell in row.cells.items():
                row_data["cells"][key].update(present=cell.present, who=cell.who, due=cell.due, form=cell.form)
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
    local = {
        key: [LocalStep(step, steps[step][key]) for step in sequence if step not in shown]
        for key, sequence in zip(models, sequences, strict=True)
    }
    return FlowMatrix(process_key, columns, rows, local)


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
