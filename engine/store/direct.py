"""Prebuilt Core statements run on the DB-API cursor of the session's connection (issue 14, goal 1).

A completion sends about ten statements that never change. Through `Connection.execute` each pays SQLAlchemy's
per-execution machinery (cache-key lookup, execution context, parameter dicts, result set-up): about 35 µs of CPU a
statement on SQLite and 90 µs on PostgreSQL, as much as the driver's own work. A `Prepared` statement is compiled
once per dialect (and set of parameter keys, as `Connection.execute` compiles it) and keeps what it needs to run
without that machinery: the SQL, the order of its parameters, and the type processors SQLAlchemy would apply to
each value (bind) and each column (result). So what is stored, and what is read back, is what `Connection.execute`
would store and read; tests/engine/test_direct.py compares the two.

What stays as it was: the statement runs in the session's transaction (the same DB-API connection); the engine's
`before_cursor_execute` and `after_cursor_execute` listeners see it (statement counts, crash tests); a DB-API error
is wrapped and handled as `Connection.execute` handles it (the same `sqlalchemy.exc` classes, a lost connection
invalidated).

Not covered, refused when prepared: lists given at execution (`in_(bindparam(..., expanding=True))`),
values SQLAlchemy computes in Python (column defaults, `onupdate`), bind names that need escaping, and RETURNING with
several rows of parameters (SQLAlchemy's batched "insertmanyvalues"); those go through `Connection.execute`.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import NamedTuple

from sqlalchemy import Connection
from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.expression import ClauseElement
from sqlalchemy.sql.sqltypes import TupleType

Processor = Callable[[Any], Any]

_ABSENT = object()


class Unsupported(ValueError):
    """The statement needs something only `Connection.execute` does (see the module's docstring)."""


class _Parameter(NamedTuple):
    """One bound parameter: its compiled name, the key it is given by (its bindparam's key; the name also does, as
    for Connection.execute), the value the statement binds itself when the caller gives none (`_ABSENT`: required),
    and its type's bind processor."""

    name: str
    key: str
    default: Any
    processor: Processor | None


@dataclass
class _Compiled:
    """A statement as compiled for one dialect and one set of parameter keys."""

    sql: str
    parameters: tuple[_Parameter, ...]
    positional: bool
    result_types: tuple[Any, ...]
    """The types of the selected (or returned) columns: their result processors are taken per cursor description."""
    returning: bool
    dialect: Dialect
    processors: dict[tuple[Any, ...], tuple[Processor | None, ...]] = field(default_factory=dict)
    """Result processors by the driver's column types (psycopg names each column's type; SQLite none)."""

    def bind(self, params: Mapping[str, Any]) -> Any:
        """The parameters as the driver takes them (a tuple, or a dict by name), each through its processor."""
        # One plain loop, no call per value: this runs for every value of every row.
        values = []
        for name, key, default, processor in self.parameters:
            if key in params:
                value = params[key]
            elif name in params:
                value = params[name]
            elif default is _ABSENT:
                raise exc.InvalidRequestError(f"A value is required for bind parameter {key!r}")
            else:
                value = default
            values.append(value if processor is None else processor(value))
        if self.positional:
            return tuple(values)
        return {parameter.name: value for parameter, value in zip(self.parameters, values, strict=True)}


def _compile(statement: ClauseElement, dialect: Dialect, keys: Sequence[str], many: bool) -> _Compiled:
    # As Connection.execute compiles it: the keys of the (first) parameters decide an INSERT's or UPDATE's columns;
    # one row of parameters may have the new id returned (PostgreSQL), several not.
    compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=many)
    assert isinstance(compiled, SQLCompiler)
    if compiled.literal_execute_params:
        raise Unsupported("values rendered into the SQL at execution")
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise Unsupported("values computed in Python (column defaults)")
    if compiled.escaped_bind_names:
        raise Unsupported("bind names that need escaping")
    by_name: dict[str, BindParameter[Any]] = {name: bind for bind, name in compiled.bind_names.items()}
    sql = compiled.string
    names: Sequence[str] | None = compiled.positiontup if compiled.positional else list(by_name)
    expanded_from: dict[str, str] = {}  # the name of each value of an expanded list -> the list's own bind name
    fixed: dict[str, Any] = {}
    if compiled.post_compile_params:
        # A list the statement holds itself (`kind.in_(("duty", "check"))`) is the same every time: expanded here,
        # once, by SQLAlchemy's own expansion. A list the caller gives would change the SQL with each call.
        if any(bind.required or isinstance(bind.type, TupleType) for bind in compiled.post_compile_params):
            raise Unsupported("a list given at execution, expanded into the SQL")
        expanded = compiled._process_parameters_for_postcompile(
            compiled.construct_params(_check=False), _populate_self=False
        )
        sql = expanded.statement
        names = expanded.positiontup if compiled.positional else list(expanded.parameters)
        for original, pieces in expanded.parameter_expansion.items():
            for piece in pieces:
                expanded_from[piece] = original
                fixed[piece] = expanded.parameters[piece]
    assert names is not None
    parameters = []
    for name in names:
        bind = by_name[expanded_from.get(name, name)]
        if bind.callable is not None:
            raise Unsupported("a bound value computed at execution")
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if name in expanded_from:
            parameters.append(_Parameter(name, name, fixed[name], processor))
        else:
            parameters.append(_Parameter(name, bind.key, _ABSENT if bind.required else bind.value, processor))
    # The result columns SQLAlchemy itself types the rows by (for a UNION, those of its first SELECT).
    result_types = tuple(column.type for column in compiled._result_columns)
    returning = bool(compiled.effective_returning)
    return _Compiled(sql, tuple(parameters), compiled.positional, result_types, returning, dialect)


def can_run(select: ClauseElement) -> bool:
    """Whether a SELECT (whose columns do not depend on the parameters' keys) can be `Prepared`."""
    try:
        _compile(select, _GENERIC, (), False)
    except Unsupported:
        return False
    return True


_GENERIC = DefaultDialect()
_HELD = "_kaigoflow_prepared"
"""The attribute of a dialect that holds the statements compiled for it."""


class Rows:
    """The outcome of one execution: the rows (for a SELECT or RETURNING), already converted, and the row count."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def scalar(self) -> Any:
        """The first column of the first row; None when there is none."""
        return self.rows[0][0] if self.rows else None


class Prepared:
    """A Core statement (built once, with bound parameters) that runs on the DB-API cursor of the session's connection.

    `run` takes one mapping of parameters or a sequence of them (an executemany, one round of the driver).
    """

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement

    def compiled(self, dialect: Dialect, keys: Sequence[str], many: bool) -> _Compiled:
        # Kept on the dialect, as SQLAlchemy keeps its own type memos: the compiled forms (their processors refer to
        # the dialect) live as long as the engine, and an engine disposed of (a test's) takes them with it.
        held: dict[tuple[Prepared, tuple[str, ...], bool], _Compiled] | None = vars(dialect).get(_HELD)
        if held is None:
            held = {}
            setattr(dialect, _HELD, held)
        found = held.get((self, tuple(keys), many))
        if found is None:
            found = held[self, tuple(keys), many] = _compile(self.statement, dialect, keys, many)
        return found

    def run(self, session: Session, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Rows:
        connection = session.connection()
        many = not isinstance(params, Mapping)
        if many:
            rows = list(params)
            if len(rows) == 1:  # as Connection.execute: a list of one is one execution
                return self._execute(connection, rows[0], False)
            if not rows:
                raise exc.ArgumentError("no rows of parameters to run")
            return self._execute(connection, rows, True)
        return self._execute(connection, params, False)

    def _execute(self, connection: Connection, params: Any, many: bool) -> Rows:
        first: Mapping[str, Any] = params[0] if many else params
        compiled = self.compiled(connection.dialect, sorted(first), many)
        if many and compiled.returning:
            raise Unsupported("RETURNING with several rows of parameters")
        sql = compiled.sql
        try:
            bound = [compiled.bind(row) for row in params] if many else compiled.bind(params)
        except BaseException as error:
            # A bind processor's error (a naive datetime): wrapped as Connection.execute wraps it (StatementError).
            connection._handle_dbapi_exception(error, sql, params, None, None)
        cursor = connection.connection.cursor()
        try:
            # The listeners SQLAlchemy would call (a class-level listener on Engine included: the dispatch joins it).
            listening = connection._has_events or connection.engine._has_events
            if listening:
                for before in connection.dispatch.before_cursor_execute:
                    sql, bound = before(connection, cursor, sql, bound, None, many)
            if many:
                cursor.executemany(sql, bound)
            else:
                cursor.execute(sql, bound)
            if listening:
                connection.dispatch.after_cursor_execute(connection, cursor, sql, bound, None, many)
            rows = self._rows(compiled, cursor) if cursor.description is not None else []
            rowcount = cursor.rowcount
            cursor.close()
        except BaseException as error:
            connection._handle_dbapi_exception(error, sql, bound, cursor, None)
        return Rows(rows, rowcount)

    def _rows(self, compiled: _Compiled, cursor: Any) -> list[tuple[Any, ...]]:
        fetched = cursor.fetchall()
        if not compiled.result_types:
            return [tuple(row) for row in fetched]
        processors = self._result_processors(compiled, cursor.description)
        if not any(processors):
            return [tuple(row) for row in fetched]
        return [
            tuple(value if process is None else process(value) for process, value in zip(processors, row, strict=True))
            for row in fetched
        ]

    @staticmethod
    def _result_processors(compiled: _Compiled, description: Any) -> tuple[Processor | None, ...]:
        column_types = tuple(column[1] for column in description)
        found = compiled.processors.get(column_types)
        if found is None:
            dialect = compiled.dialect
            found = compiled.processors[column_types] = tuple(
                type_.dialect_impl(dialect).result_processor(dialect, column_type)
                for type_, column_type in zip(compiled.result_types, column_types, strict=True)
            )
        return found
