"""What a case's other running instances become: superseded by a newer instance of the same process, or
withdrawn when the case ends."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.errors import ConflictError
from engine.execution.case_changes import CaseChanges
from engine.execution.transactions import Actor
from engine.process_library import spiff
from engine.scheduling import schedule
from engine.store.db import rows_changed
from engine.store.models import Case
from engine.store.models import ProcessInstance
from engine.store.models import Task
from engine.store.models import Timer


class OtherInstances(CaseChanges):
    """Superseding and withdrawing the case's other instances."""

    def _end_case(self, session: Session, case: Case, ending: ProcessInstance, actor: Actor) -> None:
        case.status, case.ended_at = "ended", self.clock.now()
        schedule.cancel_duties(session, case)
        self._withdraw_others(session, case, ending, actor)
        session.flush()
        self._event(session, actor, "case_ended", case_id=case.id)

    def _supersede_others(
        self, session: Session, case: Case, keep: ProcessInstance, actor: Actor, process_key: str
    ) -> None:
        """Tell the case's other running instances of `process_key` that a newer one has started.

        Their data gets `superseded = True`, which their diagrams read (plan_period: the old period still
        evaluates its plan at its end, then finishes instead of starting another 一連の業務), and an instance so
        flagged never continues into a new one (_finish). Its duties and due dates are untouched: the work it still
        owes is real work. Written with the same version check as a completion.
        """
        others = session.scalars(
            select(ProcessInstance).where(
                ProcessInstance.case_id == case.id,
                ProcessInstance.status == "running",
                ProcessInstance.process_key == process_key,
                ProcessInstance.id != keep.id,
            )
        ).all()
        for other in others:
            resolved = self.spec(session, other.spec_hash, case.municipality, other.process_key)
            workflow = spiff.instance_from_dict(
                other.state, resolved.spec, resolved.subprocess_specs, self._script_engine(session, resolved, case)
            )
            # On every task, finished ones included: a waiting task takes its parent's data when it becomes ready.
            for task in workflow.get_tasks():
                task.data["superseded"] = True
            result = session.execute(
                update(ProcessInstance)
                .where(ProcessInstance.id == other.id, ProcessInstance.version == other.version)
                .values(state=spiff.instance_to_dict(workflow), version=other.version + 1)
                .execution_options(synchronize_session=False)
            )
            if rows_changed(result) != 1:
                raise ConflictError("他の職員が先にこのケースを更新しました。画面を開き直してください")
            session.refresh(other)
            detail = {"process_key": other.process_key, "by_instance": keep.id}
            self._event(session, actor, "instance_superseded", case_id=case.id, instance_id=other.id, detail=detail)

    def _withdraw_others(self, session: Session, case: Case, keep: ProcessInstance, actor: Actor) -> None:
        """Cancel the ending case's other running instances: their tasks leave the inboxes, their timers are
        dropped, and the event log says why. Each is version-checked like a completion, so a colleague completing
        a task of it at the same moment gets a conflict instead of working on a withdrawn instance."""
        query = select(ProcessInstance).where(
            ProcessInstance.case_id == case.id, ProcessInstance.status == "running", ProcessInstance.id != keep.id
        )
        now = self.clock.now()
        for other in session.scalars(query).all():
            result = session.execute(
                update(ProcessInstance)
                .where(ProcessInstance.id == other.id, ProcessInstance.version == other.version)
                .values(status="cancelled", ended_at=now, version=other.version + 1)
                .execution_options(synchronize_session=False)
            )
            if rows_changed(result) != 1:
                raise ConflictError("他の職員が先にこのケースを更新しました。画面を開き直してください")
            session.execute(
                update(Task)
                .where(Task.instance_id == other.id, Task.state == "ready")
                .values(state="cancelled")
                .execution_options(synchronize_session=False)
            )
            session.execute(delete(Timer).where(Timer.instance_id == other.id, Timer.fired_at.is_(None)))
            session.refresh(other)
            detail = {"process_key": other.process_key, "reason": "case_ended"}
            self._event(session, actor, "instance_cancelled", case_id=case.id, instance_id=other.id, detail=detail)
