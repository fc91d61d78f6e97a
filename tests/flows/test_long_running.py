"""A case that runs for ten years keeps every instance small (ARCHITECTURE.md: the depth-1000 stall)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select

from engine.cli import run_scenarios
from engine.db import make_engine
from engine.db import session_factory
from engine.models import ProcessInstance

TEN_YEARS = Path(__file__).resolve().parents[2] / "processes/suzuka-kameyama/scenarios/new_case_ten_years.yaml"


def test_ten_years_of_monthly_duties_leave_every_instance_bounded(services, database_url):
    [result] = run_scenarios(services, [TEN_YEARS], database_url=database_url)
    assert result.passed, result.message
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        instances = session.scalars(select(ProcessInstance)).all()
        by_key = {}
        for instance in instances:
            by_key.setdefault(instance.process_key, []).append(len(instance.state["tasks"]))
        assert len(by_key["monthly_monitoring"]) == 120
        assert len(by_key["plan_period"]) == 10
        # The task tree of the tenth plan period is no bigger than the first's: nothing accumulates across years.
        assert by_key["plan_period"][-2] == by_key["plan_period"][0]
        assert max(max(sizes) for sizes in by_key.values()) < 120
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 1 + 10 + 120
    engine.dispose()
