"""A `Prepared` statement (engine/store/direct.py) stores, reads, counts and fails exactly as `Connection.execute`.

Each check runs the same statement both ways in one transaction, on both backends, and compares what the database
holds as text (what SQLAlchemy's type processors made of aware datetimes, JSON with Japanese text, dates), the rows
read back (values and types), the SQL the engine's listeners see, the row counts and the errors raised.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

import pytest
from sqlalchemy import bindparam
from sqlalchemy import event
from sqlalchemy import exc
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.execution import prebuilt
from engine.scheduling import schedule
from engine.store import direct
from engine.store.db import make_engine
from engine.store.models import Case
from engine.store.models import Event
from engine.store.models import Timer

JST = timezone(timedelta(hours=9))


@pytest.fixture
def session(database_url: str) -> Any:
    engine = make_engine(database_url)
    with Session(engine) as session:
        yield session
        session.rollback()
    engine.dispose()


@pytest.fixture
def case_id(session: Session) -> int:
    case = Case(municipality="alpha", created_at=datetime(2026, 5, 1, tzinfo=UTC), data={})
    session.add(case)
    session.flush()
    return case.id


def _events(case_id: int, marker: str) -> list[dict[str, Any]]:
    return [
        {
            "at": datetime(2026, 5, 2, 9, 30, 15, 123456, tzinfo=JST),
            "case_id": case_id,
            "instance_id": None,
            "task_id": marker,
            "actor_id": None,
            "kind": "duty_recorded",
            "detail": {"memo": "訪問済み「自宅」", "on": "2026-05-02", "n": [1, 2.5, None, True]},
            "address": None,
        },
        {
            "at": datetime(2026, 5, 31, 23, 59, 59, tzinfo=UTC),
            "case_id": case_id,
            "instance_id": None,
            "task_id": marker,
            "actor_id": None,
            "kind": "task_completed",
            "detail": {},
            "address": "127.0.0.1",
        },
    ]


def _stored_events(session: Session, marker: str) -> list[tuple[Any, ...]]:
    """The rows as the database holds them, as text: what each path's type processors made of the values."""
    columns = "at, case_id, instance_id, task_id, actor_id, kind, detail, address"
    casts = ", ".join(f"CAST({name} AS TEXT)" for name in columns.split(", "))
    sql = f"SELECT {casts} FROM event WHERE task_id = '{marker}' ORDER BY id"
    return [tuple(row) for row in session.connection().exec_driver_sql(sql).all()]


@pytest.mark.parametrize("rows", [1, 2], ids=["one row", "executemany"])
def test_a_prepared_insert_stores_what_sqlalchemy_stores(session: Session, case_id: int, rows: int) -> None:
    session.connection().execute(prebuilt.INSERT_EVENT.statement, _events(case_id, "core")[:rows])
    prebuilt.INSERT_EVENT.run(session, _events(case_id, "direct")[:rows])
    core, direct_rows = _stored_events(session, "core"), _stored_events(session, "direct")
    assert len(core) == rows
    assert [row[:3] + row[4:] for row in direct_rows] == [row[:3] + row[4:] for row in core]


def test_a_prepared_update_stores_what_sqlalchemy_stores_and_counts_the_same_rows(
    session: Session, case_id: int
) -> None:
    for key in ("core", "direct"):
        session.add(Timer(case_id=case_id, kind="duty", key=key, fire_at=datetime(2026, 6, 1, tzinfo=UTC), payload={}))
    session.flush()
    ids = dict(session.execute(select(Timer.key, Timer.id)).all())
    table = Timer.__table__
    update = (
        table.update()  # type: ignore[attr-defined]
        .where(table.c.id == bindparam("row_id"))  # type: ignore[attr-defined]
        .values(
            payload=bindparam("v_payload", type_=table.c.payload.type),  # type: ignore[attr-defined]
            fire_at=bindparam("v_fire_at", type_=table.c.fire_at.type),  # type: ignore[attr-defined]
        )
    )
    values = {"v_payload": {"月": "2026-06", "due": date(2026, 6, 30).isoformat()}, "v_fire_at": datetime.now(JST)}
    core = session.connection().execute(update, {"row_id": ids["core"], **values})
    prepared = direct.Prepared(update).run(session, {"row_id": ids["direct"], **values})
    assert prepared.rowcount == core.rowcount == 1
    assert direct.Prepared(update).run(session, {"row_id": -1, **values}).rowcount == 0
    sql = "SELECT CAST(payload AS TEXT), CAST(fire_at AS TEXT) FROM timer WHERE key = '{}'"
    stored = {key: session.connection().exec_driver_sql(sql.format(key)).one() for key in ("core", "direct")}
    assert tuple(stored["direct"]) == tuple(stored["core"])


def test_a_prepared_select_reads_what_sqlalchemy_reads(session: Session, case_id: int) -> None:
    """The refresh's records (a UNION typed by its first SELECT, a list the statement holds expanded): the same
    rows, with the same Python values and types (aware datetimes, parsed JSON)."""
    prebuilt.INSERT_EVENT.run(session, _events(case_id, "read"))
    params = {"case_id": case_id, "cutoff": datetime(2026, 1, 1, tzinfo=UTC), "org": None}
    core = [tuple(row) for row in session.connection().execute(schedule._RECORDS.statement, params)]
    prepared = list(schedule._RECORDS.run(session, params))
    assert prepared == core
    assert [[type(value) for value in row] for row in prepared] == [[type(value) for value in row] for row in core]
    assert any(isinstance(row[2], datetime) and row[2].tzinfo is not None for row in prepared)
    generation = schedule._GENERATION_OF.run(session, {"case_id": case_id}).scalar()
    assert generation == session.scalar(select(Case.schedule_generation).where(Case.id == case_id))


def test_the_engines_listeners_see_the_sql_sqlalchemy_would_send(session: Session, case_id: int) -> None:
    seen: list[tuple[str, bool]] = []

    def listen(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        seen.append((sql, many))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", listen)
    try:
        session.connection().execute(prebuilt.INSERT_EVENT.statement, _events(case_id, "core"))
        prebuilt.INSERT_EVENT.run(session, _events(case_id, "direct"))
        session.connection().execute(prebuilt.LOCK_CASE.statement, {"case_id": case_id})
        prebuilt.LOCK_CASE.run(session, {"case_id": case_id})
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert seen[1] == seen[0] and seen[0][1] is True
    assert seen[3] == seen[2] and seen[2][1] is False


def test_errors_are_the_ones_sqlalchemy_raises(session: Session, case_id: int) -> None:
    insert = direct.Prepared(Timer.__table__.insert())  # type: ignore[arg-type]
    timer = {"case_id": case_id, "kind": "duty", "key": "twice", "fire_at": datetime.now(UTC), "payload": {}}
    insert.run(session, timer)
    with pytest.raises(exc.IntegrityError):
        insert.run(session, timer)
    session.rollback()

    naive = {**_events(case_id, "naive")[0], "case_id": None, "at": datetime(2026, 5, 2, 9, 30)}
    with pytest.raises(exc.StatementError) as core_error:
        session.connection().execute(prebuilt.INSERT_EVENT.statement, naive)
    session.rollback()
    with pytest.raises(exc.StatementError) as direct_error:
        prebuilt.INSERT_EVENT.run(session, naive)
    assert type(direct_error.value) is type(core_error.value)
    assert isinstance(direct_error.value.orig, ValueError)


def test_statements_sqlalchemy_must_expand_at_execution_are_refused() -> None:
    by_keys = select(Event.id).where(Event.kind.in_(bindparam("kinds", expanding=True)))
    assert not direct.can_run(by_keys)
    assert direct.can_run(select(Event.id).where(Event.kind.in_(("a", "b"))))
