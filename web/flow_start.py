"""Who starts a case's flows, and starting one: shared by the case page, the case opening and the API."""

from __future__ import annotations

from dataclasses import dataclass

from engine import CANNOT_START as CANNOT_OPEN
from engine import CANNOT_START_IN_CASE as CANNOT_START
from engine import PLANNER_ROLES as STARTING_ROLES
from engine import Case
from engine import ConflictError
from engine import KaigoflowError
from engine import start_refusal
from web import app_services
from web import display
from web import signed_in
from web.extensions import db

__all__ = ["CANNOT_OPEN", "CANNOT_START", "STARTING_ROLES", "StartRefused", "may_start_flows", "start_flow_on"]


def may_start_flows(case: Case) -> bool:
    """The signed-in staff may start flows of this case (the engine's rule, engine/cases/access.py)."""
    staff = signed_in.staff()
    return start_refusal(staff.role, staff.organisation_id, case) is None


@dataclass(frozen=True)
class StartRefused:
    """Why a flow was not started: a Japanese message and the HTTP status the API answers with."""

    message: str
    status: int = 422


def start_flow_on(case: Case, key: str) -> StartRefused | None:
    """Start one of the municipality's flows in a case the user may see; why not, when it cannot be."""
    if key not in app_services.services().library.startable(case.municipality):
        return StartRefused("開始する手続きを選んでください")
    try:
        app_services.runtime().start(db.session(), case.id, key, actor=signed_in.staff().actor())
    except ConflictError as conflict:
        # A second copy of a running flow is refused by the engine: say which flow, and where to go on instead.
        if "process_key" not in conflict.details:
            return StartRefused(conflict.message, 409)
        flow = display.flow_name(key)
        return StartRefused(f"「{flow}」はこのケースですでに進行中です。進行中の手続きのタスクから続けてください", 409)
    except KaigoflowError as failure:
        return StartRefused(f"手続きを開始できませんでした: {failure.message}")
    return None
