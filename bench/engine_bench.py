"""Engine benchmarks (issue: the engine and the first flow). Prints figures; asserts nothing.

(a) one durable completion through the engine vs. the raw SpiffWorkflow in-memory step plus one empty committed
    transaction on the same database, measured in the same run: the ratio is the engine's overhead;
(b) completing a monitoring task at month 1 vs. month 60 of one case: the ratio shows whether cost grows;
(c) parse + validate of the whole process library, cold.

Usage: .venv/bin/python bench/engine_bench.py [--database-url URL] [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from uuid import UUID

from sqlalchemy import select
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import handlers  # noqa: E402
from engine import spiff  # noqa: E402
from engine.clock import FixedClock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.db import make_engine  # noqa: E402
from engine.directory import demo_organisations  # noqa: E402
from engine.directory import demo_user  # noqa: E402
from engine.library import Library  # noqa: E402
from engine.lint import lint_library  # noqa: E402
from engine.models import Base  # noqa: E402
from engine.models import Task  # noqa: E402
from engine.runtime import Actor  # noqa: E402
from engine.services import Services  # noqa: E402

MUNI = "suzuka-kameyama"


def _services(url: str) -> Services:
    if url.startswith("postgresql"):
        url = _bench_database(url)
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    return Services(Settings(url, ROOT / "processes"), handlers.form_handlers(), handlers.python_decisions())


def _bench_database(server_url: str) -> str:
    """A database of the bench's own on the server (never the server's default database)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = 'kaigoflow_bench'"))
        if not exists:
            conn.execute(text("CREATE DATABASE kaigoflow_bench"))
    admin.dispose()
    return make_url(server_url).set(database="kaigoflow_bench").render_as_string(hide_password=False)


def _monitoring_case(svc: Services, clock: FixedClock, session, plan_months: int):
    """A delegated case whose plan runs `plan_months` months, with monthly monitoring duties scheduled."""
    runtime = svc.runtime(clock)
    orgs = demo_organisations(session, svc.library.municipality(MUNI))
    office = orgs["office"][0]
    actor = Actor(user_id=demo_user(session, office).id, organisation_id=office.id, role="office")
    session.commit()
    start = date(2026, 5, 1)
    end_year, end_month = divmod(start.month - 1 + plan_months - 1, 12)
    plan_end = date(start.year + end_year, end_month + 1, 28)
    case = runtime.open_case(
        session,
        MUNI,
        center_org_id=orgs["center"][0].id,
        office_org_id=office.id,
        care_level="shien2",
        delegated=True,
        certification_start=start,
        certification_end=plan_end,
        plan_start=start,
        plan_end=plan_end,
    )
    runtime.refresh_schedule(session, case.id)  # open_case did it already; kept explicit for the reader
    session.commit()
    return runtime, case, actor


def _complete_month(runtime, session, case, actor, clock, month_index: int) -> float:
    clock.set(date(2026 + (4 + month_index) // 12, (4 + month_index) % 12 + 1, 2))
    runtime.fire_due(session)
    task = session.scalar(
        select(Task).where(Task.case_id == case.id, Task.state == "ready", Task.bpmn_id == "monitoring")
    )
    _, _, data = runtime.form_context(session, task.id)
    form = runtime.load(session, task.instance_id).resolved.forms[task.form]
    submission = {**form.example(), "month": data.get("month"), "contact_date": f"{data.get('month')}-02"}
    started = time.perf_counter()
    runtime.complete(session, task.id, submission, actor)
    return time.perf_counter() - started


def bench_growth(url: str, rounds: int) -> tuple[float, float]:
    svc = _services(url)
    clock = FixedClock(date(2026, 5, 1))
    with svc.sessions() as session:
        runtime, case, actor = _monitoring_case(svc, clock, session, plan_months=61)
        _complete_month(runtime, session, case, actor, clock, 0)  # warm-up: caches and first-use costs
        times = [_complete_month(runtime, session, case, actor, clock, m) for m in range(1, 61)]
    svc.engine.dispose()
    early = statistics.median(times[:rounds])
    late = statistics.median(times[-rounds:])
    return early, late


def bench_overhead(url: str, rounds: int) -> tuple[float, float]:
    """Engine completion of a monitoring task vs. Spiff's own in-memory run + one empty commit."""
    svc = _services(url)
    clock = FixedClock(date(2026, 5, 1))
    engine_times, raw_times = [], []
    with svc.sessions() as session:
        runtime, case, actor = _monitoring_case(svc, clock, session, plan_months=rounds + 2)
        _complete_month(runtime, session, case, actor, clock, 0)  # warm-up
        for month in range(1, rounds + 1):
            engine_times.append(_complete_month(runtime, session, case, actor, clock, month))
        resolved = svc.library.resolve(MUNI, "monthly_monitoring")
        form = resolved.forms["monitoring"]
        for _ in range(rounds):
            workflow = spiff.BpmnWorkflow(
                resolved.spec, resolved.subprocess_specs, script_engine=runtime._script_engine(resolved, case)
            )
            workflow.do_engine_steps()
            [task] = [
                t
                for t in workflow.get_tasks(state=spiff.TaskState.READY)
                if isinstance(t.task_spec, spiff.UserTaskMixin)
            ]
            task_id = UUID(str(task.id))
            started = time.perf_counter()
            task = workflow.get_task_from_id(task_id)
            task.data.update(form.example())
            task.run()
            workflow.do_engine_steps()
            session.execute(text("SELECT 1"))
            session.commit()
            raw_times.append(time.perf_counter() - started)
    svc.engine.dispose()
    return statistics.median(engine_times), statistics.median(raw_times)


def bench_library() -> float:
    started = time.perf_counter()
    report = lint_library(Library(ROOT / "processes", python_decisions=handlers.python_decisions()))
    elapsed = time.perf_counter() - started
    if not report.ok:
        print(f"  (lint found {len(report.problems)} problems)")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", action="append", dest="urls")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        urls = args.urls or [f"sqlite:///{tmp}/bench.sqlite3"]
        for url in urls:
            backend = url.split(":", 1)[0]
            engine_s, raw_s = bench_overhead(url, args.rounds)
            print(
                f"[{backend}] (a) durable completion {engine_s * 1000:.2f} ms vs raw Spiff step + empty commit "
                f"{raw_s * 1000:.2f} ms: ratio {engine_s / raw_s:.2f}"
            )
            early, late = bench_growth(url, args.rounds)
            print(
                f"[{backend}] (b) monitoring completion month 1-{args.rounds} {early * 1000:.2f} ms vs month "
                f"{61 - args.rounds}-60 {late * 1000:.2f} ms: ratio {late / early:.2f}"
            )
    print(f"(c) parse + validate the whole library (cold): {bench_library() * 1000:.0f} ms")


if __name__ == "__main__":
    main()
