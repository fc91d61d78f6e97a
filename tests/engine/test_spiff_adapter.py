"""The Spiff adapter saves an instance as Spiff serializes it, without the specs (engine/process_library/spiff.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter

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


def test_a_saved_instance_is_spiffs_serialization_without_the_specs(services, monkeypatch):
    seen = {"saves": 0, "with_subprocesses": 0, "waiting_on_events": 0}
    to_dict = spiff.instance_to_dict

    def compared(workflow: Any) -> dict[str, Any]:
        ours = to_dict(workflow)
        expected = spiffs_own(workflow)
        assert ours == expected
        assert list(ours) == list(expected)  # the same keys in the same order: the same stored text
        seen["saves"] += 1
        seen["with_subprocesses"] += bool(workflow.subprocesses)
        seen["waiting_on_events"] += bool(workflow.event_manager.tasks)
        return ours

    monkeypatch.setattr(spiff, "instance_to_dict", compared)
    result = run_file(PROCESSES / SCENARIO, services.runtime, services.sessions)
    assert result.passed, result.message
    assert seen["saves"] > 10 and seen["with_subprocesses"] and seen["waiting_on_events"], seen
