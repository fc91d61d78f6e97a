"""From a Spiff task tree to rows: the task projection, timers, and who a task is for.

Inboxes and deadline boards read these rows only; nothing here runs on a read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from engine.clock import JST
from engine.process_library import spiff
from engine.process_library.loader import ResolvedSpec
from engine.scheduling import deadlines
from engine.store.models import Case
from engine.store.models import ProcessInstance
from engine.store.models import Task
from engine.store.models import Timer


def properties(task_spec: Any) -> dict[str, str]:
    extensions = getattr(task_spec, "extensions", None) or {}
    return dict(extensions.get("properties") or {})


def form_name(task_spec: Any) -> str | None:
    value = properties(task_spec).get("formJsonSchemaFilename")
    return value.removesuffix(".schema.json").removesuffix(".json") if value else None


def instructions(task_spec: Any) -> str:
    extensions = getattr(task_spec, "extensions", None) or {}
    return str(extensions.get("instructionsForEndUser") or "")


def resolve_role(lane_role: str, case: Case) -> str:
    """The planner lane is the case's `planner` fact: the office when it writes the plan, else the center."""
    if lane_role == "planner":
        return "office" if case.planner == "office" else "center"
    return lane_role


def organisation_for(case: Case, role: str) -> int | None:
    """The organisation that does a task of this role on this case (client steps: the planner's)."""
    if role == "client":
        role = resolve_role("planner", case)
    return getattr(case, f"{role}_org_id", None)


def lane_role(resolved: ResolvedSpec, task_spec: Any) -> str:
    lane = getattr(task_spec, "lane", None)
    return resolved.lanes.get(lane or "", "planner")


def _ready_user_tasks(live: list[Any]) -> dict[str, Any]:
    """id -> task of the ready user tasks among a workflow's live tasks (`get_tasks(state=READY | WAITING |
    STARTED)`), in order: Spiff walks the tree alike for any filter of definite states, so these are the user tasks
    of `get_tasks(state=READY)` (issue 14: one walk serves several lists)."""
    return {
        str(t.id): t for t in live if t.state == spiff.TaskState.READY and isinstance(t.task_spec, spiff.UserTaskMixin)
    }


def ready_user_tasks(live: list[Any]) -> frozenset[str]:
    """The ids of the ready user tasks among a workflow's live tasks: the rows `sync_tasks` keeps `ready`."""
    return frozenset(_ready_user_tasks(live))


def sync_tasks(
    session: Session,
    workflow: Any,
    instance: ProcessInstance,
    case: Case,
    resolved: ResolvedSpec,
    params: Mapping[str, Any],
    now: datetime,
    known: frozenset[str],
    live: list[Any],
) -> tuple[list[Task], frozenset[str]]:
    """Insert rows for newly READY user tasks and cancel rows whose task is no longer ready.

    `known`: the rows that are `ready` in the database, which are the ready user tasks of the state as it was stored
    (LoadedInstance.ready_rows): not read again (issue 14). Returns the new rows and the ready ones now. Completed
    rows are written by the caller, which knows who completed them; a row this transaction already moved out of
    `ready` is left as it is. `live`: the workflow's `get_tasks(state=READY | WAITING | STARTED)`, taken after its
    last run.
    """
    ready = _ready_user_tasks(live)
    gone = []
    for task_id in known.difference(ready):
        held = session.identity_map.get(identity_key(Task, task_id))
        if held is None:
            gone.append(task_id)
        elif held.state == "ready":
            held.state = "cancelled"
    if gone:
        session.execute(
            update(Task)
            .where(Task.id.in_(gone), Task.state == "ready")
            .values(state="cancelled")
            .execution_options(synchronize_session=False)
        )
    today = now.astimezone(JST).date()
    created = []
    for task_id, task in ready.items():
        if task_id in known:
            continue
        role = resolve_role(lane_role(resolved, task.task_spec), case)
        due = deadlines.due_date(properties(task.task_spec).get("dueRule"), today, task.data, params)
        row = Task(
            id=task_id,
            instance_id=instance.id,
            case_id=case.id,
            municipality=case.municipality,
            process_key=instance.process_key,
            bpmn_id=task.task_spec.bpmn_id,
            name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            lane=getattr(task.task_spec, "lane", None),
            role=role,
            organisation_id=organisation_for(case, role),
            form=form_name(task.task_spec),
            state="ready",
            due_date=due,
            ready_at=now,
        )
        session.add(row)
        created.append(row)
    return created, frozenset(ready)


def sync_timers(session: Session, workflow: Any, instance: ProcessInstance) -> None:
    """Keep one timer row per waiting BPMN timer event of this instance."""
    waiting = {}
    for task in workflow.get_tasks(state=spiff.TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        value = task._get_internal_data("event_value")
        if not isinstance(definition, spiff.TimerEventDefinition) or not value:
            continue
        fire_at = datetime.fromisoformat(str(value))
        if fire_at.tzinfo is None:
            fire_at = fire_at.replace(tzinfo=JST)
        waiting[f"bpmn:{task.id}"] = fire_at
    rows = session.scalars(select(Timer).where(Timer.instance_id == instance.id, Timer.kind == "bpmn")).all()
    for row in rows:
        if row.key in waiting:
            # Still waiting (or fired a moment too early): keep one armed row per waiting timer.
            row.fire_at, row.fired_at, row.claimed_until = waiting.pop(row.key), None, None
        elif row.fired_at is None:
            session.delete(row)
    for key, fire_at in waiting.items():
        session.add(Timer(case_id=instance.case_id, instance_id=instance.id, kind="bpmn", key=key, fire_at=fire_at))
