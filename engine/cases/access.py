"""Who may see a case and act in it: the one home of the organisation rule, for the runtime and the web alike.

A case is visible to the organisations responsible for it (center, office, insurer, provider; a center that
delegated the plan keeps the case as its center). A task is for the organisation it is assigned to. Only planners'
staff (包括・居宅) open cases; a case's flows are started by its planner's staff or its center's (a delegating center
stays responsible). Which 帳票 each organisation reads is engine/cases/readers.py's.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy import or_

from engine.accounts.demo_staff import CANNOT_START
from engine.accounts.demo_staff import PLANNER_ROLES
from engine.scheduling.duties import planner_role
from engine.store.models import Case
from engine.store.models import Task

CASE_ROLES = ("center", "office", "insurer", "provider")
"""The organisations a case names (`<role>_org_id`): each of them sees it."""
CANNOT_START_IN_CASE = "このケースの手続きは、計画を作成する事業所または地域包括支援センターの職員が開始します。"


def case_clause(organisation_id: int) -> ColumnElement[bool]:
    """SQL condition: the case is visible to this organisation."""
    return or_(
        Case.center_org_id == organisation_id,
        Case.office_org_id == organisation_id,
        Case.insurer_org_id == organisation_id,
        Case.provider_org_id == organisation_id,
    )


def task_clause(organisation_id: int) -> ColumnElement[bool]:
    """SQL condition: the task is for this organisation (inboxes use it with the ix_task_inbox index)."""
    return Task.organisation_id == organisation_id


def can_see_case(case: Case, organisation_id: int | None) -> bool:
    return organisation_id is not None and organisation_id in {getattr(case, f"{role}_org_id") for role in CASE_ROLES}


def task_is_for(task: Task, organisation_id: int | None) -> bool:
    return organisation_id is not None and task.organisation_id == organisation_id


def start_refusal(role: str | None, organisation_id: int | None, case: Case | None = None) -> str | None:
    """Why this member of staff may not open a case (no `case`) or start a flow in `case`; None when they may.

    Providers and insurers take part in a flow (their steps come to them) but never start one; of the planners,
    only the case's planner and its center start its flows."""
    if role not in PLANNER_ROLES:
        return CANNOT_START
    starters = {getattr(case, f"{planner_role(case)}_org_id"), case.center_org_id} - {None} if case else set()
    if case is not None and organisation_id not in starters:
        return CANNOT_START_IN_CASE
    return None
