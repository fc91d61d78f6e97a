"""The register as a form sees it: which organisations and staff a form's `x-directory` field may name in a
municipality (forms choose offices and care managers from what is registered, never free text)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.process_library.forms import DIRECTORY
from engine.store.models import Case
from engine.store.models import Organisation
from engine.store.models import User


def form_directory(session: Session, municipality: str) -> dict[str, frozenset[str]]:
    """What a form's `x-directory` field may name in a municipality (engine.process_library.forms.DIRECTORY): each
    role's open organisations (`office`), and the active staff of those organisations (`office-staff`)."""
    names: dict[str, set[str]] = {}
    rows = session.execute(
        select(Organisation.role, Organisation.name, User.display_name, User.active)
        .outerjoin(User, User.organisation_id == Organisation.id)
        .where(Organisation.municipality == municipality, Organisation.active.is_(True))
    )
    for role, org_name, staff_name, staff_active in rows:
        names.setdefault(role, set()).add(org_name)
        if staff_name and staff_active:
            names.setdefault(f"{role}-staff", set()).add(staff_name)
    return {kind: frozenset(found) for kind, found in names.items()}


def office_record(session: Session, case_id: int | None) -> dict[str, Any] | None:
    """What is recorded of a case's 居宅介護支援事業所 that a form may depend on (FormContext.office); None without one.
    豊川's 委託連絡票 needs the office's 代理受領委任状 filed (001:8-22): a fact of the office, not of the case."""
    case = session.get(Case, case_id) if case_id is not None else None
    office = session.get(Organisation, case.office_org_id) if case is not None and case.office_org_id else None
    if office is None:
        return None
    return {"name": office.name, "proxy_receipt_mandate_filed_on": office.proxy_receipt_mandate_filed_on}


def registered_example(
    submission: dict[str, Any], schema: Mapping[str, Any], directory: Mapping[str, frozenset[str]]
) -> dict[str, Any]:
    """A form's example with each `x-directory` field naming a registered organisation or staff member (an example
    cannot know the names of a municipality's offices): the first name in order, where the example's is unknown."""
    for key, prop in (schema.get("properties") or {}).items():
        kind = prop.get(DIRECTORY) if isinstance(prop, Mapping) else None
        known = sorted(directory.get(kind, ())) if isinstance(kind, str) else []
        if key in submission and known and submission[key] not in known:
            submission[key] = known[0]
    return submission
