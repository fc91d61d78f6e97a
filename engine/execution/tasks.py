"""What staff do to a task: claim, release, read its form, complete (and continue), each under the case lock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine import clock as clock_module
from engine.accounts import form_register
from engine.cases import access
from engine.errors import ConflictError
from engine.errors import NotFoundError
from engine.errors import ValidationError
from engine.execution import prebuilt
from engine.execution.instances import InstanceRuns
from engine.execution.transactions import Actor
from engine.execution.transactions import LoadedInstance
from engine.execution.transactions import _memo
from engine.process_library import spiff
from engine.process_library.forms import FormContext
from engine.process_library.forms import has_directory_fields
from engine.process_library.forms import validate_submission
from engine.scheduling import duties
from engine.store.models import Task
from engine.store.models import TaskDraft


@dataclass(frozen=True)
class Completion:
    """A completed task, its name, and the steps claimed for the completer with it (id, name)."""

    task: Task
    name: str
    claimed: list[tuple[str, str]]


class TaskActions(InstanceRuns):
    """Claiming, releasing and completing tasks."""

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
                if task_id not in memo["draftless"]:
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
        row = self._ready_task(session, task_id, actor, with_instance=True)
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
        prebuilt.COMPLETE_TASK.run(session, {"task_id": row.id, "by": actor.user_id, "at": now})
        for name, value in (("state", "completed"), ("completed_by_id", actor.user_id), ("completed_at", now)):
            set_committed_value(row, name, value)  # what was just written, without a unit of work to compare it
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

    def _validate(
        self, session: Session, loaded: LoadedInstance, row: Task, submission: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, Any]:
        form = loaded.resolved.forms.get(row.form or "")
        if form is None:
            raise NotFoundError(f"様式「{row.form}」がこの版にありません")
        params = self.params(session, row.municipality)
        names = form_register.form_directory(session, row.municipality) if has_directory_fields(form.schema) else None
        handler = self.handlers.get(form.name)
        # The office's own record costs a query on every completion; only a handler that says it reads it gets it.
        reads_office = bool(getattr(handler, "reads_office", False))
        office = form_register.office_record(session, row.case_id) if reads_office else None
        context = FormContext(clock_module.today(self.clock), row.municipality, params, data, names, office)
        errors = validate_submission(form.schema, submission, handler, context)
        if errors:
            raise ValidationError(f"「{form.title}」の入力内容に誤りがあります", details=errors)
        return handler.derive(submission, context) if handler else {}

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
        values = {
            "case_id": row.case_id,
            "instance_id": row.instance_id,
            "task_id": row.id,
            "form": form.name,
            "title": form.title,
            "data": {**submission, **{f"_{k}": v for k, v in derived.items()}},
            "schema": form.schema,
            "spec_hash": loaded.resolved.hash,
            "submitted_by_id": actor.user_id,
            "submitted_at": now,
        }
        prebuilt.INSERT_DOCUMENT.run(session, {**values, "number_case": row.case_id, "number_form": form.name})

    def lock_task(self, session: Session, task_id: str, with_instance: bool = True) -> Task | None:
        """Lock the case of a task (see _lock_case), then read the task: a page that will complete it reads the
        form and the instance under the lock, and the completion reads nothing twice. None if there is no such task.

        With the task come whether it has drafts and (`with_instance`) a ready task's instance and case, with the
        newest published version on the transaction's first read, so the completion's `load` reads nothing (issue 14:
        a task POST counts its statements).
        """
        prebuilt.LOCK_CASE_OF_TASK.run(session, {"task_id": task_id})
        with_version = with_instance and self._reads_newest_version(session)
        query = prebuilt.LOCKED_TASK[with_instance, with_version]
        found: Any = session.execute(query, {"task_id": task_id}).first()  # two to five entities: typed by hand
        if found is None:
            return None
        row: Task = found[0]
        memo = _memo(session)
        memo["locked"].add(row.case_id)
        memo["fresh_tasks"].add(row.id)
        if not found[1]:
            memo["draftless"].add(row.id)
        if with_instance and found[2] is not None:
            memo["prefetched"][row.instance_id] = (found[2], found[3])
            if with_version:
                self._remember_library(session, found[3].municipality, found[4])
        return row

    def _ready_task(self, session: Session, task_id: str, actor: Actor, with_instance: bool = False) -> Task:
        """The task, ready, read under its case's lock (once per transaction: the page may have read it so)."""
        if task_id in _memo(session)["fresh_tasks"]:
            row = session.get(Task, task_id)
        else:
            row = self.lock_task(session, task_id, with_instance)
        if row is None or not (actor.system or access.task_is_for(row, actor.organisation_id)):
            raise NotFoundError("タスクが見つかりません")
        if row.state == "completed":
            raise ConflictError("このタスクはすでに完了しています(二重送信または他の職員が先に完了)")
        if row.state != "ready":
            raise ConflictError("このタスクは取り消されました(手続きが別の経路で進みました)")
        return row
