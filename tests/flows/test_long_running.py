"""A case that runs for ten years keeps every instance small (ARCHITECTURE.md: the depth-1000 stall).

Per-step cost is asserted through structure, never time: what a step loads and writes (an instance's task tree
and its serialized state, the task rows of its instance, the events of a month) is the same in year ten as in
year one.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from engine.publishing.scenario import run_file
from engine.store.db import make_engine
from engine.store.db import session_factory
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import Task
from tests import consistency

ROOT = Path(__file__).resolve().parents[2]
TEN_YEARS = ROOT / "processes/suzuka-kameyama/scenarios/new_case_ten_years.yaml"
RENEWAL_DURING_PLAN_PERIOD = ROOT / "tests/fixtures/renewal_during_plan_period.yaml"

pytestmark = pytest.mark.slow
"""The scenario suites are most of the suite's time (3-70 s each, CPU-bound): `.ci/test` runs them as its second
stage, after the fast tests."""


def test_ten_years_of_monthly_duties_leave_every_instance_bounded(services, database_url, clock):
    result = run_file(TEN_YEARS, services.runtime, services.sessions)  # on the fixture's empty database
    assert result.passed, result.message
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        instances = session.scalars(select(ProcessInstance).order_by(ProcessInstance.id)).all()
        by_key: dict[str, list[ProcessInstance]] = {}
        for instance in instances:
            by_key.setdefault(instance.process_key, []).append(instance)
        tasks = {key: [len(i.state["tasks"]) for i in group] for key, group in by_key.items()}
        sizes = {key: [len(json.dumps(i.state)) for i in group] for key, group in by_key.items()}
        assert len(by_key["monthly_monitoring"]) == 120
        assert len(by_key["plan_period"]) == 10
        # The task tree of the tenth plan period is no bigger than the first's: nothing accumulates across years.
        assert tasks["plan_period"][-2] == tasks["plan_period"][0]
        assert max(max(counts) for counts in tasks.values()) < 120
        # Nor does what is stored: the last years serialize no bigger than the first (a month that carries a plan
        # change holds a few more keys; dates and ids differ in width), and every one stays within a few percent.
        for key in ("plan_period", "monthly_monitoring"):
            finished = sizes[key][:-1] if key == "plan_period" else sizes[key]
            third = max(1, len(finished) // 3)
            assert max(finished[-third:]) <= 1.02 * max(finished[:third]), (key, finished)
            assert max(finished) - min(finished) <= 0.05 * min(finished), (key, min(finished), max(finished))
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 1 + 10 + 120
        # No stall: every instance has finished except the plan period now waiting for its next 一連の業務.
        running = [i for i in instances if i.status != "completed"]
        assert [i.process_key for i in running] == ["plan_period"]
        # Task rows per instance stay bounded and the same from year to year (the inbox's per-case work).
        rows = Counter(session.scalars(select(Task.instance_id)).all())
        per_month = [rows[i.id] for i in by_key["monthly_monitoring"]]
        assert len(set(per_month)) == 1 and per_month[0] <= 3
        per_period = [rows[i.id] for i in by_key["plan_period"][:-1]]
        assert len(set(per_period)) == 1 and per_period[0] < 20
        # Events per year: the same work is logged in year ten as in year two (year one holds the intake).
        years = Counter(e.at.year for e in session.scalars(select(Event)).all())
        middle = [years[y] for y in sorted(years)[1:-1]]
        assert max(middle) - min(middle) <= 0.1 * min(middle), years
        consistency.check(session, services.runtime(clock))
    engine.dispose()


def test_a_renewal_every_certification_period_keeps_one_plan_chain(services):
    """Two years in, a renewal: after its new plan, the old period's evaluation must not start another plan."""
    result = run_file(RENEWAL_DURING_PLAN_PERIOD, services.runtime, services.sessions)
    assert result.passed, result.message
