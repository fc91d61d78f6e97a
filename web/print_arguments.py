"""What a 帳票 prints besides the document itself: the case's organisations, the municipality's name, who recorded it.

Shared by the print view, the PDF (drawn on demand or ahead by the worker) and the case export.
"""

from __future__ import annotations

from typing import Any

from engine.errors import KaigoflowError
from engine.models import Case
from engine.models import Document
from engine.models import User
from web import app_services
from web.case_organisations import organisations_of
from web.extensions import db


def print_arguments(doc: Document, case: Case) -> dict[str, Any]:
    organisations = {role: org.name for role, org in organisations_of(case).items()}
    submitted_by = db.session.get(User, doc.submitted_by_id) if doc.submitted_by_id else None
    try:
        municipality_name = app_services.services().library.municipality(case.municipality).name
    except KaigoflowError:
        municipality_name = case.municipality
    return {
        "organisations": organisations,
        "municipality_name": municipality_name,
        "recorded_by": submitted_by.display_name if submitted_by else "",
    }
