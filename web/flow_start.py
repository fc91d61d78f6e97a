"""Who starts a case's flows, and starting one: shared by the case page, the case opening and the API."""

from __future__ import annotations

from dataclasses import dataclass

from engine.accounts import demo_staff
from engine.errors import ConflictError
from engine.errors import KaigoflowError
from engine.scheduling import duties
from engine.store.models import Case
from web import app_services
from web import display
from web import signed_in
from web.extensions import db

STARTING_ROLES = demo_staff.PLANNER_ROLES
CANNOT_OPEN = demo_staff.CANNOT_START
CANNOT_START = "このケースの手続きは、計画を作成する事業所または地域包括支援センターの職員が開始します。"


def may_start_flows(case: Case) -> bool:
    """Flows of a case are started by its planner's staff or its center's (a delegating center stays responsible)."""
    organisation = signed_in.staff().organisation_id
    planner = getattr(case, f"{duties.planner_role(case)}_org_id")
    return organisation in {planner, case.center_org_id} - {None}


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
