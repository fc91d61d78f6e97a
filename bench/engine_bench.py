"""Engine benchmarks (issue 2 item 8, issue 7 items 9 and 12). Prints figures; asserts nothing.

(a) one durable completion through the engine vs. the raw SpiffWorkflow in-memory step plus one empty committed
    transaction on the same database, measured in the same run, interleaved round by round so both see the same
    noise: the ratio is the engine's overhead (goal ≤ 2). Printed alongside: the durable floor, i.e. the raw step
    plus a transaction that commits one small row (what any durable completion must at least pay: the WAL flush),
    and how many SQL statements one completion sends.
(b) completing the monthly モニタリング at month 1 vs. month 60 of one case's plan: the ratio shows whether cost
    grows with the case's history (issue 14 goal 3: ≤ 1.1 in CPU time).
(d) the naive design SpiffWorkflow's documentation suggests (bench/naive_peer.py: one JSON row per case, one
    monitoring loop per case) as a peer, interleaved round by round with the engine at month 1 and month 60
    (issue 14 goal 2: at most the peer's time at month 1, at most a third of it at month 60).
(c) cold start, in a fresh interpreter: parse + validate the whole process library (`kaigoflow lint` of every
    municipality), then every flow's specs restored as a worker restores each on first use, and the resident
    memory of one web worker after loading the app and the whole library.

Each completion runs as a web request does: a new session, the engine's one transaction, commit, close.

Usage: .venv/bin/python bench/engine_bench.py [--rounds N] [--database-url URL ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from common import ROOT
from common import backend
from common import databases
from common import log
from common import machine
from common import rss_mib
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy import text

import handlers
from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.clock import FixedClock
from engine.config import Settings
from engine.execution.runtime import Actor
from engine.process_library import spiff
from engine.services import Services
from engine.store.models import Base
from engine.store.models import Event
from engine.store.models import Task

MUNI = "suzuka-kameyama"


class Timing:
    """Wall time, and this process's CPU time: on a shared machine the CPU time is the steadier of the two
    (it leaves out waiting for the disk, for PostgreSQL and for other processes' turns on the CPU)."""

    def __enter__(self) -> Timing:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def _medians(timings: list[Timing]) -> tuple[float, float]:
    return statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings)


class Statements:
    """Counts the SQL statements an engine sends (a listener on the engine)."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


def _services(url: str) -> Services:
    svc = Services(Settings(url, ROOT / "processes"), handlers.form_handlers(), handlers.python_decisions())
    Base.metadata.drop_all(svc.engine)
    Base.metadata.create_all(svc.engine)
    return svc


FIRST_MONTH = date(2026, 5, 1)


def _month(index: int) -> date:
    """The first day of the month `index` months after FIRST_MONTH."""
    year, month = divmod(FIRST_MONTH.month - 1 + index, 12)
    return date(FIRST_MONTH.year + year, month + 1, 1)


class MonitoringCase:
    """A delegated case whose plan runs `months` months from month `start` on, with its monitoring duties scheduled.

    Cases made with the same clock share it: a duty fires for whichever case it is due.
    """

    def __init__(self, svc: Services, months: int, clock: FixedClock | None = None, start: int = 0) -> None:
        self.svc = svc
        self.clock = clock or FixedClock(FIRST_MONTH)
        self.runtime = svc.runtime(self.clock)
        self.start = start
        with svc.sessions() as session:
            orgs = demo_organisations(session, svc.library.municipality(MUNI))
            office = orgs["office"][0]
            self.actor = Actor(user_id=demo_user(session, office).id, organisation_id=office.id, role="office")
            session.commit()
            start_day = _month(start)
            end_year, end_month = divmod(start_day.month - 1 + months - 1, 12)
            plan_end = date(start_day.year + end_year, end_month + 1, 28)
            case = self.runtime.open_case(
                session,
                MUNI,
                center_org_id=orgs["center"][0].id,
                office_org_id=office.id,
                care_level="shien2",
                delegated=True,
                certification_start=start_day,
                certification_end=plan_end,
                plan_start=start_day,
                plan_end=plan_end,
            )
            session.commit()  # opening the case computed its schedule and armed its monthly duties
            self.case_id = case.id

    def prepare(self, month_index: int) -> tuple[str, dict[str, Any]]:
        """Move the clock into the plan's month `month_index` (0: its first), let due duties start, and return
        the ready monitoring task and a submission for it."""
        self.clock.set(_month(self.start + month_index).replace(day=2))
        with self.svc.sessions() as session:
            # A case opened years before its plan starts has its duties armed only a year ahead; in use, each
            # month's record re-arms them. Here the clock jumps, so re-arm before firing (set-up, not timed).
            self.runtime.refresh_schedule(session, self.case_id)
            self.runtime.fire_due(session)
            task = session.scalar(
                select(Task).where(Task.case_id == self.case_id, Task.state == "ready", Task.bpmn_id == "monitoring")
            )
            _, _, data = self.runtime.form_context(session, task.id)
            form = self.runtime.load(session, task.instance_id).resolved.forms[task.form]
            month = data.get("month")
            return task.id, {**form.example(), "month": month, "contact_date": f"{month}-02"}

    def complete(self, task_id: str, submission: dict[str, Any]) -> Timing:
        """One durable completion as a request makes it: new session, the engine's transaction, close."""
        with Timing() as timing, self.svc.sessions() as session:
            self.runtime.complete(session, task_id, submission, self.actor)
        return timing


def _raw_step(svc: Services, runtime: Any, case: Any) -> tuple[Any, Any, dict[str, Any]]:
    """A fresh in-memory monitoring workflow, run up to its ready user task (set-up, not timed)."""
    resolved = svc.library.resolve(MUNI, "monthly_monitoring")
    with svc.sessions() as session:
        script_engine = runtime._script_engine(session, resolved, case)
    workflow = spiff.BpmnWorkflow(resolved.spec, resolved.subprocess_specs, script_engine=script_engine)
    workflow.do_engine_steps()
    [task] = [
        t for t in workflow.get_tasks(state=spiff.TaskState.READY) if isinstance(t.task_spec, spiff.UserTaskMixin)
    ]
    return workflow, UUID(str(task.id)), resolved.forms["monitoring"].example()


def _spiff_step(workflow: Any, task_id: UUID, submission: dict[str, Any]) -> None:
    task = workflow.get_task_from_id(task_id)
    task.data.update(submission)
    task.run()
    workflow.do_engine_steps()


def bench_overhead(url: str, rounds: int) -> dict[str, float]:
    """(a): engine completion vs. raw Spiff step + empty commit, and vs. raw step + a one-row durable commit."""
    svc = _services(url)
    statements = Statements(svc.engine)
    subject = MonitoringCase(svc, months=rounds + 2)
    from engine.store.models import Case

    with svc.sessions() as session:
        case = session.get(Case, subject.case_id)
    subject.complete(*subject.prepare(0))  # warm-up: caches, statement cache, first-use costs
    engine_s, raw_s, floor_s, empty_s, row_s, counts = [], [], [], [], [], []
    for month in range(1, rounds + 1):
        task_id, submission = subject.prepare(month)
        before = statements.count
        engine_s.append(subject.complete(task_id, submission))
        counts.append(statements.count - before)

        workflow, spiff_task, example = _raw_step(svc, subject.runtime, case)
        with Timing() as timing:
            _spiff_step(workflow, spiff_task, example)
            with svc.sessions() as session:
                session.execute(text("SELECT 1"))
                session.commit()
        raw_s.append(timing)

        workflow, spiff_task, example = _raw_step(svc, subject.runtime, case)
        with Timing() as timing:
            _spiff_step(workflow, spiff_task, example)
            with svc.sessions() as session:
                session.add(Event(at=subject.clock.now(), kind="bench_floor", detail={}))
                session.commit()
        floor_s.append(timing)

        with Timing() as timing, svc.sessions() as session:  # the commits alone: what durability costs
            session.execute(text("SELECT 1"))
            session.commit()
        empty_s.append(timing)
        with Timing() as timing, svc.sessions() as session:
            session.add(Event(at=subject.clock.now(), kind="bench_floor", detail={}))
            session.commit()
        row_s.append(timing)
    svc.engine.dispose()
    figures = {"statements": statistics.median(counts)}
    for name, timings in (
        ("engine", engine_s),
        ("raw", raw_s),
        ("floor", floor_s),
        ("empty_commit", empty_s),
        ("row_commit", row_s),
    ):
        figures[name], figures[f"{name}_cpu"] = _medians(timings)
    return figures


def bench_growth(url: str, rounds: int) -> dict[str, float]:
    """(b): a case in months 1..rounds of its plan vs. one in months 61..60+rounds, completed turn about.

    The old case is first run through 60 months of monitoring (not timed); the young case's plan starts the month
    the old one reaches month 60. Then, month by month, one completion each: both see the same noise and the same
    database, so the ratio isolates what a case's history costs.
    """
    svc = _services(url)
    clock = FixedClock(FIRST_MONTH)
    old = MonitoringCase(svc, months=61 + rounds, clock=clock)
    young = MonitoringCase(svc, months=rounds + 1, clock=clock, start=60)
    for month in range(60):
        old.complete(*old.prepare(month))
    early, late = [], []
    for month in range(rounds + 1):
        young_task = young.prepare(month)  # the same clock: the old case's duty of this month is due too
        old_task = old.prepare(60 + month)
        if month == 0:
            continue  # the young case's first completion warms its spec and statement caches
        early.append(young.complete(*young_task))
        late.append(old.complete(*old_task))
    svc.engine.dispose()
    figures = {}
    figures["early"], figures["early_cpu"] = _medians(early)
    figures["late"], figures["late_cpu"] = _medians(late)
    return figures


def bench_peer(url: str, rounds: int) -> dict[str, float]:
    """(d) issue 14 goal 2: the engine against the naive design (naive_peer.py) at month 1 and month 60 of a case.

    Four subjects on the same database, each completed once per round, in turn (same noise): the engine's young and
    old case as in (b), and the naive design's young and old case, the old one first run through 60 months (not
    timed). Each naive completion gets the engine's submission of the same month.
    """
    from naive_peer import NaivePeer

    svc = _services(url)
    clock = FixedClock(FIRST_MONTH)
    old = MonitoringCase(svc, months=61 + rounds, clock=clock)
    young = MonitoringCase(svc, months=rounds + 1, clock=clock, start=60)
    peer = NaivePeer(svc.engine, svc.sessions)
    peer_old, peer_young = peer.open_case(), peer.open_case()
    for month in range(60):
        task = old.prepare(month)
        old.complete(*task)
        peer.complete(peer_old, task[1])
    timings: dict[str, list[Timing]] = {"engine_1": [], "engine_60": [], "naive_1": [], "naive_60": []}
    sizes = []
    for month in range(rounds + 1):
        young_task = young.prepare(month)
        old_task = old.prepare(60 + month)
        results = {}
        results["engine_1"] = young.complete(*young_task)
        with Timing() as timing:
            size = peer.complete(peer_young, young_task[1])
        results["naive_1"] = timing
        results["engine_60"] = old.complete(*old_task)
        with Timing() as timing:
            sizes.append(peer.complete(peer_old, old_task[1]))
        results["naive_60"] = timing
        if month == 0:
            continue  # warm-up round: first-use costs of each subject
        for key, timing in results.items():
            timings[key].append(timing)
    svc.engine.dispose()
    figures = {"naive_state_kib_60": statistics.median(sizes) / 1024, "naive_state_kib_1": size / 1024}
    for key, values in timings.items():
        figures[key], figures[f"{key}_cpu"] = _medians(values)
    return figures


def cold_start_child(database_url: str, cache_dir: str) -> None:
    """Run in a fresh interpreter: time the library's parse + validate, then load the app; print JSON.

    `cache_dir` is the parse cache (engine/process_library/parsecache.py) as a worker finds it: empty on the first start
    after a change, filled on every later one.
    """
    started = time.perf_counter()
    import handlers as handler_package
    from engine.process_library.lint import lint_library
    from engine.process_library.loader import Library
    from engine.process_library.parsecache import ParseCache
    from web import create_app

    imported = time.perf_counter()
    cpu = time.process_time()
    library = Library(
        ROOT / "processes", python_decisions=handler_package.python_decisions(), cache=ParseCache(Path(cache_dir))
    )
    report = lint_library(library)
    linted = time.perf_counter()
    linted_cpu = time.process_time() - cpu
    # What a worker pays on each flow's first use, summed: lint of an unchanged library restores no spec.
    cpu = time.process_time()
    for municipality in library.municipalities():
        for process_key in library.process_keys(municipality):
            library.resolve(municipality, process_key)
    restored = time.perf_counter()
    restored_cpu = time.process_time() - cpu
    services = Services(
        Settings(database_url, ROOT / "processes", "bench-key-of-at-least-thirty-two-bytes"),
        handler_package.form_handlers(),
        handler_package.python_decisions(),
    )
    services.__dict__["library"] = library  # the worker keeps the parsed library (cached_property slot)
    create_app(services=services)
    flows = sum(len(library.process_keys(m)) for m in library.municipalities())
    print(
        json.dumps(
            {
                "import_s": imported - started,
                "library_s": linted - imported,
                "library_cpu_s": linted_cpu,
                "restore_s": restored - linted,
                "restore_cpu_s": restored_cpu,
                "total_s": time.perf_counter() - started,
                "files": report.files,
                "problems": len(report.problems),
                "flows": flows,
                "municipalities": len(library.municipalities()),
                "rss_mib": rss_mib(),
            }
        )
    )


def bench_cold_start(runs: int) -> tuple[dict[str, float], list[dict[str, float]]]:
    """(c): fresh interpreters, so neither the OS page cache of .pyc nor a warm process flatters it: the first with
    an empty parse cache (the start after a change), then `runs` with the cache it filled."""
    with tempfile.TemporaryDirectory(prefix="kaigoflow-parse-cache-") as cache_dir:

        def start() -> dict[str, float]:
            out = subprocess.run(
                [sys.executable, __file__, "--cold-start-child", cache_dir],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stdout
            return dict(json.loads(out.strip().splitlines()[-1]))

        uncached = start()
        return uncached, [start() for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", action="append", default=[])
    parser.add_argument("--rounds", type=int, default=20, help="completions measured per figure (a) and (b)")
    parser.add_argument("--cold-starts", type=int, default=3)
    parser.add_argument("--cold-start-child", metavar="CACHE_DIR", help=argparse.SUPPRESS)
    parser.add_argument("--only-cold-start", action="store_true", help="run (c) only")
    args = parser.parse_args()
    if args.cold_start_child:
        cold_start_child("sqlite://", args.cold_start_child)
        return
    log(f"machine: {machine()}")
    chosen = nullcontext([]) if args.only_cold_start else databases(args.database_url, "engine_bench")
    with chosen as urls:
        for url in urls:
            name = backend(url)
            a = bench_overhead(url, args.rounds)
            log(
                f"[{name}] (a) durable completion {a['engine'] * 1000:.2f} ms vs raw Spiff step + empty commit "
                f"{a['raw'] * 1000:.2f} ms: ratio {a['engine'] / a['raw']:.2f} (goal <= 2); CPU of this process "
                f"{a['engine_cpu'] * 1000:.2f} vs {a['raw_cpu'] * 1000:.2f} ms: {a['engine_cpu'] / a['raw_cpu']:.2f}"
            )
            log(
                f"[{name}]     durable floor (raw step + one-row commit) {a['floor'] * 1000:.2f} ms: "
                f"engine / floor {a['engine'] / a['floor']:.2f}; {a['statements']:.0f} SQL statements per completion"
            )
            log(
                f"[{name}]     the commits alone: empty {a['empty_commit'] * 1000:.3f} ms, one row "
                f"{a['row_commit'] * 1000:.3f} ms"
            )
            b = bench_growth(url, args.rounds)
            log(
                f"[{name}] (b) monitoring completion month 1-{args.rounds} {b['early'] * 1000:.2f} ms vs month "
                f"61-{60 + args.rounds} {b['late'] * 1000:.2f} ms: ratio {b['late'] / b['early']:.2f}; "
                f"CPU {b['early_cpu'] * 1000:.2f} vs {b['late_cpu'] * 1000:.2f} ms: "
                f"{b['late_cpu'] / b['early_cpu']:.2f} (goal <= 1.1 in CPU)"
            )
            d = bench_peer(url, args.rounds)
            for month in ("1", "60"):
                goal = "<= 1" if month == "1" else "<= 0.33"
                log(
                    f"[{name}] (d) month {month}: engine {d[f'engine_{month}'] * 1000:.2f} ms vs naive design "
                    f"{d[f'naive_{month}'] * 1000:.2f} ms (state {d[f'naive_state_kib_{month}']:.0f} KiB): "
                    f"ratio {d[f'engine_{month}'] / d[f'naive_{month}']:.2f} (goal {goal}); CPU "
                    f"{d[f'engine_{month}_cpu'] * 1000:.2f} vs {d[f'naive_{month}_cpu'] * 1000:.2f} ms: "
                    f"{d[f'engine_{month}_cpu'] / d[f'naive_{month}_cpu']:.2f}"
                )
    uncached, runs = bench_cold_start(args.cold_starts)
    best = min(runs, key=lambda r: r["library_s"])
    log(
        f"(c) cold start, parse + validate the whole library ({best['files']:.0f} files, {best['flows']:.0f} flows in "
        f"{best['municipalities']:.0f} municipalities, {best['problems']:.0f} problems), fresh interpreters:"
    )
    log(
        f"(c)     empty parse cache (first start after a change): {uncached['library_s'] * 1000:.0f} ms, "
        f"CPU {uncached['library_cpu_s'] * 1000:.0f} ms"
    )
    log(
        f"(c)     parse cache filled ({args.cold_starts} starts): best {best['library_s'] * 1000:.0f} ms, median "
        f"{statistics.median(r['library_s'] for r in runs) * 1000:.0f} ms, CPU median "
        f"{statistics.median(r['library_cpu_s'] for r in runs) * 1000:.0f} ms (goal <= 300 ms); "
        f"{uncached['library_s'] / best['library_s']:.1f}x faster; imports {best['import_s'] * 1000:.0f} ms"
    )
    log(
        f"(c)     then every flow's specs restored (paid on each flow's first use in a worker): median "
        f"{statistics.median(r['restore_s'] for r in runs) * 1000:.0f} ms, CPU median "
        f"{statistics.median(r['restore_cpu_s'] for r in runs) * 1000:.0f} ms"
    )
    log(
        f"(c) memory per worker: RSS after loading the app and the whole library "
        f"{statistics.median(r['rss_mib'] for r in runs):.0f} MiB"
    )


if __name__ == "__main__":
    main()
