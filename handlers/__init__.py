"""The Python of the forms and decisions, registered explicitly by name (no scanning, no magic).

`form_handlers()` maps a form name (the stem of a task's `formJsonSchemaFilename`) to its
FormHandler; `python_decisions()` maps a decision id (a business rule task's
`calledDecisionId`) to its PythonDecision.
"""

from __future__ import annotations

from engine.process_library.forms import FormHandler
from engine.process_library.forms import PythonDecision
from handlers import equipment_forms
from handlers import provisional_forms
from handlers.basic_checklist import BasicChecklist
from handlers.commission_notice import CommissionNotice
from handlers.decisions.certification_application import certification_application
from handlers.decisions.certification_result import certification_result
from handlers.decisions.checklist_assessment import checklist_assessment
from handlers.decisions.equipment_exception import equipment_exception
from handlers.decisions.monitoring_requirement import monitoring_requirement
from handlers.decisions.provisional_outcome import provisional_outcome
from handlers.decisions.special_handling import special_handling
from handlers.evaluation import Evaluation
from handlers.handling_change import HandlingChange
from handlers.handover import Handover
from handlers.intake import Intake
from handlers.monitoring import Monitoring
from handlers.plan_change import PlanChangeRequest
from handlers.plan_consent import PlanConsent
from handlers.plan_draft import PlanDraft
from handlers.plan_originals import PlanOriginalsSubmission
from handlers.plan_review import PlanReview
from handlers.program_eligibility import ProgramEligibility
from handlers.service_end import ServiceEnd
from handlers.video_monitoring import VideoMonitoringConditions

__all__ = ["form_handlers", "python_decisions"]


def form_handlers() -> dict[str, FormHandler]:
    """Form name -> handler. A form without a handler is checked by its JSON Schema alone."""
    handlers: list[FormHandler] = [
        Intake(),
        BasicChecklist(),
        # 前橋 別紙2: the 確定 plan's draft and consent are dated on or after the 認定日 (provisional_forms).
        # That check wraps the plan_draft and plan_consent handlers, so both sets of rules apply.
        provisional_forms.with_confirmed_draft_check(PlanDraft()),
        provisional_forms.with_confirmed_consent_check(PlanConsent()),
        Monitoring(),
        Evaluation(),
        PlanChangeRequest(),
        HandlingChange(),
        VideoMonitoringConditions(),
        Handover(),
        ProgramEligibility(),
        PlanOriginalsSubmission(),
        ServiceEnd(),
        PlanReview(),
        CommissionNotice(),
        *provisional_forms.HANDLERS,
        *equipment_forms.HANDLERS,
    ]
    registry: dict[str, FormHandler] = {}
    for handler in handlers:
        if handler.form in registry:
            raise RuntimeError(f"form handler registered twice: {handler.form}")
        registry[handler.form] = handler
    return registry


def python_decisions() -> dict[str, PythonDecision]:
    """Decision id -> function(inputs, params) -> outputs (CONTRACT.md decisions table)."""
    return {
        "certification_application": certification_application,
        "certification_result": certification_result,
        "checklist_assessment": checklist_assessment,
        "equipment_exception": equipment_exception,
        "monitoring_requirement": monitoring_requirement,
        "provisional_outcome": provisional_outcome,
        "special_handling": special_handling,
    }
