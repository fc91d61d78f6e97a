"""The adapter to SpiffWorkflow: the only module that knows its parser, serializer and script engine.

These things are ours rather than Spiff's defaults:
- business rule tasks name a decision (`calledDecisionId`) that is resolved when it runs, through the
  municipality's overlay (DMN) or the Python decisions, instead of embedding one DMN table in the spec;
- instances are serialized without their spec (each resolved spec is stored once, keyed by its hash);
- conditions and scripts run with no builtins but a few harmless functions, bounded by
engine/process_library/sandbox.py;
- a multi-instance activity creates at most `sandbox.MAX_INSTANCES` instances (cardinality or collection).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from copy import deepcopy
from functools import lru_cache
from typing import Any
from typing import ClassVar
from uuid import UUID

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnSubWorkflowConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import IntermediateCatchEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.bpmn.util.diff import diff_workflow
from SpiffWorkflow.bpmn.util.diff import migrate_workflow
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import BusinessRuleTaskParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import SpiffBpmnTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ParallelMultiInstanceTask
from SpiffWorkflow.spiff.specs.defaults import SequentialMultiInstanceTask
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine.process_library import sandbox

__all__ = [
    "VALIDATOR",
    "BpmnWorkflow",
    "DecisionTask",
    "IntermediateCatchEvent",
    "KaigoflowParser",
    "KaigoflowScriptEngine",
    "SpiffWorkflowException",
    "TaskState",
    "TimerEventDefinition",
    "UnsafeCodeError",
    "UserTaskMixin",
    "ValidationException",
    "diff_instance",
    "instance_from_dict",
    "instance_to_dict",
    "migrate_instance",
    "spec_from_dict",
    "spec_to_dict",
]

# Conditions see instance data and these names only: no builtins, so no open(), __import__ or getattr.
SAFE_FUNCTIONS: dict[str, Any] = {
    "len": len,
    "any": any,
    "all": all,
    "min": min,
    "max": max,
    "True": True,
    "False": False,
    "None": None,
}

Decider = Callable[[str, Mapping[str, Any]], dict[str, Any]]


class DecisionTask(SpiffBpmnTask):
    """A business rule task that asks the workflow's script engine to evaluate a named decision."""

    def __init__(self, wf_spec: Any, bpmn_id: str, decision_id: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.decision_id = decision_id

    def _run_hook(self, my_task: Any) -> bool:
        engine = my_task.workflow.script_engine
        outputs = engine.decide(self.decision_id, my_task.data)
        my_task.data.update(deepcopy(outputs))
        return bool(super()._run_hook(my_task))


class DecisionTaskParser(SpiffTaskParser):
    get_decision_ref = staticmethod(BusinessRuleTaskParser.get_decision_ref)

    def create_task(self) -> DecisionTask:
        extensions = self.parse_extensions()
        decision_id = extensions.get("calledDecisionId")
        if not decision_id:
            raise ValidationException(
                "業務ルールタスクに判定(calledDecisionId)が指定されていません",
                node=self.node,
                file_name=self.filename,
            )
        return DecisionTask(
            self.spec,
            self.bpmn_id,
            decision_id=decision_id.strip(),
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )


class BoundedParallelMultiInstanceTask(ParallelMultiInstanceTask):
    """Spiff's parallel multi-instance, which creates a child per item at once, refusing a collection that is too
    big first (a cardinality is checked by `KaigoflowScriptEngine.evaluate`)."""

    def create_children(self, my_task: Any) -> None:
        _check_collection(self, my_task)
        super().create_children(my_task)


class BoundedSequentialMultiInstanceTask(SequentialMultiInstanceTask):
    """Spiff's sequential multi-instance, with the same bound on its collection."""

    def init_remaining_items(self, my_task: Any) -> Any:
        _check_collection(self, my_task)
        return super().init_remaining_items(my_task)


def _check_collection(spec: Any, my_task: Any) -> None:
    if spec.data_input is None or not spec.data_input.exists(my_task):
        return  # Spiff reports a missing input itself
    items = spec.data_input.get(my_task)
    if not hasattr(items, "__len__") or len(items) > sandbox.MAX_INSTANCES:
        name = spec.data_input.bpmn_id
        raise UnsafeCodeError(f"繰り返しの対象「{name}」は {sandbox.MAX_INSTANCES} 件までです")


def _bounded_loops(parser_class: Any) -> Any:
    """The parser class with Spiff's multi-instance classes replaced by the bounded ones above."""
    if not issubclass(parser_class, SpiffTaskParser):
        return parser_class
    bounded = {
        "PARALLEL_MI_CLASS": BoundedParallelMultiInstanceTask,
        "SEQUENTIAL_MI_CLASS": BoundedSequentialMultiInstanceTask,
    }
    return type(parser_class.__name__, (parser_class,), bounded)


class KaigoflowParser(SpiffBpmnParser):
    """Spiff's parser with decisions resolved at run time rather than parse time, and bounded multi-instances."""

    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, Any]] = {
        **{
            tag: (_bounded_loops(parser), spec)
            for tag, (parser, spec) in SpiffBpmnParser.OVERRIDE_PARSER_CLASSES.items()
        },
        full_tag("businessRuleTask"): (_bounded_loops(DecisionTaskParser), DecisionTask),
    }


class DecisionTaskConverter(SpiffBpmnTaskConverter):
    def to_dict(self, spec: DecisionTask) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(spec)
        dct["decision_id"] = spec.decision_id
        return dct


class InstanceConverter(BpmnWorkflowConverter):
    """Serialize a workflow without its spec; restore it onto spec objects the caller already has."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        # Spiff's BpmnWorkflowConverter.to_dict with its two spec entries left out rather than converted and then
        # dropped: converting the specs was a third of every save (issue 14). Same keys, in the same order.
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec = dct.pop("spec")
        subprocess_specs = dct.pop("subprocess_specs", {})
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


@lru_cache(maxsize=8192)
def _uuid(value: str) -> UUID:
    """A task id, parsed once per process: the same ids come back at every restore of an instance (its task page,
    its completion, the next one), parsing one costs more than a lookup, and a UUID is immutable (issue 14: parsing
    was a third of a restore). 8192 ids: about 2 MB."""
    return UUID(value)


class InstanceTaskConverter(TaskConverter):
    """Spiff's task converter, with the ids of a restored task parsed by `_uuid`."""

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Any:
        # SpiffWorkflow 3.2.0's TaskConverter.from_dict, line for line, but for `_uuid` in place of `UUID`.
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=_uuid(dct["id"]))
        task._parent = _uuid(dct["parent"]) if dct["parent"] is not None else None
        task._children = [_uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = self.registry.restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)

        delta = dct.get("delta")
        if delta and task.parent is not None:
            data = DeepMerge.merge({}, task.parent.data)
            data.update(self.registry.restore(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                if key in data:
                    del data[key]
        else:
            data = self.registry.restore(dct["data"])

        task.data = data

        return task


class InstanceSubWorkflowConverter(BpmnSubWorkflowConverter):
    """Spiff's converter of a called subprocess, with its task ids parsed by `_uuid`."""

    def from_dict(self, dct: dict[str, Any], task: Any, top_workflow: Any) -> Any:
        # SpiffWorkflow 3.2.0's BpmnSubWorkflowConverter.from_dict, but for `_uuid` in place of `UUID`.
        spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=subprocess)
        subprocess.task_tree = subprocess.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


def _registry() -> Any:
    config = deepcopy(SPIFF_CONFIG)
    config[DecisionTask] = DecisionTaskConverter
    config[BoundedParallelMultiInstanceTask] = config[ParallelMultiInstanceTask]
    config[BoundedSequentialMultiInstanceTask] = config[SequentialMultiInstanceTask]
    config[BpmnWorkflow] = InstanceConverter
    config[Task] = InstanceTaskConverter
    config[BpmnSubWorkflow] = InstanceSubWorkflowConverter
    return BpmnWorkflowSerializer.configure(config)


_SERIALIZER = BpmnWorkflowSerializer(_registry())


def spec_to_dict(spec: Any) -> dict[str, Any]:
    result: dict[str, Any] = _SERIALIZER.registry.convert(spec)
    return result


def spec_from_dict(dct: dict[str, Any], *, copy: bool = True) -> Any:
    """Restore a spec; Spiff pops keys from what it is given, so `copy=False` only for a dict nobody else holds.

    Spiff's registry builds only the classes registered with it and hands back what it does not know as it is; so
    anything but a process spec is refused here (a damaged parse cache entry, say) instead of failing later.
    """
    spec = _SERIALIZER.registry.restore(deepcopy(dct) if copy else dct)
    if not isinstance(spec, BpmnProcessSpec):
        raise ValueError(f"not a process spec: {type(spec).__name__}")
    return spec


def instance_to_dict(workflow: BpmnWorkflow) -> dict[str, Any]:
    dct: dict[str, Any] = _SERIALIZER.to_dict(workflow)
    dct[_SERIALIZER.VERSION_KEY] = _SERIALIZER.VERSION
    return dct


def instance_from_dict(
    dct: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any], script_engine: Any
) -> BpmnWorkflow:
    # Spiff's restore pops keys from the dict it is given, nested ones too (each called subprocess's entry under
    # "subprocesses", and that entry's "data" and "correlations"). The caller's dict is an ORM attribute that a
    # second load in the same session reads again, so restore from copies of exactly what is popped; a state
    # that still needs migrating is copied whole.
    if dct.get(_SERIALIZER.VERSION_KEY) == _SERIALIZER.VERSION:
        dct = dict(dct)
        dct["subprocesses"] = {key: dict(sub) for key, sub in (dct.get("subprocesses") or {}).items()}
    else:
        dct = deepcopy(dct)
    _SERIALIZER.migrate(dct)
    dct["spec"] = spec
    dct["subprocess_specs"] = subprocess_specs
    workflow: BpmnWorkflow = _SERIALIZER.from_dict(dct)
    workflow.script_engine = script_engine
    return workflow


class UnsafeCodeError(SpiffWorkflowException):
    """Code refused by engine/process_library/sandbox.py; a Spiff exception, so Spiff passes it on without wrapping
    it."""


def _ensure_safe(code: str, mode: str) -> None:
    message = sandbox.problem(code, mode)
    if message:
        raise UnsafeCodeError(message)


class SafeEnvironment(TaskDataEnvironment):
    """Spiff's task-data environment that refuses code outside engine/process_library/sandbox.py's rules before running
    it.

    No builtins is not a sandbox on its own (attribute access reaches the interpreter), so every expression and
    script is checked here, at the moment it would run, whatever lint said about the file it came from.
    """

    def __init__(self, globals_: dict[str, Any], defaults: Mapping[str, Any] | None = None) -> None:
        super().__init__(globals_)
        # Conditions see `defaults` under the task data, so a variable added to the canonical set later is defined
        # for instances that started before it (their data lacks it) instead of failing their next gateway.
        self._defaults = dict(defaults or {})

    def evaluate(self, expression: str, context: Any, external_context: Any = None) -> Any:
        _ensure_safe(expression, "eval")
        names = {**self.globals, **(external_context or {}), **self._defaults, **context}
        try:
            return sandbox.evaluate(expression, names)
        except sandbox.LimitExceeded as exc:
            raise UnsafeCodeError(str(exc)) from None

    def execute(self, script: str, context: Any, external_context: Any = None) -> Any:
        _ensure_safe(script, "exec")
        # Spiff's own steps around `exec`: refuse data that shadows a function, lend the globals, take them back.
        self.check_for_overwrite(context, external_context or {})
        context.update({**self.globals, **(external_context or {})})
        try:
            sandbox.execute(script, context)
        except sandbox.LimitExceeded as exc:
            raise UnsafeCodeError(str(exc)) from None
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


def diff_instance(workflow: BpmnWorkflow, spec: Any, subprocess_specs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Spiff's own alignment of a running instance with a newer spec: (top-level diff, subprocess id -> diff|None)."""
    found: tuple[Any, dict[str, Any]] = diff_workflow(_SERIALIZER.registry, workflow, spec, subprocess_specs)
    return found


def migrate_instance(
    workflow: BpmnWorkflow, spec: Any, subprocess_specs: dict[str, Any], top_diff: Any, sub_diffs: dict[str, Any]
) -> None:
    """Point the instance at the new specs with Spiff's `migrate_workflow`, re-predicting only READY tasks.

    Waiting tasks (timers) are not reset: resetting would restart a timer's countdown from now.
    """
    migrate_workflow(top_diff, workflow, spec, reset_mask=TaskState.READY)
    workflow.subprocess_specs = subprocess_specs
    for sub_id, sub_diff in sub_diffs.items():
        sub = workflow.subprocesses.get(sub_id)
        if sub is not None and sub_diff is not None:
            migrate_workflow(sub_diff, sub, subprocess_specs[sub.spec.name], reset_mask=TaskState.READY)


class KaigoflowScriptEngine(PythonScriptEngine):
    """Evaluates conditions with no builtins and checked code, and decisions through the caller's resolver."""

    def __init__(self, decide: Decider, defaults: Mapping[str, Any] | None = None) -> None:
        super().__init__(environment=SafeEnvironment({"__builtins__": {}, **SAFE_FUNCTIONS}, defaults))
        self._decide = decide

    def decide(self, decision_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        return self._decide(decision_id, data)

    def validate(self, expression: str) -> None:
        # Spiff's DMN engine parses entries with this before evaluating them: bound the length before parsing.
        if len(expression.strip()) > sandbox.MAX_LENGTH:
            raise UnsafeCodeError(f"式が長すぎます({sandbox.MAX_LENGTH}文字まで)")
        super().validate(expression)

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        value = super().evaluate(task, expression, external_context)
        spec = getattr(task, "task_spec", None)
        if isinstance(spec, MultiInstanceTask) and expression == spec.cardinality:
            _check_cardinality(value, expression)
        return value


def _check_cardinality(value: Any, expression: str) -> None:
    """Spiff creates one child task per count of a multi-instance cardinality, all at once: bound it."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= sandbox.MAX_INSTANCES:
        message = f"繰り返し回数「{expression}」は 0 から {sandbox.MAX_INSTANCES} までの整数です(値: {value!r:.40})"
        raise UnsafeCodeError(message)
