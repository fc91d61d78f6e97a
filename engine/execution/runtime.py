"""Start, claim, complete and fire: each mutation is one transaction with an optimistic version check.

Every mutation follows the same path: load the instance, check the task is still ready and the caller may do it,
run the engine, write the state `WHERE version = :expected`, then update the task projection, documents, timers
and events. A lost race raises ConflictError and the transaction is rolled back: nothing half-done is kept.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine import clock as clock_module
from engine.accounts import demo_staff
from engine.cases import facts as casedata
from engine.clock import Clock
from engine.errors import ConflictError
from engine.errors import KaigoflowError
from engine.errors import NotFoundError
from engine.errors import PermissionDenied
from engine.errors import ValidationError
from engine.execution import projection
from engine.operations import oplog
from engine.process_library import sandbox
from engine.process_library import spiff
from engine.process_library.decisions import Decisions
from engine.process_library.forms import FormContext
from engine.process_library.forms import FormHandler
from engine.process_library.forms import PythonDecision
from engine.process_library.forms import validate_submission
from engine.process_library.loader import Library
from engine.process_library.loader import ResolvedSpec
from engine.scheduling import duties
from engine.scheduling import schedule
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import ScheduleItem
from engine.store.models import SpecVersion
from engine.store.models import Task
from engine.store.models import TaskDraft
from engine.store.models import Timer


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user of an organisation, or the system (worker, scenario set-up)."""

    user_id: int | None = None
    organisation_id: int | None = None
    role: str | None = None
    address: str | None = None
    system: bool = False


SYSTEM = Actor(system=True)


@dataclass(frozen=True)
class Completion:
    """A completed task, its name, and the steps claimed for the completer with it (id, name)."""

    task: Task
    name: str
    claimed: list[tuple[str, str]]


@dataclass
class LoadedInstance:
    instance: ProcessInstance
    case: Case
    resolved: ResolvedSpec
    workflow: Any
    completed_before: frozenset[UUID] = frozenset()
    """The tasks already completed when the instance was loaded: the steps of this run are the others."""


def _memo(session: Session) -> dict[str, Any]:
    """What this session's current transaction has already looked up: the active libraries, the instances
    loaded, the cases locked. Dropped when the transaction ends (a commit or rollback starts a fresh one), so a
    publish or another worker's write is seen by the next transaction, never mid-way through this one."""
    # A scoped session (Flask-SQLAlchemy's db.session) proxies no get_transaction(): ask the session it stands for.
    real = session() if callable(session) and not isinstance(session, Session) else session
    transaction = real.get_transaction()
    if transaction is None:
        return {"libraries": {}, "loaded": {}, "locked": set(), "fresh_tasks": set()}  # nothing read yet
    held = session.info.get("kaigoflow_memo")
    if held is None or held[0] is not transaction:
        held = (transaction, {"libraries": {}, "loaded": {}, "locked": set(), "fresh_tasks": set()})
        session.info["kaigoflow_memo"] = held
    return held[1]


class Runtime:
    """The engine's one entry point for changing cases; knows nothing of the web."""

    def __init__(
        self,
        library: Library,
        clock: Clock,
        handlers: Mapping[str, FormHandler] | None = None,
        python_decisions: Mapping[str, PythonDecision] | None = None,
        library_for: Callable[[Session, str], Library] | None = None,
    ) -> None:
        self.library = library
        self.library_for = library_for
        """(session, municipality) -> the Library new instances start on (its newest published version)."""
        self.clock = clock
        self.handlers = dict(handlers or {})
        self.python_decisions = dict(python_decisions or {})
        self._specs: dict[str, ResolvedSpec] = {}
        clock_module.install_spiff_clock()

    # -- cases ------------------------------------------------------------------------------------

    def open_case(self, session: Session, municipality: str, actor: Actor = SYSTEM, **fields: Any) -> Case:
        """Create a case (利用者 episode) in a municipality with its first facts and responsible organisations.

        Unknown fields, values of the wrong type and organisations of the wrong kind are refused
        (casedata.validate_opening); `planner` defaults from `delegated` and the care level.
        """
        self._may_start(actor)
        self.library.municipality(municipality)
        with self._transaction(session):
            values = casedata.validate_opening(session, municipality, fields)
            case = Case(municipality=municipality, created_at=self.clock.now(), data={})
            extra = {k: v for k, v in values.items() if k in casedata.DATA_FACTS}
            for key, value in values.items():
                if key not in casedata.DATA_FACTS:
                    setattr(case, key, value)
            case.data = extra
            session.add(case)
            session.flush()
            detail = {"municipality": municipality, "facts": {k: v for k, v in casedata.facts_of(case).items() if v}}
            self._event(session, actor, "case_opened", case_id=case.id, detail=detail)
            self._refresh(session, case)
        return case

    # -- schedules and risks ----------------------------------------------------------------------

    def refresh_schedule(self, session: Session, case_id: int) -> list[ScheduleItem]:
        """Recompute a case's schedule, risks and duty timers now (engine.scheduling.schedule.refresh)."""
        with self._transaction(session):
            self._lock_case(session, case_id)
            return self._refresh(session, self._case(session, case_id, SYSTEM))

    def record_duty(
        self, session: Session, item_id: int, actor: Actor, done_on: date | None = None, note: str = ""
    ) -> ScheduleItem:
        """Record a duty no flow records (給付管理, 負担割合証, 廃棄) as done; the event is the record."""
        with self._transaction(session):
            item = self._schedule_item(session, item_id, actor)
            if item.duty not in duties.MANUAL:
                raise ValidationError(
                    "この業務は手続きの中で記録します", details={"item": "対応する作業(帳票)を完了してください"}
                )
            today = clock_module.today(self.clock)
            day = done_on or today
            if day > today:
                raise ValidationError("実施日が正しくありません", details={"done_on": "今日以前の日付にしてください"})
            detail = {"schedule_key": item.key, "duty": item.duty, "done_on": day.isoformat(), "note": note[:500]}
            self._event(session, actor, "duty_recorded", case_id=item.case_id, detail=detail)
            session.flush()
            self._refresh(session, self._case(session, item.case_id, actor))
        return item

    def record_special_circumstances(self, session: Session, item_id: int, reason: str, actor: Actor) -> ScheduleItem:
        """Record the 特段の事情 (the client's reasons, never the staff's) that excuse a missed visit or contact."""
        reason = (reason or "").strip()
        with self._transaction(session):
            item = self._schedule_item(session, item_id, actor)
            if item.duty not in duties.EXCUSABLE:
                raise ValidationError(
                    "特段の事情はモニタリング・居宅訪問にだけ記録できます",
                    details={"reason": "この業務には特段の事情を記録できません"},
                )
            if not reason:
                raise ValidationError(
                    "特段の事情を入力してください",
                    details={"reason": "面接できなかった利用者側の事情を具体的に記録してください(003:617)"},
                )
            if len(reason) > 2000:
                raise ValidationError("特段の事情が長すぎます", details={"reason": "2000文字以内で入力してください"})
            detail = {"schedule_key": item.key, "duty": item.duty, "period": item.period, "reason": reason}
            self._event(session, actor, "special_circumstances_recorded", case_id=item.case_id, detail=detail)
            session.flush()
            self._refresh(session, self._case(session, item.case_id, actor))
        return item

    def _schedule_item(self, session: Session, item_id: int, actor: Actor) -> ScheduleItem:
        item = session.get(ScheduleItem, item_id)
        if item is not None:
            self._lock_case(session, item.case_id)
        case = session.get(Case, item.case_id) if item else None
        if item is None or case is None:
            raise NotFoundError("予定が見つかりません")
        if not actor.system and actor.organisation_id not in (
            case.center_org_id,
            case.office_org_id,
            case.insurer_org_id,
            case.provider_org_id,
        ):
            raise NotFoundError("予定が見つかりません")
        return item

    def _refresh(self, session: Session, case: Case) -> list[ScheduleItem]:
        # Two mutations of one case (a form and the worker's check) must not write its schedule rows at once:
        # the row lock orders them on PostgreSQL (SQLite has one writer anyway).
        if case.id not in _memo(session)["locked"]:
            session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
        params = self.params(session, case.municipality)
        decide = Decisions({}, self.python_decisions, params).decide if self.python_decisions else None
        return schedule.refresh(session, case, params, decide, self.clock.now())

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
        found = session.execute(
            select(ProcessInstance, Case)
            .join(Case, Case.id == ProcessInstance.case_id)
            .where(ProcessInstance.id == instance_id)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if found is None:
            raise NotFoundError("手続きが見つかりません")
        instance, case = found
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
        if instance.status == "running" and not _superseded(workflow):
            # The current record, not the copy the instance started with (a 更新 may have changed it since).
            # A superseded instance keeps its own period's data: it no longer speaks for the case.
            casedata.inject(workflow.get_tasks(state=LIVE), case)
        loaded = LoadedInstance(instance, case, resolved, workflow, completed)
        loaded_here[instance_id] = (instance.version, case.version, case.id in memo["locked"], loaded)
        return loaded

    # -- tasks ------------------------------------------------------------------------------------

    def claim(self, session: Session, task_id: str, actor: Actor) -> Task:
        with self._transaction(session):
            row = self._ready_task(session, task_id, actor)
            if row.claimed_by_id not in (None, actor.user_id):
                raise ConflictError("このタスクは他の職員が担当しています")
            row.claimed_by_id, row.claimed_at = actor.user_id, self.clock.now()
            self._event(
                session,
                actor,
                "task_claimed",
                case_id=row.case_id,
                task_id=row.id,
                instance_id=row.instance_id,
            )
        return row

    def release(self, session: Session, task_id: str, actor: Actor) -> Task:
        with self._transaction(session):
            row = self._ready_task(session, task_id, actor)
            if row.claimed_by_id != actor.user_id and not actor.system:
                raise ConflictError("このタスクはあなたの担当ではありません")
            row.claimed_by_id, row.claimed_at = None, None
            self._event(
                session,
                actor,
                "task_released",
                case_id=row.case_id,
                task_id=row.id,
                instance_id=row.instance_id,
            )
        return row

    def form_context(self, session: Session, task_id: str) -> tuple[Task, FormContext, dict[str, Any]]:
        """The task row, the context its handler sees, and the instance data (to prefill the form)."""
        row = session.get(Task, task_id)
        if row is None:
            raise NotFoundError("タスクが見つかりません")
        loaded = self.load(session, row.instance_id)
        task = loaded.workflow.get_task_from_id(UUID(task_id))
        data = dict(task.data)
        params = self.params(session, row.municipality)
        context = FormContext(clock_module.today(self.clock), row.municipality, params, data)
        return row, context, data

    def complete(self, session: Session, task_id: str, submission: Mapping[str, Any], actor: Actor) -> Task:
        """Validate and submit a form, run the flow to its next wait, and record it all.

        ValidationError (per-field Japanese messages) or ConflictError leave everything as it was.
        """
        with self._transaction(session):
            return self._complete(session, task_id, submission, actor)

    def complete_and_continue(
        self, session: Session, task_id: str, submission: Mapping[str, Any], actor: Actor, claim_next: bool = True
    ) -> Completion:
        """`complete`, and in the same transaction: the task's drafts are dropped and (with `claim_next`) the
        steps that become ready for the actor's own organisation are claimed for the actor as they are created
        (担当 follows the person), each with its `task_claimed` event. The names are read before the commit, so
        the caller needs no further read to say what happened."""
        session.connection()  # begins the transaction the memo below belongs to
        memo = _memo(session)
        if claim_next and not actor.system and actor.user_id is not None:
            memo["claim_for"] = actor
        try:
            with self._transaction(session):
                row = self._complete(session, task_id, submission, actor)
                session.execute(delete(TaskDraft).where(TaskDraft.task_id == task_id))
                claimed = sorted(
                    memo.get("claimed", []), key=lambda t: (t.due_date is None, t.due_date or date.min, t.ready_at)
                )
                done = Completion(row, row.name, [(t.id, t.name) for t in claimed])
        finally:
            memo.pop("claim_for", None)
            memo.pop("claimed", None)
        return done

    def _complete(self, session: Session, task_id: str, submission: Mapping[str, Any], actor: Actor) -> Task:
        row = self._ready_task(session, task_id, actor)
        if row.claimed_by_id not in (None, actor.user_id) and not actor.system:
            raise ConflictError("このタスクは他の職員が担当しています。担当者に確認してください")
        loaded = self.load(session, row.instance_id)
        task = loaded.workflow.get_task_from_id(UUID(task_id))
        if task.state != spiff.TaskState.READY:
            raise ConflictError("このタスクはすでに処理されています")
        submission = dict(submission)
        derived: dict[str, Any] = {}
        if row.form:
            derived = self._validate(session, loaded, row, submission, dict(task.data))
        task.data.update(submission)
        task.data.update(derived)
        self._run(loaded, lambda: task.run())
        now = self.clock.now()
        row.state, row.completed_by_id, row.completed_at = "completed", actor.user_id, now
        if row.form:
            self._snapshot(session, loaded, row, submission, derived, actor, now)
        self._event(
            session,
            actor,
            "task_completed",
            case_id=row.case_id,
            task_id=row.id,
            instance_id=row.instance_id,
            detail={"bpmn_id": row.bpmn_id, "form": row.form},
        )
        self._advance(session, loaded, actor, ran=True, refresh=row.form in duties.RECORD_FORMS)
        return row

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
        # Marked fired only if nobody did it first (a worker whose claim expired mid-fire): never fire twice.
        marked = session.execute(
            update(Timer)
            .where(Timer.id == timer_id, Timer.fired_at.is_(None))
            .values(fired_at=self.clock.now())
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:
            return
        session.refresh(timer)
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
            self._run(loaded, loaded.workflow.refresh_waiting_tasks)
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

    # -- internals --------------------------------------------------------------------------------

    def active_library(self, session: Session, municipality: str) -> Library:
        """The library new instances of a municipality start on: its newest published version."""
        if self.library_for is None:
            return self.library
        # Looked up once per transaction: the version row carries the whole file bundle, and a completion asks for
        # the parameters from several places (script engine, form context, projection, schedule).
        libraries = _memo(session)["libraries"]
        if municipality not in libraries:
            libraries[municipality] = self.library_for(session, municipality)
        return libraries[municipality]

    def params(self, session: Session, municipality: str) -> dict[str, Any]:
        """The municipality's parameters (deadlines, switches) as its newest published version sets them."""
        return self.active_library(session, municipality).municipality(municipality).params

    def spec(self, session: Session, spec_hash: str, municipality: str, process_key: str) -> ResolvedSpec:
        """The resolved spec for a hash: from this process's cache, the library, or the stored version."""
        if spec_hash not in self._specs:
            try:
                current = self.library.resolve(municipality, process_key)
            except KaigoflowError:
                current = None
            if current is not None and current.hash == spec_hash:
                self._specs[spec_hash] = current
            else:
                row = session.get(SpecVersion, spec_hash)
                if row is None:
                    raise NotFoundError(f"版 {spec_hash[:12]} が保存されていません")
                self._specs[spec_hash] = ResolvedSpec.from_record(municipality, process_key, spec_hash, row.record)
        return self._specs[spec_hash]

    def _store_spec(self, session: Session, resolved: ResolvedSpec) -> None:
        self._specs.setdefault(resolved.hash, resolved)
        if session.get(SpecVersion, resolved.hash) is not None:
            return
        try:
            with session.begin_nested():
                session.add(
                    SpecVersion(
                        hash=resolved.hash,
                        municipality=resolved.municipality,
                        process_key=resolved.process_key,
                        record=resolved.to_record(),
                        created_at=self.clock.now(),
                    )
                )
        except IntegrityError:
            pass  # another process stored the same content first: same hash, same content

    def _script_engine(self, session: Session, resolved: ResolvedSpec, case: Case) -> spiff.KaigoflowScriptEngine:
        params = self.params(session, case.municipality)
        decisions = Decisions(resolved.dmn, self.python_decisions, params)
        return spiff.KaigoflowScriptEngine(decide=decisions.decide, defaults=casedata.CANONICAL_DEFAULTS)

    def _validate(
        self, session: Session, loaded: LoadedInstance, row: Task, submission: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, Any]:
        form = loaded.resolved.forms.get(row.form or "")
        if form is None:
            raise NotFoundError(f"様式「{row.form}」がこの版にありません")
        params = self.params(session, row.municipality)
        context = FormContext(clock_module.today(self.clock), row.municipality, params, data)
        handler = self.handlers.get(form.name)
        errors = validate_submission(form.schema, submission, handler, context)
        if errors:
            raise ValidationError(f"「{form.title}」の入力内容に誤りがあります", details=errors)
        return handler.derive(submission, context) if handler else {}

    def _run(self, loaded: LoadedInstance, step: Any) -> None:
        """Run Spiff with our clock; unwrap our own errors that Spiff wrapped on the way out."""
        with clock_module.using(self.clock), sandbox.one_budget():  # all conditions of the run share one budget
            try:
                step()
                loaded.workflow.do_engine_steps()
                loaded.workflow.refresh_waiting_tasks()
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
        current = current_data(workflow)
        # A superseded instance finishes its own work but no longer speaks for the case: the newer one holds the
        # current plan dates, care level and organisations.
        changed = [] if current.get("superseded") else self._write_facts(session, loaded, actor)
        completed = workflow.is_completed()
        state = spiff.instance_to_dict(workflow)
        expected = instance.version
        result = session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == instance.id, ProcessInstance.version == expected)
            .values(
                state=state,
                version=expected + 1,
                status="completed" if completed else "running",
                ended_at=now if completed else None,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise ConflictError("他の職員が先にこのケースを更新しました。画面を開き直してください")
        # What was just written, without reading the state back (a refresh would re-fetch and re-parse it).
        for name, value in (
            ("state", state),
            ("version", expected + 1),
            ("status", "completed" if completed else "running"),
            ("ended_at", now if completed else None),
        ):
            set_committed_value(instance, name, value)
        created = projection.sync_tasks(session, workflow, instance, case, loaded.resolved, params, now)
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
            if result.rowcount != 1:
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
            if result.rowcount != 1:
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

    def _snapshot(
        self,
        session: Session,
        loaded: LoadedInstance,
        row: Task,
        submission: dict[str, Any],
        derived: dict[str, Any],
        actor: Actor,
        now: datetime,
    ) -> None:
        form = loaded.resolved.forms[row.form or ""]
        # Numbered inside the INSERT, saving a round trip; the unique (case, form, version) guards races.
        version = (
            select(func.coalesce(func.max(Document.version), 0) + 1)
            .where(Document.case_id == row.case_id, Document.form == form.name)
            .scalar_subquery()
        )
        session.add(
            Document(
                case_id=row.case_id,
                instance_id=row.instance_id,
                task_id=row.id,
                form=form.name,
                title=form.title,
                version=version,
                data={**submission, **{f"_{k}": v for k, v in derived.items()}},
                schema=form.schema,
                spec_hash=loaded.resolved.hash,
                submitted_by_id=actor.user_id,
                submitted_at=now,
            )
        )

    @staticmethod
    def _may_start(actor: Actor) -> None:
        """Only planners (and the system: workers, scenarios) open cases and start flows; a flow that follows
        another when it ends is started by the engine itself, whoever finished the last step."""
        if not actor.system and actor.role not in demo_staff.PLANNER_ROLES:
            raise PermissionDenied(demo_staff.CANNOT_START)

    def _case(self, session: Session, case_id: int, actor: Actor) -> Case:
        case = session.scalar(select(Case).where(Case.id == case_id).execution_options(populate_existing=True))
        if case is None:
            raise NotFoundError("ケースが見つかりません")
        return case

    def _lock_case(self, session: Session, case_id: int) -> None:
        """Serialize the mutations of one case until this transaction ends; reads after it see the latest commit.

        A no-op UPDATE of the case row: on PostgreSQL it takes the row lock (a second writer of the same case
        waits, then reads what the first committed); on SQLite it takes the database's write lock before anything
        is read for the change, so a lost race is seen as a completed task (409), never as a unique-key error.
        The instance's version check stays as the last line of defence.
        """
        session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(version=Case.version)
            .execution_options(synchronize_session=False)
        )
        _memo(session)["locked"].add(case_id)

    def lock_task(self, session: Session, task_id: str) -> Task | None:
        """Lock the case of a task (see _lock_case), then read the task: a page that will complete it reads the
        form and the instance under the lock, and the completion reads nothing twice. None if there is no such task.
        """
        case_id = select(Task.case_id).where(Task.id == task_id).scalar_subquery()
        session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(version=Case.version)
            .execution_options(synchronize_session=False)
        )
        row = session.scalar(select(Task).where(Task.id == task_id).execution_options(populate_existing=True))
        if row is not None:
            memo = _memo(session)
            memo["locked"].add(row.case_id)
            memo["fresh_tasks"].add(row.id)
        return row

    def _ready_task(self, session: Session, task_id: str, actor: Actor) -> Task:
        row = session.get(Task, task_id)
        if row is None or not (actor.system or row.organisation_id == actor.organisation_id):
            raise NotFoundError("タスクが見つかりません")
        memo = _memo(session)
        if row.case_id not in memo["locked"] or row.id not in memo["fresh_tasks"]:
            self._lock_case(session, row.case_id)
            session.refresh(row)
        if row.state == "completed":
            raise ConflictError("このタスクはすでに完了しています(二重送信または他の職員が先に完了)")
        if row.state != "ready":
            raise ConflictError("このタスクは取り消されました(手続きが別の経路で進みました)")
        return row

    def _event(self, session: Session, actor: Actor, kind: str, **fields: Any) -> None:
        session.add(Event(at=self.clock.now(), actor_id=actor.user_id, kind=kind, address=actor.address, **fields))

    @contextlib.contextmanager
    def _transaction(self, session: Session) -> Iterator[None]:
        """One mutation, one transaction: commit at the end of the outermost call, roll back on any error."""
        if session.info.get("kaigoflow_in_tx"):
            yield
            return
        session.info["kaigoflow_in_tx"] = True
        try:
            yield
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.info["kaigoflow_in_tx"] = False


def current_data(workflow: Any) -> dict[str, Any]:
    """The latest instance data: from the tasks now waiting or ready, else from the last finished task."""
    data: dict[str, Any] = {}
    live = workflow.get_tasks(state=spiff.TaskState.READY | spiff.TaskState.WAITING)
    if not live and workflow.last_task is not None:
        live = [workflow.last_task]
    for task in live:
        data.update(task.data)
    return data


LIVE = spiff.TaskState.READY | spiff.TaskState.WAITING | spiff.TaskState.STARTED
"""The tasks whose data the next run reads: ready and waiting steps, running call activities and timers."""


def _superseded(workflow: Any) -> bool:
    return any(task.data.get("superseded") for task in workflow.get_tasks(state=LIVE))


def _end_properties(workflow: Any) -> dict[str, str]:
    """Properties of the top-level end event the instance finished on."""
    for task in workflow.get_tasks(state=spiff.TaskState.COMPLETED):
        spec = task.task_spec
        if type(spec).__name__ == "EndEvent" and task.workflow is workflow:
            props = projection.properties(spec)
            if props:
                return props
    return {}


def _ms(started: float) -> float:
    """Milliseconds since `started` (time.perf_counter), for the operations log."""
    return (time.perf_counter() - started) * 1000
