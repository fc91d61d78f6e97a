"""The Spiff adapter saves an instance as Spiff serializes it, without the specs (engine/process_library/spiff.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnSubWorkflowConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.task import Task

from engine.process_library import spiff
from engine.publishing.scenario import run_file

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
SCENARIO = "maebashi/scenarios/schedule_care_visits_and_risks.yaml"
"""Runs call activities and waits on timers: the parts of a workflow a serialization must carry."""


def spiffs_own(workflow: Any) -> dict[str, Any]:
    """What Spiff's serializer writes for the workflow, with the two spec entries the adapter leaves out removed."""
    registry = spiff._SERIALIZER.registry
    converter = BpmnWorkflowConverter.__new__(BpmnWorkflowConverter)
    converter.registry = registry
    dct: dict[str, Any] = converter.to_dict(workflow)
    dct.pop("spec")
    dct.pop("subprocess_specs")
    dct["typename"] = registry.typenames[type(workflow)]
    dct[spiff._SERIALIZER.VERSION_KEY] = spiff._SERIALIZER.VERSION
    return dct


def check_every_save(services, monkeypatch, check: Any) -> None:
    """Run the scenario with `check(workflow, state)` called on each save (state: what is stored), and make sure the
    saves checked include instances with called subprocesses and with waiting catch events."""
    seen = {"saves": 0, "with_subprocesses": 0, "waiting_on_events": 0}
    to_dict = spiff.instance_to_dict

    def checked(workflow: Any) -> dict[str, Any]:
        state = to_dict(workflow)
        check(workflow, state)
        seen["saves"] += 1
        seen["with_subprocesses"] += bool(workflow.subprocesses)
        seen["waiting_on_events"] += bool(workflow.event_manager.tasks)
        return state

    monkeypatch.setattr(spiff, "instance_to_dict", checked)
    result = run_file(PROCESSES / SCENARIO, services.runtime, services.sessions)
    assert result.passed, result.message
    assert seen["saves"] > 10 and seen["with_subprocesses"] and seen["waiting_on_events"], seen


def test_a_saved_instance_is_spiffs_serialization_without_the_specs(services, monkeypatch):
    def same_as_spiffs(workflow: Any, ours: dict[str, Any]) -> None:
        expected = spiffs_own(workflow)
        assert ours == expected
        assert list(ours) == list(expected)  # the same keys in the same order: the same stored text

    check_every_save(services, monkeypatch, same_as_spiffs)


def stock_serializer() -> BpmnWorkflowSerializer:
    """The adapter's serializer with Spiff's own converters of tasks and called subprocesses put back."""
    registry = spiff._registry()
    TaskConverter(Task, registry)  # a converter registers itself, replacing the adapter's for its class
    BpmnSubWorkflowConverter(BpmnSubWorkflow, registry)
    return BpmnWorkflowSerializer(registry)


def test_a_restored_instance_is_the_one_spiffs_own_converters_restore(services, monkeypatch):
    stock = stock_serializer()
    to_dict = spiff.instance_to_dict  # the adapter's own, not the checking wrapper

    def restored_alike(workflow: Any, state: dict[str, Any]) -> None:
        ours = spiff.instance_from_dict(state, workflow.spec, workflow.subprocess_specs, None)
        with monkeypatch.context() as spiffs:
            spiffs.setattr(spiff, "_SERIALIZER", stock)
            theirs = spiff.instance_from_dict(state, workflow.spec, workflow.subprocess_specs, None)
        assert to_dict(ours) == to_dict(theirs) == state
        assert list(ours.subprocesses) == list(theirs.subprocesses)
        pairs = zip(ours.subprocesses.values(), theirs.subprocesses.values(), strict=True)
        for mine, other in ((ours, theirs), *pairs):
            assert [(t.id, t.parent and t.parent.id, t.state, t.data) for t in mine.get_tasks()] == [
                (t.id, t.parent and t.parent.id, t.state, t.data) for t in other.get_tasks()
            ]
        assert list(ours.event_manager.tasks) == list(theirs.event_manager.tasks)

    check_every_save(services, monkeypatch, restored_alike)
