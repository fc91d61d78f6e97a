"""The event log is append-only in the database (triggers, on SQLite and PostgreSQL alike) and the migration
installs the same triggers; retention deletes an ended case with all its events only after its period is over."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError

from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.clock import JST
from engine.execution.runtime import Actor
from engine.store import append_only
from engine.store import db
from engine.store import retention
from engine.store.models import Base
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import RetentionPurge
from engine.store.models import Task
from engine.store.models import Timer
from web.cli import main

GOOD = {"points": 70, "consultation_date": "2026-05-01", "wait_until": "2026-05-10T00:00:00+09:00"}


@pytest.fixture
def center(session, runtime):
    orgs = demo_organisations(session, runtime.library.municipality("demo"))
    session.commit()
    org = orgs["center"][0]
    return Actor(user_id=demo_user(session, org).id, organisation_id=org.id, role="center"), orgs


def ended_case(session, runtime, clock, actor, orgs, name="山田 太郎"):
    """A case run through `mini` to its endsCase end: documents, a fired timer, events; ended on the clock's day."""
    case = runtime.open_case(
        session, "demo", actor, client_name=name, center_org_id=orgs["center"][0].id, care_level="shien1"
    )
    runtime.start(session, case.id, "mini", actor=actor)
    [intake] = session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready")).all()
    runtime.complete(session, intake.id, {**GOOD, "wait_until": (clock.now() + timedelta(days=1)).isoformat()}, actor)
    clock.advance(timedelta(days=2))
    assert runtime.fire_due(session) == 1
    [review] = session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready")).all()
    runtime.complete(session, review.id, {"ok": True}, actor)
    session.expire_all()
    case = session.get(Case, case.id)
    assert case.status == "ended"
    return case


def refused(session, statement) -> str:
    with pytest.raises(DBAPIError) as error:
        session.execute(statement)
        session.flush()
    session.rollback()
    return str(error.value)


def test_events_can_be_neither_updated_nor_deleted(session, runtime, center, clock):
    actor, orgs = center
    case = ended_case(session, runtime, clock, actor, orgs)
    before = [(e.id, e.kind, e.actor_id, e.at, e.detail) for e in session.scalars(select(Event).order_by(Event.id))]
    assert len(before) >= 6
    for statement in (
        update(Event).values(kind="forged"),
        update(Event).where(Event.kind == "task_completed").values(actor_id=None),
        delete(Event),
        delete(Event).where(Event.case_id == case.id),
        text("DELETE FROM event WHERE kind = 'task_completed'"),
    ):
        assert append_only.REFUSAL in refused(session, statement)
    if session.get_bind().dialect.name == "postgresql":
        assert append_only.REFUSAL in refused(session, text("TRUNCATE event CASCADE"))
    session.expire_all()
    after = [(e.id, e.kind, e.actor_id, e.at, e.detail) for e in session.scalars(select(Event).order_by(Event.id))]
    assert after == before
    # The ORM path is refused as well.
    event = session.scalars(select(Event)).first()
    event.kind = "forged"
    with pytest.raises(DBAPIError):
        session.commit()
    session.rollback()


def test_listing_another_case_in_retention_purge_does_not_unlock_this_one(session, runtime, center, clock):
    actor, orgs = center
    kept = ended_case(session, runtime, clock, actor, orgs)
    session.add(RetentionPurge(case_id=kept.id + 1000, started_at=clock.now()))
    session.commit()
    assert append_only.REFUSAL in refused(session, delete(Event).where(Event.case_id == kept.id))
    # Events that belong to no case (sign-ins, refusals) can never be deleted.
    session.add(Event(at=clock.now(), kind="login", detail={}))
    session.commit()
    assert append_only.REFUSAL in refused(session, delete(Event).where(Event.case_id.is_(None)))


def test_the_migration_installs_the_same_triggers(database_url):
    engine = db.make_engine(database_url)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.upgrade(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO event (at, kind, detail) VALUES (:at, 'login', '{}')"), {"at": datetime.now(JST)}
            )
        for sql in ("UPDATE event SET kind = 'forged'", "DELETE FROM event"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(sql))
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT kind FROM event")) == "login"
    finally:
        Base.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()


def count(session, model, **where):
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return session.scalar(query)


def test_kept_until_follows_the_civil_code_count():
    assert retention.kept_until(date(2026, 9, 30), 5) == date(2031, 9, 30)
    assert retention.kept_until(date(2028, 2, 29), 5) == date(2033, 2, 28)


def test_ended_cases_are_kept_five_years_then_purged_with_everything(session, runtime, center, clock, fixture_services):
    actor, orgs = center
    old = ended_case(session, runtime, clock, actor, orgs, name="山田 太郎")
    old_id, ended_on = old.id, old.ended_at.astimezone(JST).date()
    clock.advance(timedelta(days=40))
    young = ended_case(session, runtime, clock, actor, orgs, name="鈴木 次郎")
    open_case = runtime.open_case(session, "demo", actor, client_name="佐藤 花", center_org_id=orgs["center"][0].id)
    library = fixture_services.library
    assert retention.retention_years(library, "demo") == 5

    last_kept_day = datetime(2031, ended_on.month, ended_on.day, 23, 59, tzinfo=JST)
    assert retention.expired_cases(session, library, last_kept_day) == []
    after = last_kept_day + timedelta(minutes=2)
    # Dry run: the old case is listed with its counts, nothing is deleted.
    [listed] = retention.purge_expired(session, library, after)
    assert listed.case.case_id == old_id and listed.counts["document"] == 2 and listed.counts["event"] > 5
    assert "山田" not in listed.line()
    assert session.get(Case, old_id) is not None

    [purged] = retention.purge_expired(session, library, after, execute=True)
    assert purged.case.case_id == old_id
    assert purged.counts == listed.counts | {"task_draft": 0}
    session.expire_all()
    assert session.get(Case, old_id) is None
    for model in (Event, Document, Timer, Task, ProcessInstance):
        assert count(session, model, case_id=old_id) == 0, model.__name__
    assert count(session, RetentionPurge) == 0
    # The younger case and the open one are untouched, events included.
    assert session.get(Case, young.id) is not None and session.get(Case, open_case.id) is not None
    assert count(session, Event, case_id=young.id) > 5 and count(session, Document, case_id=young.id) == 2
    # What was deleted is logged without personal data.
    [log] = session.scalars(select(Event).where(Event.kind == "case_purged")).all()
    assert log.case_id is None and log.detail["case_id"] == old_id and log.detail["retention_years"] == 5
    assert log.detail["deleted"]["document"] == 2
    assert "山田" not in str(log.detail)
    # And the log stays append-only after a purge.
    assert append_only.REFUSAL in refused(session, delete(Event).where(Event.case_id == young.id))


def test_purge_expired_is_a_dry_run_unless_told(session, runtime, center, clock, fixture_services, monkeypatch):
    actor, orgs = center
    clock.set(date(2015, 4, 1))  # ended long ago by the system clock the command uses
    old_id = ended_case(session, runtime, clock, actor, orgs).id
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", fixture_services.settings.database_url)
    monkeypatch.setenv("KAIGOFLOW_PROCESSES", str(fixture_services.settings.processes_dir))
    runner = CliRunner()
    dry = runner.invoke(main, ["purge-expired"])
    assert dry.exit_code == 0, dry.output
    assert f"削除対象: ケース {old_id}" in dry.output and "確認のみ" in dry.output
    assert "山田" not in dry.output
    session.expire_all()
    assert session.get(Case, old_id) is not None
    done = runner.invoke(main, ["purge-expired", "--execute"])
    assert done.exit_code == 0, done.output
    assert "1件のケースを削除しました" in done.output
    session.expire_all()
    assert session.get(Case, old_id) is None
