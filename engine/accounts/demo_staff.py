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
                if role == "office":
                    org.proxy_receipt_mandate_filed_on = DEMO_PROXY_RECEIPT_FILED_ON
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
