"""SIGKILL in the middle of completions and timer firings, many times at random points (SQLite file and
PostgreSQL): after each kill every instance loads, the task table agrees with the workflow, no document is half
written, and the lost work can be redone to the end.

A child process runs the engine in a loop (open a case, start `mini`, complete the intake, fire its timer,
complete the review) or, in the second test, only fires a batch of due timers. It dies by SIGKILL either from
the test after a random delay, or from itself just before its N-th SQL statement for a random N — which lands
inside transactions, between a timer's claim and its firing, between a snapshot and its commit. The test then
checks the database, finishes the interrupted work itself and goes again. The third test kills a process owner's
loop of saving a draft and publishing it (engine/publishing/versions.py): versions stay numbered 1…N without a gap, each
with the files its hash names and its one `process_published` event, and publishing goes on from there.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.clock import FixedClock
from engine.clock import SystemClock
from engine.execution.runtime import Actor
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import ProcessInstance
from engine.store.models import Task
from engine.store.models import Timer
from tests import consistency

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("KAIGOFLOW_TEST_KILLS", "6"))

CHILD = """
import sys
from datetime import timedelta
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from sqlalchemy import func
from sqlalchemy import select
from engine.config import Settings
from engine.accounts.demo_staff import demo_organisations, demo_user
from engine.store.models import Task
from engine.store.models import Timer
from engine.execution.runtime import Actor
from engine.services import Services

root, url, library, mode, die_after = sys.argv[1:]
decisions = {"score": lambda inputs, params: {"high": inputs["points"] >= 50}}
services = Services(Settings(database_url=url, processes_dir=Path(library)), {}, decisions)
runtime = services.runtime()
if int(die_after) > 0:
    import os, signal
    from sqlalchemy import event
    executed = [0]

    @event.listens_for(services.engine, "before_cursor_execute")
    def die(*_):
        executed[0] += 1
        if executed[0] == int(die_after):
            os.kill(os.getpid(), signal.SIGKILL)

with services.sessions() as session:
    center = demo_organisations(session, services.library.municipality("demo"))["center"][0]
    actor = Actor(user_id=demo_user(session, center).id, organisation_id=center.id, role="center")
    session.commit()
    executed = [0]  # counting starts with the work
    print("ready", flush=True)
    while True:
        if mode == "fire":
            runtime.fire_due(session, worker="crash-child")
            continue
        case = runtime.open_case(session, "demo", actor, center_org_id=center.id, care_level="shien1")
        runtime.start(session, case.id, "mini", actor=actor)
        for step in ("intake", "review"):
            [task] = session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready")).all()
            due = (runtime.clock.now() - timedelta(seconds=1)).isoformat()
            data = {"points": 70, "consultation_date": "2026-05-01", "wait_until": due}
            data = data if step == "intake" else {"ok": True}
            runtime.complete(session, task.id, data, actor)
            runtime.fire_due(session, worker="crash-child")
"""


PUBLISH_CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from engine.clock import SystemClock
from engine.config import Settings
from engine.services import Services

root, url, library, cache, die_after = sys.argv[1:]
decisions = {"score": lambda inputs, params: {"high": inputs["points"] >= 50}}
services = Services(Settings(database_url=url, processes_dir=Path(library), cache_dir=Path(cache)), {}, decisions)
mini = (Path(library) / "common" / "mini.bpmn").read_text(encoding="utf-8")
clock = SystemClock()
if int(die_after) > 0:
    import os, signal
    from sqlalchemy import event
    executed = [0]

    @event.listens_for(services.engine, "before_cursor_execute")
    def die(*_):
        executed[0] += 1
        if executed[0] == int(die_after):
            os.kill(os.getpid(), signal.SIGKILL)

print("ready", flush=True)
turn = 0
with services.sessions() as session:
    while True:
        turn += 1
        changed = {"mini.bpmn": mini.replace('name="受付"', f'name="受付{turn}"')}
        services.versions.save_files(session, "demo", changed, "owner", clock)
        services.versions.publish(session, "demo", f"変更 {turn}", "owner", clock, run_scenarios=False)
"""
VERSION_LIBRARY = ROOT / "tests" / "fixtures" / "versionlib"


@pytest.fixture
def center(fixture_services):
    with fixture_services.sessions() as session:
        org = demo_organisations(session, fixture_services.library.municipality("demo"))["center"][0]
        actor = Actor(user_id=demo_user(session, org).id, organisation_id=org.id, role="center")
        session.commit()
    return actor


def run_and_kill(fixture_services, mode: str, delay: float, die_after: int = 0) -> None:
    """Run the child until it is killed: by the test after `delay` seconds, or by itself at statement `die_after`."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            str(ROOT),
            fixture_services.settings.database_url,
            str(fixture_services.settings.processes_dir),
            mode,
            str(die_after),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "ready", child.stderr.read()
        if die_after:
            child.wait(timeout=120)
            assert child.returncode == -signal.SIGKILL, child.stderr.read()
        else:
            time.sleep(delay)
            assert child.poll() is None, child.stderr.read()  # still working when killed, not crashed by itself
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
        child.communicate()


def recovery_runtime(fixture_services):
    """Ten minutes on: the killed child's timer claims have expired, as they would for a restarted worker."""
    return fixture_services.runtime(FixedClock(SystemClock().now() + timedelta(minutes=10)))


def check_database(fixture_services, session) -> None:
    runtime = recovery_runtime(fixture_services)
    consistency.check(session, runtime)
    for document in session.scalars(select(Document)).all():
        # Whole: what the schema requires is there and valid (the snapshot was written with its transaction).
        errors = list(Draft202012Validator(document.schema).iter_errors(document.data))
        assert not errors, f"document {document.id} is not whole: {errors[0].message}"
    if session.get_bind().dialect.name == "sqlite":
        assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    session.rollback()


def redo_everything(fixture_services, session, actor: Actor) -> None:
    """Finish every interrupted case: start what never started, complete what is ready, fire what is due."""
    runtime = recovery_runtime(fixture_services)
    for _ in range(20):
        session.expire_all()
        for case in session.scalars(select(Case).where(Case.status == "open")).all():
            if session.scalar(select(ProcessInstance.id).where(ProcessInstance.case_id == case.id)) is None:
                runtime.start(session, case.id, "mini", actor=actor)
        for task in session.scalars(select(Task).where(Task.state == "ready")).all():
            due = (runtime.clock.now() - timedelta(seconds=1)).isoformat()
            data = (
                {"points": 70, "consultation_date": "2026-05-01", "wait_until": due}
                if task.bpmn_id == "intake"
                else {"ok": True}
            )
            runtime.complete(session, task.id, data, actor)
        fired = runtime.fire_due(session, worker="recovery", limit=1000)
        ready = session.scalars(select(Task).where(Task.state == "ready")).all()
        if not fired and not ready:
            break
    session.expire_all()
    assert session.scalars(select(Case).where(Case.status == "open")).all() == []
    assert {i.status for i in session.scalars(select(ProcessInstance)).all()} <= {"completed"}


@pytest.mark.slow
def test_sigkill_during_completions_and_timer_firings_loses_nothing(fixture_services, center, session):
    rng = random.Random(int(os.environ.get("KAIGOFLOW_TEST_SEED", "7")))
    for round_ in range(KILLS):
        if round_ % 2:
            run_and_kill(fixture_services, "flow", rng.uniform(0.2, 1.5))
        else:
            run_and_kill(fixture_services, "flow", 0, die_after=rng.randint(1, 120))
        check_database(fixture_services, session)
        redo_everything(fixture_services, session, center)
        check_database(fixture_services, session)
    assert len(session.scalars(select(Case)).all()) >= KILLS  # the child got work done between kills


@pytest.mark.slow
def test_sigkill_while_a_worker_fires_timers_then_a_restart_fires_each_once(fixture_services, center, session):
    rng = random.Random(int(os.environ.get("KAIGOFLOW_TEST_SEED", "11")))
    interrupted_mid_fire = 0
    for _ in range(KILLS):
        # A batch of cases waiting on timers: set up an hour ago, due a minute ago, so only a worker fires them.
        earlier = fixture_services.runtime(FixedClock(SystemClock().now() - timedelta(hours=1)))
        due = (SystemClock().now() - timedelta(minutes=1)).isoformat()
        for _ in range(10):
            case = earlier.open_case(session, "demo", center, center_org_id=center.organisation_id)
            earlier.start(session, case.id, "mini", actor=center)
            [task] = session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready")).all()
            submission = {"points": 70, "consultation_date": "2026-05-01", "wait_until": due}
            earlier.complete(session, task.id, submission, center)
        armed = session.scalar(
            select(func.count()).select_from(Timer).where(Timer.fired_at.is_(None), Timer.kind == "bpmn")
        )
        assert armed == 10
        run_and_kill(fixture_services, "fire", 0, die_after=rng.randint(1, 200))
        # Left behind: timers claimed by the dead worker and not fired (they wait for the claim to expire).
        session.expire_all()
        claimed = select(func.count()).select_from(Timer).where(Timer.fired_at.is_(None), Timer.claimed_by.is_not(None))
        interrupted_mid_fire += session.scalar(claimed) or 0
        session.rollback()
        check_database(fixture_services, session)
        redo_everything(fixture_services, session, center)
        check_database(fixture_services, session)
    assert interrupted_mid_fire, "no kill landed between a claim and its firing: raise KAIGOFLOW_TEST_KILLS"


def check_versions(session) -> int:
    """Versions 1…N without a gap, each whole (its hash is its files') with exactly one publishing event."""
    from engine.publishing.versions import bundle_hash
    from engine.store.models import Event
    from engine.store.models import ProcessVersion

    session.expire_all()
    rows = session.scalars(select(ProcessVersion).where(ProcessVersion.municipality == "demo")).all()
    numbers = sorted(row.number for row in rows)
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    for row in rows:
        assert row.bundle_hash == bundle_hash(row.files), f"version {row.number} is not whole"
    events = session.scalars(select(Event).where(Event.kind == "process_published")).all()
    published = sorted((e.detail["number"], e.detail["bundle_hash"]) for e in events)
    assert published == sorted((r.number, r.bundle_hash) for r in rows if r.number > 1)
    session.rollback()
    return len(numbers)


@pytest.mark.slow
def test_sigkill_while_publishing_leaves_whole_numbered_versions(database_url, tmp_path):
    from engine.clock import SystemClock
    from engine.config import Settings
    from engine.services import Services

    settings = Settings(database_url=database_url, processes_dir=VERSION_LIBRARY, cache_dir=tmp_path / "bundles")
    owner = Services(settings, {}, {"score": lambda inputs, params: {"high": inputs["points"] >= 50}})
    rng = random.Random(int(os.environ.get("KAIGOFLOW_TEST_SEED", "13")))
    mini = (VERSION_LIBRARY / "common" / "mini.bpmn").read_text(encoding="utf-8")
    published = 0
    try:
        with owner.sessions() as session:
            for round_ in range(KILLS):
                die_after = rng.randint(1, 60)
                child = subprocess.Popen(
                    [
                        *(sys.executable, "-c", PUBLISH_CHILD, str(ROOT), database_url, str(VERSION_LIBRARY)),
                        *(str(tmp_path / "child-bundles"), str(die_after)),
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                try:
                    assert child.stdout.readline().strip() == "ready", child.stderr.read()
                    child.wait(timeout=120)
                    assert child.returncode == -signal.SIGKILL, child.stderr.read()
                finally:
                    if child.poll() is None:
                        child.send_signal(signal.SIGKILL)
                    child.communicate()
                before = check_versions(session)
                # The owner carries on: a half-saved draft is saved over, and the next number follows.
                changed = mini.replace('name="受付"', f'name="受付 再開{round_}"')
                owner.versions.save_files(session, "demo", {"mini.bpmn": changed}, "owner", SystemClock())
                info = owner.versions.publish(session, "demo", "再開", "owner", SystemClock(), run_scenarios=False)
                assert info.number == max(before, 1) + 1
                published = check_versions(session)
    finally:
        owner.engine.dispose()
    assert published >= KILLS + 1
