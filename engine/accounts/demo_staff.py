"""Organisations and staff: the demo set every municipality gets, used by scenarios and the demo app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.process_library.forms import DIRECTORY
from engine.process_library.loader import Municipality
from engine.store.models import Organisation
from engine.store.models import User

STAFF_ROLES = ("center", "office", "insurer", "provider")
ROLE_NAMES = {
    "center": "地域包括支援センター",
    "office": "居宅介護支援事業所",
    "insurer": "保険者",
    "provider": "サービス事業所",
}
PLANNER_ROLES = ("center", "office")
"""The organisations that plan care (包括・居宅): the only ones that open cases and start flows. A provider and an
insurer take part in a flow (their steps come to them) but never start one."""
CANNOT_START = (
    "ケースの登録と手続きの開始は地域包括支援センターまたは居宅介護支援事業所の職員が行います"
    "(サービス事業所・保険者は開始できません)。"
)
DEMO_ORGS = {
    "center": ["第一地域包括支援センター", "第二地域包括支援センター"],
    "office": ["さくら居宅介護支援事業所", "みどり居宅介護支援事業所"],
    "insurer": ["介護保険課"],
    "provider": ["ひまわりデイサービス"],
}


def demo_organisations(session: Session, municipality: Municipality) -> dict[str, list[Organisation]]:
    """Create (once) the demo organisations of a municipality; return them by role."""
    result: dict[str, list[Organisation]] = {}
    for role in STAFF_ROLES:
        result[role] = []
        for index, base in enumerate(DEMO_ORGS[role], start=1):
            code = f"{municipality.key}-{role}-{index}"
            org = session.scalar(select(Organisation).where(Organisation.code == code))
            if org is None:
                name = municipality.insurer if role == "insurer" and municipality.insurer else base
                if role != "insurer":
                    name = f"{municipality.name} {base}"
                org = Organisation(municipality=municipality.key, role=role, name=name, code=code)
                session.add(org)
                session.flush()
            result[role].append(org)
    return result


def demo_user(session: Session, org: Organisation, index: int = 1, password_hash: str = "") -> User:
    """The demo staff member `index` of an organisation (login: <org code>-<index>)."""
    login = f"{org.code}-{index}"
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        user = User(
            login=login,
            display_name=f"{ROLE_NAMES[org.role]}職員{index}",
            password_hash=password_hash,
            organisation_id=org.id,
        )
        session.add(user)
        session.flush()
    return user


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
