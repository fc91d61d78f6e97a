"""Process instances: started, restored (once per transaction), run and advanced, their case facts written
and their end followed (the next flow, the case ended)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine import clock as clock_module
from engine.cases import access
from engine.cases import facts as casedata
from engine.errors import ConflictError
from engine.errors import KaigoflowError
from engine.errors import NotFoundError
from engine.errors import PermissionDenied
from engine.execution import prebuilt
from engine.execution import projection
from engine.execution.supersede import OtherInstances
from engine.execution.transactions import SYSTEM
from engine.execution.transactions import Actor
from engine.execution.transactions import LoadedInstance
from engine.execution.transactions import _memo
from engine.process_library import sandbox
from engine.process_library import spiff
from engine.process_library.loader import ResolvedSpec
from engine.store.models import Case
from engine.store.models import ProcessInstance
from engine.store.models import Task

LIVE = spiff.TaskState.READY | spiff.TaskState.WAITING | spiff.TaskState.STARTED
"""The tasks whose data the next run reads: ready and waiting steps, running call activities and timers."""


def current_data(workflow: Any, live: list[Any] | None = None) -> dict[str, Any]:
    """The latest instance data: from the tasks now waiting or ready, else from the last finished task.

    `live`: the workflow's `get_tasks(state=LIVE)` when the caller has it; Spiff walks the tree alike for any filter
    of definite states, so its waiting and ready tasks are those of `get_tasks(state=READY | WAITING)`, in order."""
    data: dict[str, Any] = {}
    tasks = [
        task
        for task in (workflow.get_tasks(state=LIVE) if live is None else live)
        if task.state & (spiff.TaskState.READY | spiff.TaskState.WAITING)
    ]
    if not tasks and workflow.last_task is not None:
        tasks = [workflow.last_task]
    for task in tasks:
        data.update(task.data)
    return data


def _superseded(live: list[Any]) -> bool:
    return any(task.data.get("superseded") for task in live)


def _end_properties(workflow: Any) -> dict[str, str]:
    """Properties of the top-level end event the instance finished on."""
    for task in workflow.get_tasks(state=spiff.TaskState.COMPLETED):
        spec = task.task_spec
        if type(spec).__name__ == "EndEvent" and task.workflow is workflow:
            props = projection.properties(spec)
            if props:
                return props
    return {}


class InstanceRuns(OtherInstances):
    """Starting, restoring, running and finishing instances."""

    # -- instances --------------------------------------------------------------------------------

    def start(
        self,
        session: Session,
        case_id: int,
        process_key: str,
        data: Mapping[str, Any] | None = None,
        actor: Actor = SYSTEM,
        period: str | None = None,
    ) -> ProcessInstance:
        """Start a flow in a case; the first ready tasks appear in the projection in the same transaction."""
        self._may_start(actor)
        with self._transaction(session):
            case = session.get(Case, case_id)
            refusal = (
                None if actor.system or case is None else access.start_refusal(actor.role, actor.organisation_id, case)
            )
            if refusal:
                raise PermissionDenied(refusal)
            return self._start(session, case_id, process_key, data or {}, actor, period=period)

    def _start(
        self,
        session: Session,
        case_id: int,
        process_key: str,
        data: Mapping[str, Any],
        actor: Actor,
        period: str | None = None,
        previous: ProcessInstance | None = None,
    ) -> ProcessInstance:
        self._lock_case(session, case_id)
        case = self._case(session, case_id, actor)
        if case.status != "open":
            raise ConflictError("このケースは終了しています。新しい手続きは開始できません")
        resolved = self.active_library(session, case.municipality).resolve(case.municipality, process_key)
        self._store_spec(session, resolved)
        self._refuse_second_copy(session, case, process_key, resolved, previous)
        workflow = spiff.BpmnWorkflow(
            resolved.spec, resolved.subprocess_specs, script_engine=self._script_engine(session, resolved, case)
        )
        initial = casedata.case_to_data(case)
        initial.update(data)
        # Start data (a scenario's or a continuation's) supplies only what the case does not know: its facts win.
        initial.update(casedata.known_facts(case))
        for task in workflow.get_tasks(state=spiff.TaskState.READY):
            task.data.update(initial)
        instance = ProcessInstance(
            case_id=case.id,
            process_key=process_key,
            spec_hash=resolved.hash,
            status="running",
            state={},
            period=period,
            previous_id=previous.id if previous else None,
            version=1,
            started_at=self.clock.now(),
        )
        session.add(instance)
        session.flush()
        loaded = LoadedInstance(instance, case, resolved, workflow)
        self._event(
            session,
            actor,
            "instance_started",
            case_id=case.id,
            instance_id=instance.id,
            detail={"process_key": process_key, "spec_hash": resolved.hash, "period": period},
        )
        self._advance(session, loaded, actor)
        return instance

    def load(self, session: Session, instance_id: int) -> LoadedInstance:
        # Always from the database, never from the session's identity map: a page may have read the instance
        # before another worker changed it, and a mutation must run on what is stored now. Instance and case in one
        # round trip: every completion and timer starts here.
        memo = _memo(session)
        loaded_here: dict[int, tuple[int, int, bool, LoadedInstance]] = memo["loaded"]
        seen = loaded_here.get(instance_id)
        if seen is not None and seen[2] and (seen[0], seen[1]) == (seen[3].instance.version, seen[3].case.version):
            # Restored after this transaction locked the case (the page read the form under the lock, now it
            # completes): nobody else can have written the instance or the case since, and we have not either
            # (our own writes move the versions: a completion's instance, a fact change's case).
            return seen[3]
        prefetched = memo["prefetched"].pop(instance_id, None)
        if prefetched is not None:
            instance, case = prefetched  # read with the locked task, in this transaction (lock_task)
        else:
            with_version = self._reads_newest_version(session)
            query = prebuilt.INSTANCE_WITH_CASE[with_version]
            # Two or three entities: typed by hand below.
            found: Any = session.execute(query, {"instance_id": instance_id}).one_or_none()
            if found is None:
                raise NotFoundError("手続きが見つかりません")
            instance, case = found[0], found[1]
            if with_version:
                self._remember_library(session, case.municipality, found[2])
        if seen is not None and seen[0] == instance.version and seen[1] == case.version:
            # Already restored in this transaction (the page read the form, now it completes) and nobody has
            # written the instance or the case's facts since: the stored state is what that workflow holds.
            workflow, resolved = seen[3].workflow, seen[3].resolved
        else:
            resolved = self.spec(session, instance.spec_hash, case.municipality, instance.process_key)
            workflow = spiff.instance_from_dict(
                instance.state, resolved.spec, resolved.subprocess_specs, self._script_engine(session, resolved, case)
            )
        completed = frozenset(t.id for t in workflow.get_tasks(state=spiff.TaskState.COMPLETED))
        # One walk for the three below (issue 14): Spiff walks the tree alike for any filter of definite states, so
        # the ready tasks are those of the live ones, in the same order; nothing here changes a task's state.
        live = workflow.get_tasks(state=LIVE)
        if instance.status == "running" and not _superseded(live):
            # The current record, not the copy the instance started with (a 更新 may have changed it since).
            # A superseded instance keeps its own period's data: it no longer speaks for the case.
            casedata.inject(live, case)
        loaded = LoadedInstance(instance, case, resolved, workflow, completed, projection.ready_user_tasks(live))
        loaded_here[instance_id] = (instance.version, case.version, case.id in memo["locked"], loaded)
        return loaded

    def _reads_newest_version(self, session: Session) -> bool:
        """Whether the next read of a case should bring its municipality's newest published version (issue 14: the
        first load of a transaction looks it up, in the same statement)."""
        return self.published is not None and not _memo(session)["libraries"]

    def _run(self, loaded: LoadedInstance, step: Any) -> None:
        """Run Spiff with our clock; unwrap our own errors that Spiff wrapped on the way out.

        `refresh_timers` is what Spiff's deprecated `refresh_waiting_tasks` calls, without its warning."""
        with clock_module.using(self.clock), sandbox.one_budget():  # all conditions of the run share one budget
            try:
                step()
                loaded.workflow.do_engine_steps()
                loaded.workflow.refresh_timers()
                loaded.workflow.do_engine_steps()
            except spiff.SpiffWorkflowException as exc:
                inner = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
                if isinstance(inner, KaigoflowError):
                    raise inner from None
                raise KaigoflowError(f"手続きを進められません: {exc}") from None

    def _advance(
        self, session: Session, loaded: LoadedInstance, actor: Actor, ran: bool = False, refresh: bool = True
    ) -> None:
        """Run engine steps (unless the caller just did), then write state, projection, timers, case data, the
        schedule (when `refresh`, or the case changed) and any continuation."""
        if not ran:
            self._run(loaded, lambda: None)
        instance, case, workflow = loaded.instance, loaded.case, loaded.workflow
        now = self.clock.now()
        params = self.params(session, case.municipality)
        live = workflow.get_tasks(state=LIVE)  # for the data and the task rows: no task changes state in between
        current = current_data(workflow, live)
        # A superseded instance finishes its own work but no longer speaks for the case: the newer one holds the
        # current plan dates, care level and organisations.
        changed = [] if current.get("superseded") else self._write_facts(session, loaded, actor)
        completed = workflow.is_completed()
        state = spiff.instance_to_dict(workflow)
        expected = instance.version
        status = "completed" if completed else "running"
        ended_at = now if completed else None
        result = prebuilt.SAVE_INSTANCE.run(
            session,
            {
                "instance_id": instance.id,
                "expected": expected,
                "new_state": state,
                "new_status": status,
                "new_ended_at": ended_at,
            },
        )
        if result.rowcount != 1:
            raise ConflictError("他の職員が先にこのケースを更新しました。画面を開き直してください")
        # What was just written, without reading the state back (a refresh would re-fetch and re-parse it).
        for name, value in (
            ("state", state),
            ("version", expected + 1),
            ("status", status),
            ("ended_at", ended_at),
        ):
            set_committed_value(instance, name, value)
        created, loaded.ready_rows = projection.sync_tasks(
            session, workflow, instance, case, loaded.resolved, params, now, loaded.ready_rows, live
        )
        self._claim_for_completer(session, created, now)
        if loaded.resolved.has_timers:
            projection.sync_timers(session, workflow, instance)
        if changed:
            case.version += 1
        if completed:
            self._event(
                session,
                actor,
                "instance_completed",
                case_id=case.id,
                instance_id=instance.id,
                detail={"process_key": instance.process_key},
            )
            self._finish(session, loaded, current, actor)
        if refresh or changed or completed:
            self._refresh(session, case)

    def _claim_for_completer(self, session: Session, created: list[Task], now: datetime) -> None:
        """Claim new rows of the completer's organisation before they are first written (complete_and_continue)."""
        memo = _memo(session)
        claimer: Actor | None = memo.get("claim_for")
        if claimer is None:
            return
        for row in created:
            if row.organisation_id != claimer.organisation_id:
                continue
            row.claimed_by_id, row.claimed_at = claimer.user_id, now
            memo.setdefault("claimed", []).append(row)
            self._event(
                session, claimer, "task_claimed", case_id=row.case_id, task_id=row.id, instance_id=row.instance_id
            )

    def _write_facts(self, session: Session, loaded: LoadedInstance, actor: Actor) -> list[str]:
        """Write the facts the steps of this run declare (setsCaseFacts), in the order they completed; one
        `case_fact_changed` event per change. Returns the names that changed."""
        steps = [
            task
            for task in loaded.workflow.get_tasks(state=spiff.TaskState.COMPLETED)
            if task.id not in loaded.completed_before and casedata.declared_facts(projection.properties(task.task_spec))
        ]
        steps.sort(key=lambda task: task.last_state_change)
        changed: list[str] = []
        for task in steps:
            names = casedata.declared_facts(projection.properties(task.task_spec))
            for change in casedata.set_facts(session, loaded.case, names, task.data):
                detail = {
                    **change.detail(),
                    "bpmn_id": task.task_spec.bpmn_id,
                    "form": projection.form_name(task.task_spec),
                }
                self._event(
                    session,
                    actor,
                    "case_fact_changed",
                    case_id=loaded.case.id,
                    instance_id=loaded.instance.id,
                    detail=detail,
                )
                changed.append(change.fact)
        return changed

    def _refuse_second_copy(
        self,
        session: Session,
        case: Case,
        process_key: str,
        resolved: ResolvedSpec,
        previous: ProcessInstance | None,
    ) -> None:
        """One running instance of a flow per case, unless its diagram allows parallel runs (allowParallel);
        a continuation (continueWith) is exempt: it supersedes the one it replaces."""
        if previous is not None or resolved.allows_parallel:
            return
        running = session.scalar(
            select(ProcessInstance.id).where(
                ProcessInstance.case_id == case.id,
                ProcessInstance.process_key == process_key,
                ProcessInstance.status == "running",
            )
        )
        if running is not None:
            raise ConflictError(
                "この手続きはこのケースですでに進行中です。進行中の手続きを続けてください",
                details={"process_key": "同じ手続きを二つ同時には開始できません"},
            )

    def _finish(self, session: Session, loaded: LoadedInstance, data: dict[str, Any], actor: Actor) -> None:
        end_props = _end_properties(loaded.workflow)
        follow = end_props.get("continueWith")
        if follow and data.get("superseded"):
            # A newer chain of this process already runs in the case (see _supersede_others): do not start a second.
            detail = {"process_key": follow, "reason": "superseded"}
            self._event(session, actor, "continuation_skipped", case_id=loaded.case.id, detail=detail)
        elif follow:
            # A case has one plan period (or one of whatever is continued) at a time: the one a renewal starts
            # supersedes the one still waiting for its evaluation, which then evaluates its plan and ends.
            self._supersede_others(session, loaded.case, loaded.instance, actor, follow)
            carried = {k: v for k, v in data.items() if k not in ("case_id", "municipality", "superseded")}
            self._start(session, loaded.case.id, follow, carried, actor, previous=loaded.instance)
        elif end_props.get("endsCase") == "true":
            self._end_case(session, loaded.case, loaded.instance, actor)
