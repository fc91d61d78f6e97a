"""Backup and restore (engine/store/backup.py, `kaigoflow backup` / `restore`) on SQLite and PostgreSQL.

The backup is taken while another thread keeps opening cases and completing their tasks: the restored database
holds every row that existed before the backup began, nothing that did not exist when it ended, and no half of
a transaction (each completed task has its document, each document its completed task).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.clock import FixedClock
from engine.execution.runtime import Actor
from engine.publishing.versions import bundle_hash
from engine.store import backup
from engine.store import db
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import ProcessVersion
from engine.store.models import Task
from web.cli import main

GOOD = {"points": 70, "consultation_date": "2026-05-01"}
TABLES = {
    "care_case": Case.id,
    "process_instance": ProcessInstance.id,
    "task": Task.id,
    "document": Document.id,
    "event": Event.id,
    "process_version": ProcessVersion.id,
}


@pytest.fixture
def actor(session, runtime):
    orgs = demo_organisations(session, runtime.library.municipality("demo"))
    session.commit()
    org = orgs["center"][0]
    return Actor(user_id=demo_user(session, org).id, organisation_id=org.id, role="center")


def one_case(session, runtime, actor: Actor, number: int) -> None:
    """Open a case, start `mini` and complete its intake: a case, an instance, tasks, a document and events."""
    case = runtime.open_case(
        session, "demo", actor, client_name=f"利用者 {number}", center_org_id=actor.organisation_id, care_level="shien1"
    )
    runtime.start(session, case.id, "mini", actor=actor)
    [intake] = session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready")).all()
    wait_until = (runtime.clock.now() + timedelta(days=1)).isoformat()
    runtime.complete(session, intake.id, {**GOOD, "wait_until": wait_until}, actor)


def ids(url: str) -> dict[str, set]:
    engine = db.make_engine(url)
    try:
        with db.session_factory(engine)() as session:
            return {name: set(session.scalars(select(column))) for name, column in TABLES.items()}
    finally:
        engine.dispose()


def consistent(url: str) -> None:
    """No half of a completion: a completed task has its document and a document its completed task."""
    engine = db.make_engine(url)
    try:
        with db.session_factory(engine)() as session:
            completed = set(session.scalars(select(Task.id).where(Task.state == "completed")))
            documented = set(session.scalars(select(Document.task_id)))
            assert completed == documented
    finally:
        engine.dispose()


@pytest.fixture
def restore_url(request, database_url, tmp_path):
    """An empty database of the same backend, made by `init-db` (as an operator would) and never used."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        url = request.getfixturevalue("empty_postgres_url")
    db.upgrade(url)
    return url


def test_a_backup_taken_under_load_restores_every_record(
    fixture_services, session, runtime, actor, clock, database_url, restore_url, tmp_path
):
    files = fixture_services.versions.files(session, "demo")
    for number in (
        1,
        2,
    ):  # published versions as engine/publishing/versions.py records them (its tests cover publishing)
        session.add(
            ProcessVersion(
                municipality="demo",
                number=number,
                bundle_hash=bundle_hash(files),
                files=files,
                reason=f"版 {number}",
                published_by="owner",
                published_at=clock.now(),
            )
        )
    session.commit()
    for number in range(3):
        one_case(session, runtime, actor, number)

    working, stop = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def load() -> None:
        try:
            worker_runtime = fixture_services.runtime(FixedClock(clock.now()))
            with fixture_services.sessions() as own:
                number = 100
                while not stop.is_set():
                    one_case(own, worker_runtime, actor, number)
                    number += 1
                    working.set()
        except BaseException as exc:
            failures.append(exc)
            working.set()

    thread = threading.Thread(target=load, name="load")
    thread.start()
    try:
        assert working.wait(timeout=120), "the load thread never completed a task"
        before = ids(database_url)
        target = tmp_path / "kaigoflow.backup"
        backup.backup(database_url, target)
        after = ids(database_url)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not failures, failures

    counts = backup.restore(restore_url, target)
    restored = ids(restore_url)
    for name in TABLES:
        assert before[name] <= restored[name] <= after[name], name
    assert len(restored["process_version"]) == 2
    assert counts["care_case"] == len(restored["care_case"]) >= 4
    consistent(restore_url)

    with pytest.raises(backup.BackupError) as refused:
        backup.restore(restore_url, target)
    assert "空ではない" in refused.value.message and "care_case" in refused.value.details["tables"]


def test_the_commands_back_up_and_refuse_a_restore_over_records(
    fixture_services, session, runtime, actor, database_url, restore_url, tmp_path, monkeypatch
):
    one_case(session, runtime, actor, 1)
    monkeypatch.setenv("KAIGOFLOW_PROCESSES", str(fixture_services.settings.processes_dir))
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", database_url)
    runner = CliRunner()
    target = tmp_path / "cli.backup"
    made = runner.invoke(main, ["backup", str(target)])
    assert made.exit_code == 0, made.output
    refused = runner.invoke(main, ["restore", str(target)])
    assert refused.exit_code == 6 and "空ではない" in refused.output
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", restore_url)
    done = runner.invoke(main, ["restore", str(target)])
    assert done.exit_code == 0, done.output
    assert "ケース 1件" in done.output and "帳票 1件" in done.output
    assert ids(restore_url) == ids(database_url)


def test_a_backup_of_the_other_backend_is_refused(database_url, restore_url, tmp_path):
    wrong = tmp_path / "wrong.backup"
    wrong.write_bytes(
        b"PGDMP" + b"\0" * 20 if database_url.startswith("sqlite") else b"SQLite format 3\x00" + b"\0" * 20
    )
    with pytest.raises(backup.BackupError) as refused:
        backup.restore(restore_url, wrong)
    assert "バックアップではありません" in refused.value.message
