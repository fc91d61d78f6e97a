"""Python for the forms and the decisions, registered explicitly by name (no scanning, no naming magic)."""

from __future__ import annotations

from engine.forms import FormHandler
from engine.forms import PythonDecision
from handlers.basic_checklist import BasicChecklist
from handlers.decisions.checklist_assessment import checklist_assessment
from handlers.decisions.equipment_exception import equipment_exception
from handlers.decisions.monitoring_requirement import monitoring_requirement
from handlers.decisions.provisional_outcome import provisional_outcome
from handlers.decisions.special_handling import special_handling
from handlers.plan_draft import PlanDraft
from handlers.simple_forms import Evaluation
from handlers.simple_forms import Intake
from handlers.simple_forms import Monitoring
from handlers.simple_forms import PlanConsent

__all__ = ["form_handlers", "python_decisions"]


def form_handlers() -> dict[str, FormHandler]:
    handlers: list[FormHandler] = [BasicChecklist(), PlanDraft(), Intake(), Monitoring(), PlanConsent(), Evaluation()]
    return {handler.form: handler for handler in handlers}


def python_decisions() -> dict[str, PythonDecision]:
    return {
        "checklist_assessment": checklist_assessment,
        "equipment_exception": equipment_exception,
        "monitoring_requirement": monitoring_requirement,
        "provisional_outcome": provisional_outcome,
        "special_handling": special_handling,
    }
