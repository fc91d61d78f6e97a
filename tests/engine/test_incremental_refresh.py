"""The schedule refresh writes only what changed (engine.rowsync): after every step of real scenarios, what it leaves
is what a recompute from nothing leaves.

After each step the refresh runs once more (the case as the step left it, today by the scenario's clock), then:
- the copy it kept for the next refresh (engine.scheduling.snapshot) is what the database holds: the rows, risks and
  timers a refresh would read, the records it would gather, and the case's generation;
- again, from that copy: nothing changes;
- again, with the remembered decisions and the kept copies forgotten: nothing changes (the diff writes no row twice,
  drifts nowhere);
- from nothing: the open schedule rows and the unfired duty and check timers are deleted and computed again; every
  schedule row, risk and timer equals the incremental one (ids and write times aside).
Then the step's transaction is rolled back, so the scenario goes on exactly as it would have: either from nothing the
process kept (each step's refresh reads everything), or (`copies_carried`) from the copies the step left, so the next
step's refreshes reuse what its refreshes computed (engine.scheduling.snapshot.Computed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.publishing import scenario
from engine.scheduling import rowsync
from engine.scheduling import schedule
from engine.scheduling import snapshot
from engine.store.models import Case
from engine.store.models import Risk
from engine.store.models import ScheduleItem
from engine.store.models import Timer

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
SCENARIOS = [
    "maebashi/scenarios/schedule_care_visits_and_risks.yaml",
    "maebashi/scenarios/risk_plan_delivered_late_keeps_reduction.yaml",
    "suzuka-kameyama/scenarios/schedule_claim_late_until_result.yaml",
    "suzuka-kameyama/scenarios/monitoring_visit_month_special_circumstances.yaml",
    "city-a/scenarios/schedule_progress_record_and_commission_contract.yaml",
    "city-a/scenarios/plan_change_from_monitoring.yaml",
]
WRITE_TIMES = {"id", "updated_at", "raised_at", "claimed_by", "claimed_until"}

pytestmark = pytest.mark.slow


def _rows(session: Session, model: Any, case_id: int) -> dict[tuple[Any, ...], dict[str, Any]]:
    columns = [c.name for c in model.__table__.columns if c.name not in WRITE_TIMES]
    found = {}
    for row in session.execute(select(*(model.__table__.c[c] for c in columns)).where(model.case_id == case_id)):
        values = dict(zip(columns, row, strict=True))
        found[(values.get("kind"), values["key"])] = values
    return found


def _state(session: Session, case_id: int) -> dict[str, Any]:
    return {model.__name__: _rows(session, model, case_id) for model in (ScheduleItem, Risk, Timer)}


def _with_times(session: Session, case_id: int) -> dict[str, Any]:
    table = ScheduleItem.__table__
    rows = session.execute(select(table.c.key, table.c.updated_at).where(table.c.case_id == case_id))
    risks = session.execute(select(Risk.key, Risk.raised_at, Risk.cleared_at).where(Risk.case_id == case_id))
    return {"schedule": {k: t for k, t in rows}, "risks": {k: (r, c) for k, r, c in risks}}


def _check_kept(session: Session, case_id: int, step: int) -> None:
    """The copy the refresh kept is what a refresh reading everything would find."""
    kept = snapshot.held(session, case_id)
    generation = session.scalar(select(Case.schedule_generation).where(Case.id == case_id))
    if generation is None:  # no row of the case was ever written: nothing to keep
        assert kept is None, f"手順{step}: a copy kept without a generation"
        return
    assert kept is not None, f"手順{step}: the refresh kept no copy"
    assert kept.generation == generation, f"手順{step}: the kept copy's generation is not the case's"
    rows = schedule._OPEN_ROWS.read(session, case_id=case_id)
    rows.update(schedule._ROWS_BY_KEY.read(session, case_id=case_id, keys=list(kept.rows)))
    assert kept.rows == rows, f"手順{step}: the kept schedule rows differ from the stored ones"
    risks = schedule._RISKS.read(session, case_id=case_id, keys=list(kept.risks))
    assert kept.risks == risks, f"手順{step}: the kept risks differ from the stored ones"
    timers = schedule._TIMERS.read(session, case_id=case_id, keys=[key for _kind, key in kept.timers])
    assert kept.timers == timers, f"手順{step}: the kept timers differ from the stored ones"
    params = {"case_id": case_id, "cutoff": kept.cutoff, "org": None}
    _generation, _holder, documents, events = schedule._parse(rowsync.run(session, schedule._RECORDS, params))
    assert (list(kept.documents), list(kept.events)) == (documents, events), f"手順{step}: the kept records differ"


def _check(state: Any, carry: bool) -> None:
    session, runtime = state.session, state.runtime
    case = state.case
    carried = dict(snapshot._KEPT)
    try:
        runtime._refresh(session, case)
        incremental = _state(session, case.id)
        times = _with_times(session, case.id)
        _check_kept(session, case.id, state.step_no)
        runtime._refresh(session, case)
        assert _state(session, case.id) == incremental, (
            f"手順{state.step_no}: a refresh from the kept copy changed rows"
        )
        assert _with_times(session, case.id) == times, f"手順{state.step_no}: a refresh from the kept copy rewrote rows"
        schedule._DECISIONS.clear()
        snapshot.keep(session, case.id, None)
        snapshot.forget()
        runtime._refresh(session, case)
        assert _state(session, case.id) == incremental, f"手順{state.step_no}: a second refresh changed rows"
        assert _with_times(session, case.id) == times, f"手順{state.step_no}: a second refresh rewrote rows"
        session.execute(delete(ScheduleItem).where(ScheduleItem.case_id == case.id, ScheduleItem.status == "open"))
        session.execute(
            delete(Timer).where(Timer.case_id == case.id, Timer.kind.in_(("duty", "check")), Timer.fired_at.is_(None))
        )
        session.expire_all()
        runtime._refresh(session, case)
        assert _state(session, case.id) == incremental, f"手順{state.step_no}: a recompute from nothing differs"
    finally:
        session.rollback()
        if carry:  # the next step refreshes from the copies its own steps left, their computed work included
            snapshot._KEPT.update(carried)


@pytest.mark.parametrize("carry", [False, True], ids=["read_again", "copies_carried"])
@pytest.mark.parametrize("name", SCENARIOS)
def test_incremental_refresh_equals_a_recompute_after_every_step(name, carry, services, monkeypatch):
    run_step = scenario._run_step
    checked = []

    def step_then_check(state: Any, step: dict[str, Any]) -> None:
        run_step(state, step)
        if "repeat" not in step:
            _check(state, carry)
            checked.append(state.step_no)

    monkeypatch.setattr(scenario, "_run_step", step_then_check)
    result = scenario.run_file(PROCESSES / name, services.runtime, services.sessions)  # the fixture's empty database
    assert result.passed, result.message
    assert len(checked) >= 5
