"""Issue 14 goal 1: where a durable completion's time goes, against the durable floor measured in the same run.

Each round, interleaved: one engine completion of a monthly モニタリング (new session, the engine's transaction,
commit, close: as a request makes it), then the durable floor (a raw SpiffWorkflow step on an in-memory workflow plus
one committed one-row write). It prints the medians, the ratio, the statements per completion, and the median time
of each part of the completion (measured by wrapping the engine's own functions), so the figure comes with what
explains it. `--profile` adds a cProfile of the engine completions (top functions by cumulative time).

Usage: .venv/bin/python bench/completion_bench.py [--rounds N] [--profile] [--database-url URL ...]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from common import backend
from common import databases
from common import log
from common import machine
from engine_bench import MonitoringCase
from engine_bench import Statements
from engine_bench import Timing
from engine_bench import _raw_step
from engine_bench import _services
from engine_bench import _spiff_step

from engine.execution import projection
from engine.execution.runtime import Runtime
from engine.process_library import spiff
from engine.scheduling import schedule
from engine.store.models import Case
from engine.store.models import Event

PARTS: dict[str, tuple[Any, str]] = {
    "restore (instance_from_dict)": (spiff, "instance_from_dict"),
    "serialise (instance_to_dict)": (spiff, "instance_to_dict"),
    "form validation": (Runtime, "_validate"),
    "Spiff run": (Runtime, "_run"),
    "task projection (sync_tasks)": (projection, "sync_tasks"),
    "schedule refresh (schedule.refresh)": (schedule, "refresh"),
}


class PartTimer:
    """Wraps the engine's functions named in PARTS and adds up their wall time per completion."""

    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)
        self.per_completion: list[dict[str, float]] = []
        for name, (owner, attribute) in PARTS.items():
            setattr(owner, attribute, self._wrap(name, getattr(owner, attribute)))

    def _wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.current[name] += time.perf_counter() - started

        return timed

    def close_completion(self) -> None:
        self.per_completion.append(dict(self.current))
        self.current.clear()


def run(url: str, rounds: int, profile: bool) -> None:
    name = backend(url)
    svc = _services(url)
    statements = Statements(svc.engine)
    subject = MonitoringCase(svc, months=rounds + 2)
    with svc.sessions() as session:
        case = session.get(Case, subject.case_id)
    parts = PartTimer()
    subject.complete(*subject.prepare(0))  # warm-up: caches, statement cache, first-use costs
    parts.current.clear()
    profiler = cProfile.Profile() if profile else None
    engine_t, floor_t, counts = [], [], []
    for month in range(1, rounds + 1):
        task_id, submission = subject.prepare(month)
        parts.current.clear()
        before = statements.count
        if profiler:
            profiler.enable()
        engine_t.append(subject.complete(task_id, submission))
        if profiler:
            profiler.disable()
        counts.append(statements.count - before)
        parts.close_completion()

        workflow, spiff_task, example = _raw_step(svc, subject.runtime, case)
        with Timing() as timing:
            _spiff_step(workflow, spiff_task, example)
            with svc.sessions() as session:
                session.add(Event(at=subject.clock.now(), kind="bench_floor", detail={}))
                session.commit()
        floor_t.append(timing)
    svc.engine.dispose()
    engine = statistics.median(t.wall for t in engine_t)
    engine_cpu = statistics.median(t.cpu for t in engine_t)
    floor = statistics.median(t.wall for t in floor_t)
    floor_cpu = statistics.median(t.cpu for t in floor_t)
    log(
        f"[{name}] durable completion {engine * 1000:.2f} ms (CPU {engine_cpu * 1000:.2f}) vs durable floor "
        f"{floor * 1000:.2f} ms (CPU {floor_cpu * 1000:.2f}): ratio {engine / floor:.2f} (goal <= 2), CPU ratio "
        f"{engine_cpu / floor_cpu:.2f}; {statistics.median(counts):.0f} SQL statements per completion"
    )
    for part in PARTS:
        values = [p.get(part, 0.0) for p in parts.per_completion]
        share = statistics.median(values) / engine
        log(f"[{name}]     {part:38} {statistics.median(values) * 1000:6.2f} ms  ({share:4.0%} of the median)")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(r"/engine/", 30)
        log(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", action="append", default=[])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="cProfile the engine completions")
    args = parser.parse_args()
    log(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f}")
    with databases(args.database_url, "completion_bench") as urls:
        for url in urls:
            run(url, args.rounds, args.profile)


if __name__ == "__main__":
    main()
