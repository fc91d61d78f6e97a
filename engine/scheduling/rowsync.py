"""Keep a case's derived rows (schedule items, risks, duty timers) in step with what was just computed, writing only
what changed.

The schedule refresh runs on every completion that records a duty. Profiled (issue 14, goal 1), half of its time was
SQLAlchemy building the same statements again and loading every row as an ORM object for the unit of work to compare.
Here the statements are built once with bound parameters (`Reader`, `Changes`) and, where they can be, `Prepared`
(engine/store/direct.py: run on the DB-API cursor of the session's connection); rows are plain values; only the
differences are written, one executemany per kind of change.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store import direct
from engine.store.models import Base


def table_of(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True)
class Stored:
    """One row as read: its id and the named columns."""

    id: int
    values: dict[str, Any]


class Reader:
    """One prebuilt select of a model's `columns` (and id) under `where`, which names its bound parameters."""

    def __init__(
        self,
        model: type[Base],
        columns: Sequence[str],
        key: Callable[[dict[str, Any]], Hashable],
        where: Callable[[Table], Sequence[ColumnElement[bool]]],
    ) -> None:
        table = table_of(model)
        self.columns = tuple(columns)
        self.key = key
        statement: Select[Any] = select(table.c.id, *(table.c[name] for name in columns)).where(*where(table))
        # A list of keys given at execution (`keys`) changes the SQL each time: those stay with SQLAlchemy.
        self.statement: Any = direct.Prepared(statement) if direct.can_run(statement) else statement

    def read(self, session: Session, **params: Any) -> dict[Any, Stored]:
        found: dict[Any, Stored] = {}
        for row in run(session, self.statement, params):
            values = dict(zip(self.columns, row[1:], strict=True))
            found[self.key(values)] = Stored(row[0], values)
        return found


def run(session: Session, statement: Any, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Any:
    """Run a prebuilt statement (`direct.Prepared` or Core) in the session's transaction, after writing its pending
    ORM changes (as an ORM query would). Either result gives its rows by iteration and `scalar()`."""
    session.flush()
    if isinstance(statement, direct.Prepared):
        return statement.run(session, params)
    return session.connection().execute(statement, params)


@dataclass
class Changes:
    """What one refresh writes to one table: whole rows to add, changed columns by id, ids to delete."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)

    def update(self, row_id: int, values: dict[str, Any]) -> None:
        self.updates.append({"row_id": row_id, **values})

    def __bool__(self) -> bool:
        return bool(self.inserts or self.updates or self.deletes)

    def write(self, session: Session, model: type[Base]) -> list[int]:
        """Delete, update, then insert (a key is never both deleted and added, so the unique keys never clash);
        return the ids of the inserted rows, in order."""
        table = table_of(model)
        if self.deletes:
            run(session, _statement(table, "delete", ()), [{"row_id": row_id} for row_id in self.deletes])
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in self.updates:
            by_columns.setdefault(tuple(sorted(k for k in row if k != "row_id")), []).append(row)
        for columns, rows in by_columns.items():
            params = [{"row_id": row["row_id"], **{f"v_{name}": row[name] for name in columns}} for row in rows]
            run(session, _statement(table, "update", columns), params)
        inserted: list[int] = []
        if self.inserts:
            inserted = [row[0] for row in run(session, _statement(table, "insert", ()), self.inserts)]
        touched = set(self.deletes) | {row["row_id"] for row in self.updates}
        if touched:
            # An object of these rows already in the session (the item a duty was recorded on) reads them again.
            for held in list(session.identity_map.values()):
                if isinstance(held, model) and getattr(held, "id", None) in touched:
                    session.expire(held)
        return inserted

    def apply(
        self,
        stored: dict[Any, Stored],
        columns: Sequence[str],
        key: Callable[[dict[str, Any]], Hashable],
        inserted: list[int],
    ) -> None:
        """Bring `stored` (rows by key, as read) to what `write` wrote, as a new read would give them."""
        key_of = {row.id: row_key for row_key, row in stored.items()}
        for row_id in self.deletes:
            del stored[key_of[row_id]]
        for change in self.updates:
            row = stored[key_of[change["row_id"]]]
            values = {**row.values, **{name: change[name] for name in columns if name in change}}
            stored[key_of[change["row_id"]]] = Stored(row.id, values)
        for row_id, row_values in zip(inserted, self.inserts, strict=True):
            values = {name: row_values.get(name) for name in columns}  # a column not given: NULL (none has a default)
            stored[key(values)] = Stored(row_id, values)


_STATEMENTS: dict[tuple[str, str, tuple[str, ...]], Any] = {}


def _statement(table: Table, kind: str, columns: tuple[str, ...]) -> Any:
    """An insert returning the new ids in order, a delete or an update of given columns by id, built once. The
    insert stays with SQLAlchemy: several rows returning their ids in order is its batched "insertmanyvalues"."""
    cache_key = (table.name, kind, columns)
    if cache_key not in _STATEMENTS:
        where = table.c.id == bindparam("row_id")
        if kind == "insert":
            _STATEMENTS[cache_key] = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        elif kind == "delete":
            _STATEMENTS[cache_key] = direct.Prepared(table.delete().where(where))
        else:
            values = {name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns}
            _STATEMENTS[cache_key] = direct.Prepared(table.update().where(where).values(values))
    return _STATEMENTS[cache_key]
