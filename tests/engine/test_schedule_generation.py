"""`care_case.schedule_generation` changes whenever anyone writes a row the schedule refresh reads, and only then;
the refresh trusts the copy it kept (engine/scheduling/snapshot.py) only while it is unchanged."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from engine.clock import JST
from engine.clock import FixedClock
from engine.scheduling import snapshot
from engine.store.models import Case
from engine.store.models import Risk
from engine.store.models import ScheduleItem
from engine.store.models import Timer
from tests.engine.test_schedule_worker import open_case


def _generation(session, case_id: int) -> int | None:
    return session.scalar(select(Case.schedule_generation).where(Case.id == case_id))


def test_every_write_of_a_row_the_refresh_reads_changes_the_generation_and_nothing_else(services):
    clock = FixedClock(datetime(2026, 5, 1, 9, 0, tzinfo=JST))
    case_id, _ = open_case(services, services.runtime(clock))
    with services.sessions() as session:
        seen = [_generation(session, case_id)]
        assert seen[0] is not None, "opening the case wrote its schedule"

        def changes(statement) -> bool:
            session.execute(statement)
            seen.append(_generation(session, case_id))
            return seen[-1] != seen[-2]

        duty = session.scalar(select(Timer.id).where(Timer.case_id == case_id, Timer.kind == "duty").limit(1))
        item = session.scalar(select(ScheduleItem.id).where(ScheduleItem.case_id == case_id).limit(1))
        now = clock.now()
        # What the refresh does not read: a claim, a flow's own timer.
        assert not changes(update(Timer).where(Timer.id == duty).values(claimed_by="w", claimed_until=now))
        assert not changes(insert(Timer).values(case_id=case_id, kind="bpmn", key="t", fire_at=now, payload={}))
        assert not changes(update(Case).where(Case.id == case_id).values(client_name="別名"))
        # What it reads, whoever writes it.
        assert changes(update(Timer).where(Timer.id == duty).values(fired_at=now))
        assert changes(delete(Timer).where(Timer.id == duty))
        assert changes(insert(Timer).values(case_id=case_id, kind="check", key="check:x", fire_at=now, payload={}))
        assert changes(update(ScheduleItem).where(ScheduleItem.id == item).values(status="done"))
        assert changes(delete(ScheduleItem).where(ScheduleItem.id == item))
        risk = {"code": "x", "severity": "high", "since": now.date(), "rule": "r", "source": "s", "raised_at": now}
        assert changes(insert(Risk).values(case_id=case_id, key="x:1", **risk))
        assert changes(update(Risk).where(Risk.case_id == case_id).values(cleared_at=now))
        assert changes(delete(Risk).where(Risk.case_id == case_id))
        session.rollback()


# PostgreSQL's trigger functions only (SQLite's triggers are rows of their own, tested above).
@pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_a_row_written_gives_its_case_one_new_generation_and_a_moved_row_both_cases_on_postgresql(services):
    clock = FixedClock(datetime(2026, 5, 1, 9, 0, tzinfo=JST))
    case_id, _ = open_case(services, services.runtime(clock))
    other_id, _ = open_case(services, services.runtime(clock))
    with services.sessions() as session:

        def case_rows_written(statement) -> int:
            """The case rows the statement wrote (this transaction's counts, taken before and after)."""
            count = text("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'care_case'")
            before = session.scalar(count) or 0
            session.execute(statement)
            return (session.scalar(count) or 0) - before

        duty = session.scalar(select(Timer.id).where(Timer.case_id == case_id, Timer.kind == "duty").limit(1))
        item = session.scalar(select(ScheduleItem.id).where(ScheduleItem.case_id == case_id).limit(1))
        assert case_rows_written(update(ScheduleItem).where(ScheduleItem.id == item).values(status="done")) == 1
        assert case_rows_written(update(Timer).where(Timer.id == duty).values(fired_at=clock.now())) == 1
        seen = (_generation(session, case_id), _generation(session, other_id))
        moved = update(ScheduleItem).where(ScheduleItem.id == item).values(case_id=other_id, key="moved")
        assert case_rows_written(moved) == 2
        assert _generation(session, case_id) != seen[0] and _generation(session, other_id) != seen[1]
        session.rollback()


def test_a_row_changed_behind_the_refresh_is_read_again_not_taken_from_its_copy(services):
    clock = FixedClock(datetime(2026, 5, 1, 9, 0, tzinfo=JST))
    runtime = services.runtime(clock)
    case_id, _ = open_case(services, runtime)
    with services.sessions() as session:
        runtime.refresh_schedule(session, case_id)
        kept = snapshot.held(session, case_id)
        assert kept is not None and kept.generation == _generation(session, case_id)
        key = next(key for key, row in kept.rows.items() if row.values["status"] == "open")
        session.execute(delete(ScheduleItem).where(ScheduleItem.case_id == case_id, ScheduleItem.key == key))
        session.commit()
        runtime.refresh_schedule(session, case_id)
        assert session.scalar(select(ScheduleItem.id).where(ScheduleItem.case_id == case_id, ScheduleItem.key == key))
