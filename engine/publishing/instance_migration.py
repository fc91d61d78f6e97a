"""Move running instances of a flow to a newer published version, only where it is safe.

SpiffWorkflow aligns the old and new specs by BPMN id (`diff_workflow`) and re-points the task tree
(`migrate_workflow`). Its own check only refuses READY/WAITING tasks whose spec disappeared; ours is stricter.
An instance is *not* moved (移行不可) when:
- the new version has no such flow, or drops a called process the instance is inside;
- a task that is not finished (READY, WAITING, STARTED) or already done would lose its step in the new version
  (the history must still load);
- a ready task's form changes (what a staff member may be typing would no longer fit), or its lane's role
  changes (the task would silently move to another organisation);
- a waiting timer's definition changes (its countdown cannot be re-derived safely);
- the migrated state does not reload against the new spec (checked by a full save and restore).
A dry run reports the same per instance without writing anything; a real run moves each safe instance in its
own transaction with the runtime's optimistic version check, and records an event per instance and one for
the whole run.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import KaigoflowError
from engine.errors import NotFoundError
from engine.execution import projection
from engine.execution.runtime import SYSTEM
from engine.execution.runtime import Actor
from engine.execution.runtime import LoadedInstance
from engine.execution.runtime import Runtime
from engine.process_library import spiff
from engine.process_library.loader import ResolvedSpec
from engine.publishing.versions import Versions
from engine.store.models import Case
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import Task

UNFINISHED = spiff.TaskState.READY | spiff.TaskState.WAITING | spiff.TaskState.STARTED
FINISHED = spiff.TaskState.COMPLETED | spiff.TaskState.ERROR


@dataclass
class InstancePlan:
    """What migrating one instance would do (`ok`), or why it cannot (`reasons`, Japanese)."""

    instance_id: int
    case_id: int
    from_hash: str
    to_hash: str
    ok: bool = True
    reasons: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    migrated: bool = False

    @property
    def verdict(self) -> str:
        if self.from_hash == self.to_hash:
            return "移行済み"
        return "移行可" if self.ok else "移行不可"

    def refuse(self, reason: str) -> None:
        self.ok = False
        if reason not in self.reasons:
            self.reasons.append(reason)

    def line(self) -> str:
        detail = "; ".join(self.reasons if not self.ok else self.changes) or "変更点なし"
        return f"手続き {self.instance_id}(ケース {self.case_id}): {self.verdict} — {detail}"


def plan(
    session: Session,
    runtime: Runtime,
    versions: Versions,
    municipality: str,
    process_key: str,
    to_number: int,
) -> list[InstancePlan]:
    """The dry run: per running instance of the flow in the municipality, what moving to `to_number` would do."""
    target = _target(session, versions, municipality, process_key, to_number)
    plans = []
    for instance in _running(session, municipality, process_key):
        loaded = runtime.load(session, instance.id)
        plans.append(_check(loaded, target)[0])
    return plans


def migrate(
    session: Session,
    runtime: Runtime,
    versions: Versions,
    municipality: str,
    process_key: str,
    to_number: int,
    actor: Actor = SYSTEM,
    by: str = "",
) -> list[InstancePlan]:
    """Move every safe running instance to `to_number`; the others stay where they are. Returns every plan.

    Each instance moves in its own transaction; one that changed meanwhile (ConflictError) is reported as
    移行不可 with the reason and left as it was.
    """
    target = _target(session, versions, municipality, process_key, to_number)
    plans = []
    for instance_id in [i.id for i in _running(session, municipality, process_key)]:
        try:
            with runtime._transaction(session):
                loaded = runtime.load(session, instance_id)
                result, top_diff, sub_diffs = _check(loaded, target)
                if result.ok and result.from_hash != result.to_hash:
                    _apply(session, runtime, loaded, target, top_diff, sub_diffs, actor, result, by)
                    result.migrated = True
        except KaigoflowError as exc:
            row = session.get(ProcessInstance, instance_id)
            case_id, from_hash = (row.case_id, row.spec_hash) if row else (0, "")
            result = InstancePlan(instance_id, case_id, from_hash, target.hash, ok=False, reasons=[exc.message])
        plans.append(result)
    with runtime._transaction(session):
        session.add(
            Event(
                at=runtime.clock.now(),
                actor_id=actor.user_id,
                kind="process_migration",
                address=actor.address,
                detail={
                    "municipality": municipality,
                    "process_key": process_key,
                    "to_number": to_number,
                    "to_hash": target.hash,
                    "by": by,
                    "migrated": [p.instance_id for p in plans if p.migrated],
                    "refused": {str(p.instance_id): p.reasons for p in plans if not p.ok},
                },
            )
        )
    return plans


# -- internals ---------------------------------------------------------------------------------------------


def _target(session: Session, versions: Versions, municipality: str, process_key: str, number: int) -> ResolvedSpec:
    library = versions.library_for_version(session, municipality, number)
    if process_key not in library.process_keys(municipality):
        raise NotFoundError(f"版 {number} に手続き「{process_key}」はありません")
    return library.resolve(municipality, process_key)


def _running(session: Session, municipality: str, process_key: str) -> list[ProcessInstance]:
    return list(
        session.scalars(
            select(ProcessInstance)
            .join(Case, Case.id == ProcessInstance.case_id)
            .where(
                Case.municipality == municipality,
                ProcessInstance.process_key == process_key,
                ProcessInstance.status == "running",
            )
            .order_by(ProcessInstance.id)
        ).all()
    )


def _label(task_spec: Any) -> str:
    name = getattr(task_spec, "bpmn_name", None)
    bpmn_id = getattr(task_spec, "bpmn_id", None) or task_spec.name
    return f"「{name}」({bpmn_id})" if name else f"「{bpmn_id}」"


def _check(loaded: LoadedInstance, target: ResolvedSpec) -> tuple[InstancePlan, Any, dict[str, Any]]:
    instance, workflow, old = loaded.instance, loaded.workflow, loaded.resolved
    result = InstancePlan(instance.id, instance.case_id, instance.spec_hash, target.hash)
    if instance.spec_hash == target.hash:
        return result, None, {}
    try:
        top_diff, sub_diffs = spiff.diff_instance(workflow, target.spec, target.subprocess_specs)
    except Exception as exc:  # Spiff could not align the two versions at all: nothing can be moved safely
        result.refuse(f"新旧の版を対応付けられません({type(exc).__name__})")
        return result, None, {}
    diffs = [(workflow, top_diff)]
    for sub_id, sub_diff in sub_diffs.items():
        sub = workflow.subprocesses[sub_id]
        if sub_diff is None:
            result.refuse(f"呼び出し中のプロセス「{sub.spec.name}」が新しい版にありません")
        else:
            diffs.append((sub, sub_diff))
    for _, diff in diffs:
        for task in diff.removed:
            if task.has_state(UNFINISHED):
                result.refuse(f"未完了の手順{_label(task.task_spec)}が新しい版で削除されています")
            elif task.has_state(FINISHED):
                result.refuse(
                    f"完了済みの手順{_label(task.task_spec)}が新しい版で削除されています(履歴を引き継げません)"
                )
        for task, new_spec in diff.alignment.items():
            if new_spec is None:
                continue
            _compare_task(result, task, new_spec, old, target)
    if result.ok:
        _check_restores(result, loaded, target, top_diff, sub_diffs)
    return result, top_diff, sub_diffs


def _compare_task(result: InstancePlan, task: Any, new_spec: Any, old: ResolvedSpec, new: ResolvedSpec) -> None:
    old_spec = task.task_spec
    if task.has_state(spiff.TaskState.READY) and isinstance(old_spec, spiff.UserTaskMixin):
        old_form, new_form = projection.form_name(old_spec), projection.form_name(new_spec)
        old_schema = old.forms[old_form].schema if old_form in old.forms else None
        new_schema = new.forms[new_form].schema if new_form in new.forms else None
        if old_form != new_form or old_schema != new_schema:
            result.refuse(f"対応中の手順{_label(old_spec)}の様式が変わります(入力途中の内容が合わなくなります)")
        old_role = old.lanes.get(getattr(old_spec, "lane", None) or "", "planner")
        new_role = new.lanes.get(getattr(new_spec, "lane", None) or "", "planner")
        if old_role != new_role:
            result.refuse(f"対応中の手順{_label(old_spec)}の担当(役割)が {old_role} から {new_role} に変わります")
        if (old_spec.bpmn_name or "") != (new_spec.bpmn_name or ""):
            result.changes.append(f"手順名「{old_spec.bpmn_name}」→「{new_spec.bpmn_name}」")
        if projection.properties(old_spec).get("dueRule") != projection.properties(new_spec).get("dueRule"):
            result.changes.append(f"{_label(old_spec)}の期限の決め方が変わります(期限日はそのまま)")
        if projection.instructions(old_spec) != projection.instructions(new_spec):
            result.changes.append(f"{_label(old_spec)}の説明文が変わります")
    if task.has_state(spiff.TaskState.WAITING) and isinstance(old_spec, spiff.IntermediateCatchEvent):
        old_def = getattr(old_spec, "event_definition", None)
        new_def = getattr(new_spec, "event_definition", None)
        if type(old_def) is not type(new_def) or getattr(old_def, "expression", None) != getattr(
            new_def, "expression", None
        ):
            result.refuse(f"待機中のタイマー{_label(old_spec)}の設定が変わります")


def _check_restores(
    result: InstancePlan, loaded: LoadedInstance, target: ResolvedSpec, top_diff: Any, sub_diffs: dict[str, Any]
) -> None:
    """Migrate a copy and reload it against the new spec: what cannot be saved and restored is refused."""
    engine = loaded.workflow.script_engine
    try:
        copy = spiff.instance_from_dict(
            spiff.instance_to_dict(loaded.workflow), loaded.resolved.spec, loaded.resolved.subprocess_specs, engine
        )
        top, subs = spiff.diff_instance(copy, target.spec, target.subprocess_specs)
        spiff.migrate_instance(copy, target.spec, target.subprocess_specs, top, subs)
        spiff.instance_from_dict(spiff.instance_to_dict(copy), target.spec, target.subprocess_specs, engine)
    except Exception as exc:  # any failure to save or restore means the same: this instance cannot move
        result.refuse(f"新しい版では手続きの状態を復元できません({type(exc).__name__})")


def _apply(
    session: Session,
    runtime: Runtime,
    loaded: LoadedInstance,
    target: ResolvedSpec,
    top_diff: Any,
    sub_diffs: dict[str, Any],
    actor: Actor,
    result: InstancePlan,
    by: str,
) -> None:
    workflow, instance = loaded.workflow, loaded.instance
    spiff.migrate_instance(workflow, target.spec, target.subprocess_specs, top_diff, sub_diffs)
    runtime._store_spec(session, target)
    old_hash = instance.spec_hash
    instance.spec_hash = target.hash
    loaded.resolved = target
    # Ready tasks keep their ids (Spiff resets them in place): bring their rows up to the new names and lanes.
    ready = {str(t.id): t for t in workflow.get_tasks(state=spiff.TaskState.READY)}
    for row in session.scalars(select(Task).where(Task.instance_id == instance.id, Task.state == "ready")).all():
        task = ready.get(row.id)
        if task is not None and isinstance(task.task_spec, spiff.UserTaskMixin):
            row.name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
            row.lane = getattr(task.task_spec, "lane", None)
    runtime._event(
        session,
        actor,
        "instance_migrated",
        case_id=instance.case_id,
        instance_id=instance.id,
        detail={"from_hash": old_hash, "to_hash": target.hash, "changes": result.changes, "by": by},
    )
    runtime._advance(session, loaded, actor)
