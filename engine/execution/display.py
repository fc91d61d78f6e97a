"""Read-only views for display: a task with its form and instructions, an instance's progress per diagram.

Nothing here changes state. Reads that deserialize a workflow (progress, prefill data) are for one task or one
case page at a time; lists such as inboxes read the task projection table only.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFoundError
from engine.execution import projection
from engine.execution.runtime import Runtime
from engine.process_library import spiff
from engine.process_library.loader import FormSpec
from engine.process_library.loader import ResolvedSpec
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import ProcessInstance
from engine.store.models import Task


@dataclass
class TaskView:
    """What a task page shows: the row, its form, the step's instructions and (when ready) the instance data."""

    row: Task
    form: FormSpec | None
    instructions: str
    documentation: str
    data: dict[str, Any] = field(default_factory=dict)
    prefill: dict[str, Any] = field(default_factory=dict)
    """What the empty form shows: `data` without another document's free text (see `prefill`)."""


@dataclass
class Progress:
    """Element ids of one diagram (a process id) that are done or being worked on."""

    completed: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)


def instance_spec(runtime: Runtime, session: Session, instance: ProcessInstance) -> ResolvedSpec:
    """The resolved spec an instance runs on (its own version, even when the library has moved on)."""
    case = session.get(Case, instance.case_id)
    if case is None:
        raise NotFoundError("ケースが見つかりません")
    return runtime.spec(session, instance.spec_hash, case.municipality, instance.process_key)


def task_view(runtime: Runtime, session: Session, task_id: str, with_prefill: bool = True) -> TaskView:
    """The task row, its form spec and instructions; the instance data to prefill from when it is ready.

    A ready task's instance is restored once (runtime.load), and a completion in the same transaction reuses it.
    `with_prefill=False` (a submission: the form is filled from what was posted) skips reading the form's latest
    document for the prefill.
    """
    row = session.get(Task, task_id)
    if row is None:
        raise NotFoundError("タスクが見つかりません")
    data: dict[str, Any] = {}
    if row.state == "ready":
        loaded = runtime.load(session, row.instance_id)
        resolved = loaded.resolved
        data = dict(loaded.workflow.get_task_from_id(UUID(task_id)).data)
    else:
        instance = session.get(ProcessInstance, row.instance_id)
        if instance is None:
            raise NotFoundError("手続きが見つかりません")
        resolved = instance_spec(runtime, session, instance)
    task_spec = _task_spec(resolved, row.bpmn_id)
    form = resolved.forms.get(row.form) if row.form else None
    filled = prefill(session, row, form, data) if form is not None and with_prefill else {}
    documentation = str(getattr(task_spec, "documentation", None) or "") if task_spec is not None else ""
    instructions = projection.instructions(task_spec) if task_spec is not None else ""
    return TaskView(row, form, instructions, documentation, data, filled)


NARRATIVE_LENGTH = 500
"""Longer than any name, address or number a later form may rightly carry over (addresses are ≤ 300)."""


def prefill(session: Session, row: Task, form: FormSpec, data: dict[str, Any]) -> dict[str, Any]:
    """The instance data a form starts from, without narrative that another document wrote.

    Instance data is one namespace: a 備考 (`notes`) or an opinion typed into one document (the insurer's 認定結果, say)
    would otherwise appear in the next form with a field of that name, and be recorded again as if written there.
    Narrative comes only from this form's own latest document in the case (a plan redone after review starts from the
    last draft); everything else (names, address, dates, numbers, choices, the case's canonical data) flows on.
    """
    properties = form.schema.get("properties") or {}
    free_text = {key for key, prop in properties.items() if _is_narrative(prop, form.uischema.get(key))}
    filled = {key: value for key, value in data.items() if key not in free_text}
    if free_text:
        latest = session.scalars(
            select(Document.data)
            .where(Document.case_id == row.case_id, Document.form == form.name)
            .order_by(Document.id.desc())
            .limit(1)
        ).first()
        filled.update({key: value for key, value in (latest or {}).items() if key in free_text})
    return filled


def _is_narrative(prop: Any, ui: Any) -> bool:
    """A long free-text statement (備考, 意見, 理由): a textarea, or text allowed to run past a few lines."""
    if not isinstance(prop, dict) or prop.get("type") != "string":
        return False
    if any(key in prop for key in ("format", "enum", "oneOf", "const", "pattern")):
        return False
    widget = ui.get("ui:widget") if isinstance(ui, dict) else None
    return widget == "textarea" or int(prop.get("maxLength") or 0) > NARRATIVE_LENGTH


def progress(runtime: Runtime, session: Session, instance_id: int) -> dict[str, Progress]:
    """Per process id (the instance's own and each called subprocess): completed and current element ids."""
    loaded = runtime.load(session, instance_id)
    result: dict[str, Progress] = {}
    for task in loaded.workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue  # Spiff's own bookkeeping specs (Root, Start, End) have no element in the diagram
        process_id = task.workflow.spec.name
        entry = result.setdefault(process_id, Progress())
        if task.state == spiff.TaskState.COMPLETED:
            if bpmn_id not in entry.completed:
                entry.completed.append(bpmn_id)
        elif task.state in (spiff.TaskState.READY, spiff.TaskState.WAITING, spiff.TaskState.STARTED):
            if bpmn_id not in entry.current:
                entry.current.append(bpmn_id)
    for entry in result.values():
        # A step done once and now current again (a loop) is shown as current.
        entry.completed = [i for i in entry.completed if i not in entry.current]
    return result


def _task_spec(resolved: ResolvedSpec, bpmn_id: str) -> Any:
    for process_spec in resolved.all_specs():
        spec = process_spec.task_specs.get(bpmn_id)
        if spec is not None:
            return spec
    return None
