"""Which organisation plays which role in a case (center, office, insurer, provider): case page, 帳票, exports."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Case
from engine import Organisation
from web import access


def organisations_of(session: Session, case: Case) -> dict[str, Organisation]:
    ids = {role: getattr(case, f"{role}_org_id") for role in access.CASE_ROLES}
    rows = session.scalars(select(Organisation).where(Organisation.id.in_([i for i in ids.values() if i]))).all()
    by_id = {org.id: org for org in rows}
    return {role: by_id[org_id] for role, org_id in ids.items() if org_id in by_id}
