"""What a 帳票 prints besides the document itself: the case's organisations, the municipality's name, who recorded it.

Shared by the print view, the PDF (drawn on demand or ahead by the worker) and the case export; it needs a database
session and the library, not a Flask app, so `kaigoflow export-case` and the worker draw 帳票 without one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import Case
from engine import Document
from engine import KaigoflowError
from engine import Library
from engine import User
from web.case_organisations import organisations_of


def print_arguments(session: Session, library: Library, doc: Document, case: Case) -> dict[str, Any]:
    organisations = {role: org.name for role, org in organisations_of(session, case).items()}
    submitted_by = session.get(User, doc.submitted_by_id) if doc.submitted_by_id else None
    try:
        municipality_name = library.municipality(case.municipality).name
    except KaigoflowError:
        municipality_name = case.municipality
    return {
        "organisations": organisations,
        "municipality_name": municipality_name,
        "recorded_by": submitted_by.display_name if submitted_by else "",
    }
