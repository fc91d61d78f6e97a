"""The worker brings duties on time: monthly monitoring, the 更新 before the end; after downtime each exactly once."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select

import handlers
from engine.accounts import demo_staff
from engine.clock import JST
from engine.clock import FixedClock
from engine.config import Settings
from engine.execution.runtime import Actor
from engine.scheduling.deadlines import add_months
from engine.services import Services
from engine.store.db import make_engine
from engine.store.models import Case
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import Risk
from engine.store.models import ScheduleItem
from engine.store.models import Task
from web.cli import main


def open_case(services, runtime, **fields):
    with services.sessions() as session:
        orgs = demo_staff.demo_organisations(session, services.library.municipality("maebashi"))
        session.commit()
        case = runtime.open_case(
            session,
            "maebashi",
            care_level="kaigo2",
            certification_start=date(2026, 4, 1),
            certification_end=date(2026, 9, 30),
            plan_start=date(2026, 5, 1),
            plan_end=date(2026, 12, 31),
            center_org_id=orgs["center"][0].id,
            office_org_id=orgs["office"][0].id,
            insurer_org_id=orgs["insurer"][0].id,
            provider_org_id=orgs["provider"][0].id,
            **fields,
        )
        return case.id, orgs


def instances(session, case_id: int) -> dict[str, int]:
    rows = session.execute(
        select(ProcessInstance.process_key, func.count())
        .where(ProcessInstance.case_id == case_id)
        .group_by(ProcessInstance.process_key)
    ).all()
    return dict(rows)


def test_after_downtime_every_due_duty_fires_once_with_its_own_dates(services):
    clock = FixedClock(datetime(2026, 5, 1, 9, 0, tzinfo=JST))
    runtime = services.runtime(clock)
    case_id, _ = open_case(services, runtime)
    with services.sessions() as session:
        assert runtime.fire_due(session) >= 1
        assert instances(session, case_id) == {"monthly_monitoring": 1}
        # The worker was down from May to mid-September.
        clock.set(datetime(2026, 9, 15, 9, 0, tzinfo=JST))
        fired = runtime.fire_due(session)
        assert fired > 0
        assert instances(session, case_id) == {"monthly_monitoring": 5, "renewal": 1}
        assert runtime.fire_due(session) == 0
        assert services.runtime(clock).fire_due(session, worker="second") == 0  # another worker finds nothing
        assert instances(session, case_id) == {"monthly_monitoring": 5, "renewal": 1}
        renewal = session.scalars(select(Task).where(Task.case_id == case_id, Task.bpmn_id == "renewal_application"))
        assert renewal.one().due_date == date(2026, 8, 31)  # end − 30 days, not the day the worker woke up
        periods = session.scalars(
            select(ProcessInstance.period).where(ProcessInstance.process_key == "monthly_monitoring")
        ).all()
        assert sorted(periods) == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]
        # Risks say since when, not when the worker noticed.
        open_risks = select(Risk.key, Risk.since).where(Risk.case_id == case_id, Risk.cleared_at.is_(None))
        since = {key: day for key, day in session.execute(open_risks).all()}
        assert since["monitoring_missing:2026-05"] == date(2026, 6, 1)
        assert since["monitoring_missing:2026-08"] == date(2026, 9, 1)
        assert since["renewal_application_overdue:2026-09-30"] == date(2026, 9, 1)
        assert since["claim_transmission_overdue:2026-05"] == date(2026, 6, 11)
        assert "monitoring_missing:2026-09" not in since
        # Each row cites the municipality's own seed lines (前橋: 004), not every manual's.
        visit_source = session.scalar(select(ScheduleItem.source).where(ScheduleItem.key == "home_visit:2026-05"))
        assert visit_source == "004_f6001c94592c1eac.txt:1830-1857"


def test_the_renewal_starts_on_the_day_and_not_beside_one_already_running(services):
    clock = FixedClock(datetime(2026, 7, 15, 9, 0, tzinfo=JST))
    runtime = services.runtime(clock)
    case_id, _ = open_case(services, runtime)
    with services.sessions() as session:
        runtime.fire_due(session)
        clock.set(datetime(2026, 7, 31, 23, 0, tzinfo=JST))
        runtime.fire_due(session)
        assert "renewal" not in instances(session, case_id)
        clock.set(datetime(2026, 8, 1, 0, 30, tzinfo=JST))  # certification end 2026-09-30 − 60 days
        runtime.fire_due(session)
        assert instances(session, case_id)["renewal"] == 1
        assert session.scalar(
            select(ScheduleItem.status).where(ScheduleItem.key == "renewal_application:2026-09-30")
        ) == ("open")


def test_a_renewal_started_by_hand_is_not_started_again(services):
    clock = FixedClock(datetime(2026, 7, 15, 9, 0, tzinfo=JST))
    runtime = services.runtime(clock)
    case_id, orgs = open_case(services, runtime)
    with services.sessions() as session:
        office = Actor(organisation_id=orgs["office"][0].id, role="office", system=True)
        runtime.start(session, case_id, "renewal", actor=office)
        clock.set(datetime(2026, 8, 2, 9, 0, tzinfo=JST))
        runtime.fire_due(session)
        assert instances(session, case_id)["renewal"] == 1
        skipped = session.scalars(select(Event).where(Event.kind == "duty_skipped")).one()
        assert skipped.detail["reason"] == "running:renewal"


def test_tick_fires_what_came_due_while_nothing_ran_and_then_nothing(monkeypatch, tmp_path):
    """`kaigoflow tick` on the wall clock: a plan of the last months, while no worker ran, gets each month's duty
    once, then 0. (Months older than the records' look-back, 400 days, are history and are not started.)"""
    url = f"sqlite:///{tmp_path / 'tick.sqlite3'}"
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    local = Services(Settings.from_env(), handlers.form_handlers(), handlers.python_decisions())
    runtime = local.runtime(FixedClock(date(2020, 1, 1)))
    case_id, _ = open_case(local, runtime)
    with local.sessions() as session:
        row = session.get(Case, case_id)
        this_month = date.today().replace(day=1)
        row.plan_start = add_months(this_month, -4)
        row.plan_end = add_months(this_month, -1) - timedelta(days=1)  # the end of the month 2 months ago
        row.certification_start, row.certification_end = add_months(this_month, -12), date(2099, 3, 31)
        session.commit()  # changed behind the engine's back (as data loaded before this feature would be)
    refreshed = runner.invoke(main, ["refresh-schedules"])
    assert refreshed.exit_code == 0 and "1件のケース" in refreshed.output
    first = runner.invoke(main, ["tick"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(main, ["tick"])
    assert again.output.strip() == "0件を実行しました"
    with local.sessions() as session:
        assert instances(session, case_id) == {"monthly_monitoring": 3}
    local.engine.dispose()
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"schedule_item", "risk", "calendar_token"} <= tables  # made by the migration, not create_all


@pytest.mark.parametrize("table", ["schedule_item", "risk", "calendar_token"])
def test_the_migration_matches_the_models(tmp_path, table):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from engine.store import db
    from engine.store.models import Base

    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    db.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert [d for d in diff if table in repr(d)] == []
