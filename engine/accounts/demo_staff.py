"""Organisations and staff: the demo set every municipality gets, used by scenarios and the demo app."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

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
DEMO_PROXY_RECEIPT_FILED_ON = date(2025, 4, 1)
"""The demo offices have their 委託契約 and filed the 代理受領委任状 at the start of a fiscal year (豊川 001:8-22): a
scenario of an office that has not clears it (`update_organisation`)."""


def demo_organisations(session: Session, municipality: Municipality) -> dict[str, list[Organisation]]:
    """Create (once) the demo organisations of a municipality; return them by role.

    One query for those already there and one flush for the new ones (a test's fixtures make them for every test)."""
    codes = {
        (role, index): f"{municipality.key}-{role}-{index}"
        for role in STAFF_ROLES
        for index in range(1, len(DEMO_ORGS[role]) + 1)
    }
    existing = {
        org.code: org for org in session.scalars(select(Organisation).where(Organisation.code.in_(codes.values())))
    }
    result: dict[str, list[Organisation]] = {}
    for role in STAFF_ROLES:
        result[role] = []
        for index, base in enumerate(DEMO_ORGS[role], start=1):
            code = codes[(role, index)]
            org = existing.get(code)
            if org is None:
                name = municipality.insurer if role == "insurer" and municipality.insurer else base
                if role != "insurer":
                    name = f"{municipality.name} {base}"
                org = Organisation(municipality=municipality.key, role=role, name=name, code=code)
                if role == "office":
                    org.proxy_receipt_mandate_filed_on = DEMO_PROXY_RECEIPT_FILED_ON
                session.add(org)
            result[role].append(org)
    session.flush()
    return result


def demo_user(session: Session, org: Organisation, index: int = 1, password_hash: str = "") -> User:
    """The demo staff member `index` of an organisation (login: <org code>-<index>)."""
    return demo_users(session, [(org, index)], password_hash)[0]


def demo_users(session: Session, wanted: list[tuple[Organisation, int]], password_hash: str = "") -> list[User]:
    """The demo staff members (organisation, index) in that order, created when missing: one query for those
    already there and one flush for the new ones."""
    logins = [f"{org.code}-{index}" for org, index in wanted]
    existing = {user.login: user for user in session.scalars(select(User).where(User.login.in_(logins)))}
    users = []
    for (org, index), login in zip(wanted, logins, strict=True):
        user = existing.get(login)
        if user is None:
            user = User(
                login=login,
                display_name=f"{ROLE_NAMES[org.role]}職員{index}",
                password_hash=password_hash,
                organisation_id=org.id,
            )
            session.add(user)
            existing[login] = user
        users.append(user)
    session.flush()
    return users
