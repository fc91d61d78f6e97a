"""The timer worker: several workers at once never fire one timer twice (SKIP LOCKED and the conditional claim
on PostgreSQL; the write lock on SQLite), and timers or duties that came due while no worker ran fire exactly
once when one comes back."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.clock import FixedClock
from engine.clock import SystemClock
from engine.execution.runtime import Actor
from engine.scheduling import schedule
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import Task
from engine.store.models import Timer
from tests import consistency

ROOT = Path(__file__).resolve().parents[2]
TIMERS = 60
WORKERS = 3

WORKER = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from engine.config import Settings
from engine.services import Services

root, url, library, name, go = sys.argv[1:]
decisions = {"score": lambda inputs, params: {"high": inputs["points"] >= 50}}
services = Services(Settings(database_url=url, processes_dir=Path(library)), {}, decisions)
runtime = services.runtime()
with services.sessions() as session:
    runtime.library.resolve("demo", "mini")  # warm, so the race is about firing, not start-up
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    fired = 0
    while True:
        now = runtime.fire_due(session, worker=name, limit=1)
        if not now:
            break
        fired += now
print(fired, flush=True)
services.engine.dispose()
"""


@pytest.fixture
def center(fixture_services):
    with fixture_services.sessions() as session:
        org = demo_organisations(session, fixture_services.library.municipality("demo"))["center"][0]
        actor = Actor(user_id=demo_user(session, org).id, organisation_id=org.id, role="center")
        session.commit()
    return actor


def waiting_cases(fixture_services, session, center, count: int, due: str) -> None:
    """Cases whose `mini` waits on a timer at `due`, set up by a clock an hour before it."""
    earlier = fixture_services.runtime(FixedClock(SystemClock().now() - timedelta(hours=1)))
    for _ in range(count):
        case = earlier.open_case(session, "demo", center, center_org_id=center.organisation_id)
        earlier.start(session, case.id, "mini", actor=center)
        [task] = session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready")).all()
        earlier.complete(session, task.id, {"points": 70, "consultation_date": "2026-05-01", "wait_until": due}, center)


@pytest.mark.slow
def test_concurrent_workers_fire_every_timer_exactly_once(fixture_services, session, center, tmp_path):
    waiting_cases(fixture_services, session, center, TIMERS, (SystemClock().now() - timedelta(minutes=1)).isoformat())
    assert session.scalar(select(func.count()).select_from(Timer).where(Timer.fired_at.is_(None))) == TIMERS
    session.rollback()
    go = tmp_path / "go"
    settings = fixture_services.settings
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                str(ROOT),
                settings.database_url,
                str(settings.processes_dir),
                f"w{i}",
                str(go),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(WORKERS)
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        go.touch()
        reported = []
        for worker in workers:
            out, err = worker.communicate(timeout=300)
            assert worker.returncode == 0, err
            reported.append(int(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    session.expire_all()
    assert sum(reported) == TIMERS  # every timer fired, and none twice
    fired = Counter(e.detail["key"] for e in session.scalars(select(Event).where(Event.kind == "timer_fired")).all())
    assert len(fired) == TIMERS and set(fired.values()) == {1}
    by_worker = Counter(t.claimed_by for t in session.scalars(select(Timer)).all())
    assert by_worker == Counter({f"w{i}": n for i, n in enumerate(reported) if n})
    if session.get_bind().dialect.name == "postgresql":
        # SKIP LOCKED: the workers shared the work instead of queueing behind one another's locks.
        assert sum(1 for n in reported if n) >= 2, reported
    reviews = session.scalars(select(Task).where(Task.bpmn_id == "review", Task.state == "ready")).all()
    assert len(reviews) == TIMERS and len({t.instance_id for t in reviews}) == TIMERS
    counts = consistency.check(session, fixture_services.runtime(FixedClock(SystemClock().now())))
    assert counts["ready"] == TIMERS


def test_a_timer_due_while_no_worker_ran_fires_once_when_one_comes_back(fixture_services, session, center):
    clock = FixedClock(date(2026, 5, 1))
    runtime = fixture_services.runtime(clock)
    case = runtime.open_case(session, "demo", center, center_org_id=center.organisation_id)
    runtime.start(session, case.id, "mini", actor=center)
    [task] = session.scalars(select(Task).where(Task.case_id == case.id)).all()
    runtime.complete(
        session, task.id, {"points": 70, "consultation_date": "2026-05-01", "wait_until": "2026-05-03"}, center
    )
    clock.advance(timedelta(days=40))  # the worker was down for weeks
    assert runtime.fire_due(session) == 1
    assert runtime.fire_due(session) == 0
    clock.advance(timedelta(days=1))
    assert runtime.fire_due(session) == 0
    ready = session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready")).all()
    assert [t.bpmn_id for t in ready] == ["review"]
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "timer_fired")) == 1


def test_a_claim_left_by_a_dead_worker_is_fired_once_after_it_expires(fixture_services, session, center):
    clock = FixedClock(date(2026, 5, 1))
    runtime = fixture_services.runtime(clock)
    case = runtime.open_case(session, "demo", center, center_org_id=center.organisation_id)
    runtime.start(session, case.id, "mini", actor=center)
    [task] = session.scalars(select(Task).where(Task.case_id == case.id)).all()
    runtime.complete(
        session, task.id, {"points": 70, "consultation_date": "2026-05-01", "wait_until": "2026-05-03"}, center
    )
    clock.advance(timedelta(days=3))
    assert schedule.claim_next(session, "dead-worker", clock.now()) is not None  # claimed, then the worker died
    assert runtime.fire_due(session, worker="alive") == 0  # still claimed
    clock.advance(timedelta(seconds=schedule.CLAIM_SECONDS + 1))
    assert runtime.fire_due(session, worker="alive") == 1
    assert runtime.fire_due(session, worker="alive") == 0
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "timer_fired")) == 1


def test_monthly_duties_due_while_no_worker_ran_start_once_each(services, clock):
    runtime = services.runtime(clock)
    with services.sessions() as session:
        orgs = demo_organisations(session, services.library.municipality("suzuka-kameyama"))
        session.commit()
        runtime.open_case(
            session,
            "suzuka-kameyama",
            center_org_id=orgs["center"][0].id,
            care_level="shien2",
            care_management_type="A",
            plan_start=date(2026, 5, 1),
            plan_end=date(2027, 4, 30),
        )
        session.commit()  # opening the case computed its schedule and armed a duty timer per monitoring month
        monthly = select(func.count()).select_from(Timer).where(Timer.kind == "duty", Timer.key.like("%monitoring%"))
        assert session.scalar(monthly) == 12
        clock.set(date(2026, 8, 15))  # down since May: May, June, July and August are due
        assert runtime.fire_due(session) == 4
        assert runtime.fire_due(session) == 0
        periods = session.scalars(
            select(ProcessInstance.period).where(ProcessInstance.process_key == "monthly_monitoring")
        ).all()
        assert sorted(periods) == ["2026-05", "2026-06", "2026-07", "2026-08"]
        consistency.check(session, runtime)
