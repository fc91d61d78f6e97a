"""Due timers and duties fired by the workers: each in its own transaction, a failure logged and left for the
next round."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine import clock as clock_module
from engine.errors import KaigoflowError
from engine.execution.instances import InstanceRuns
from engine.execution.transactions import SYSTEM
from engine.operations import oplog
from engine.scheduling import schedule
from engine.store.db import rows_changed
from engine.store.models import Case
from engine.store.models import ProcessInstance
from engine.store.models import Timer


def _ms(started: float) -> float:
    """Milliseconds since `started` (time.perf_counter), for the operations log."""
    return (time.perf_counter() - started) * 1000


class TimerFiring(InstanceRuns):
    """Firing due timers and duty checks."""

    # -- timers and duties ------------------------------------------------------------------------

    def fire_due(self, session: Session, worker: str = "tick", limit: int = 100) -> int:
        """Fire timers and start duties that are due by the clock; return how many fired."""
        fired = 0
        while fired < limit:
            timer_id = schedule.claim_next(session, worker, self.clock.now())
            if timer_id is None:
                break
            started = time.perf_counter()
            try:
                with self._transaction(session):
                    self._fire(session, timer_id)
            except KaigoflowError as exc:
                oplog.job_line(worker, self._timer_kind(session, timer_id), "failed", _ms(started), timer=timer_id)
                # Keep the claim (it expires later) so one broken timer cannot stop the others or spin.
                with self._transaction(session):
                    timer = session.get(Timer, timer_id)
                    self._event(
                        session,
                        SYSTEM,
                        "timer_failed",
                        case_id=timer.case_id if timer else None,
                        detail={"timer_id": timer_id, "error": str(exc)},
                    )
                continue
            oplog.job_line(worker, self._timer_kind(session, timer_id), "ok", _ms(started), timer=timer_id)
            fired += 1
        return fired

    @staticmethod
    def _timer_kind(session: Session, timer_id: int) -> str:
        timer = session.get(Timer, timer_id)
        return timer.kind if timer is not None else "timer"

    def _fire(self, session: Session, timer_id: int) -> None:
        timer = session.get(Timer, timer_id)
        if timer is None:
            return
        self._lock_case(session, timer.case_id)
        kept = schedule.kept_copy(session, timer.case_id) if timer.kind in ("duty", "check") else None
        # Marked fired only if nobody did it first (a worker whose claim expired mid-fire): never fire twice.
        marked = session.execute(
            update(Timer)
            .where(Timer.id == timer_id, Timer.fired_at.is_(None))
            .values(fired_at=self.clock.now())
            .execution_options(synchronize_session=False)
        )
        if rows_changed(marked) != 1:
            return
        session.refresh(timer)
        schedule.note_fired(session, timer.case_id, kept, timer)
        if timer.kind == "bpmn" and timer.instance_id is not None:
            loaded = self.load(session, timer.instance_id)
            self._event(
                session,
                SYSTEM,
                "timer_fired",
                case_id=timer.case_id,
                instance_id=timer.instance_id,
                detail={"key": timer.key},
            )
            self._run(loaded, loaded.workflow.refresh_timers)
            self._advance(session, loaded, SYSTEM, ran=True)
        elif timer.kind == "check":
            case = session.get(Case, timer.case_id)
            if case is not None:
                self._refresh(session, case)
        elif timer.kind == "duty":
            case = session.get(Case, timer.case_id)
            if case is None or case.status != "open":
                return
            payload = timer.payload
            reason = self._duty_not_needed(session, case, payload)
            if reason:
                self._event(session, SYSTEM, "duty_skipped", case_id=case.id, detail={**payload, "reason": reason})
                return
            self._event(session, SYSTEM, "duty_started", case_id=timer.case_id, detail=payload)
            self._start(
                session,
                timer.case_id,
                payload["process_key"],
                payload.get("data", {}),
                SYSTEM,
                period=payload.get("period"),
            )

    def _duty_not_needed(self, session: Session, case: Case, payload: Mapping[str, Any]) -> str | None:
        """Why a duty's process is not started (a 更新 already under way), or None to start it."""
        running = payload.get("unless_running") or []
        if running:
            busy = session.scalar(
                select(ProcessInstance.process_key).where(
                    ProcessInstance.case_id == case.id,
                    ProcessInstance.status == "running",
                    ProcessInstance.process_key.in_(running),
                )
            )
            if busy:
                return f"running:{busy}"
        since = payload.get("unless_started_since")
        if since:
            started = session.scalar(
                select(ProcessInstance.id).where(
                    ProcessInstance.case_id == case.id,
                    ProcessInstance.process_key == payload["process_key"],
                    ProcessInstance.started_at >= clock_module.to_datetime(date.fromisoformat(since)),
                )
            )
            if started:
                return "already_started"
        if payload["process_key"] not in self.library.process_keys(case.municipality):
            return "no_flow"
        return None
