"""Checks that the stored state of every case holds together, for tests that race, kill or fuzz the engine.

After any of that, every instance must load, the task table must say exactly what the workflow says, each
completed form task must have exactly one document and one completion event, and each waiting timer one row.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.process_library import spiff
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import Task
from engine.store.models import Timer


def check(session: Session, runtime: Any) -> dict[str, int]:
    """Assert the invariants over the whole database; return a few counts for the caller's own checks."""
    session.expire_all()
    completions = Counter(e.task_id for e in session.scalars(select(Event).where(Event.kind == "task_completed")).all())
    documents = Counter(d.task_id for d in session.scalars(select(Document)).all())
    assert all(n == 1 for n in completions.values()), f"a task completed twice: {completions.most_common(3)}"
    assert all(n == 1 for n in documents.values()), "a task has two documents"
    counts = {"instances": 0, "ready": 0, "completed": 0, "documents": sum(documents.values())}
    for instance in session.scalars(select(ProcessInstance).order_by(ProcessInstance.id)).all():
        counts["instances"] += 1
        loaded = runtime.load(session, instance.id)  # loads: the stored state is whole
        workflow = loaded.workflow
        assert (instance.status == "completed") == workflow.is_completed(), f"instance {instance.id} status"
        ready = {
            str(t.id)
            for t in workflow.get_tasks(state=spiff.TaskState.READY)
            if isinstance(t.task_spec, spiff.UserTaskMixin)
        }
        rows = session.scalars(select(Task).where(Task.instance_id == instance.id)).all()
        assert {r.id for r in rows if r.state == "ready"} == ready, f"instance {instance.id}: task table disagrees"
        for row in rows:
            if row.state != "completed":
                continue
            counts["completed"] += 1
            assert workflow.get_task_from_id(UUID(row.id)).state == spiff.TaskState.COMPLETED
            assert completions[row.id] == 1, f"task {row.id} completed without exactly one event"
            if row.form:
                assert documents[row.id] == 1, f"task {row.id} completed without its document"
        counts["ready"] += len(ready)
        waiting = {
            f"bpmn:{t.id}"
            for t in workflow.get_tasks(state=spiff.TaskState.WAITING)
            if isinstance(getattr(t.task_spec, "event_definition", None), spiff.TimerEventDefinition)
        }
        armed = {
            t.key
            for t in session.scalars(
                select(Timer).where(Timer.instance_id == instance.id, Timer.kind == "bpmn", Timer.fired_at.is_(None))
            ).all()
        }
        assert armed == waiting, f"instance {instance.id}: timer rows {armed} vs waiting {waiting}"
    for task_id in documents:
        row = session.get(Task, task_id)
        assert row is not None and row.state == "completed", f"document of a task that is not completed: {task_id}"
    session.rollback()
    return counts
