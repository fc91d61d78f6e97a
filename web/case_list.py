"""The 利用者一覧 at /cases and GET /api/cases: find a person by 氏名, カナ or 被保険者番号, filter, sort, page.

Every role that takes part in cases sees the list (the insurer and providers included), each only the cases of
its own organisation (web/access.case_clause). The query itself is engine.cases.search; the JSON form is
web/case_list_api.py.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from flask import url_for
from sqlalchemy import select

from engine.cases import search
from engine.errors import KaigoflowError
from engine.store.models import Case
from engine.store.models import User
from web import access
from web import auth
from web import filters
from web import wiring
from web.extensions import db

bp = Blueprint("case_list", __name__)
bp.before_request(auth.require_login)

STATUS_CHOICES = {"": "すべて", "open": "対応中", "ended": "終了"}
PLANNING_ROLES = ("center", "office")


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


def query_from(args: Any) -> search.CaseQuery:
    """The query of `?q=&status=&care_level=&care_manager=&flow=&sort=&page=`; unknown values are ignored."""
    status = args.get("status", "")
    level = args.get("care_level", "")
    sort = args.get("sort", "kana")
    return search.CaseQuery(
        text=args.get("q", "")[: search.MAX_QUERY],
        status=status if status in search.STATUSES else "",
        care_level=level if level in filters.CARE_LEVELS else "",
        care_manager_id=_int(args.get("care_manager")),
        process_key=args.get("flow", "").strip()[:64],
        sort=sort if sort in search.SORTS else "kana",
        page=_int(args.get("page")) or 1,
        per_page=int(current_app.config["INBOX_PER_PAGE"]),
    )


def query_args(query: search.CaseQuery) -> dict[str, Any]:
    """The query-string arguments that reproduce a query (defaults left out)."""
    found = {
        "q": query.text.strip(),
        "status": query.status,
        "care_level": query.care_level,
        "care_manager": query.care_manager_id,
        "flow": query.process_key,
        "sort": "" if query.sort == "kana" else query.sort,
    }
    return {k: v for k, v in found.items() if v}


def run(query: search.CaseQuery) -> search.CasePage:
    staff = wiring.staff()
    return search.search(db.session(), query, access.case_clause(staff.organisation_id))


def care_manager_names(page: search.CasePage) -> dict[int, str]:
    """Display names of the rows' care managers (one query for the page)."""
    ids = {row.care_manager_id for row in page.rows if row.care_manager_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def care_managers(staff: auth.Staff) -> list[User]:
    """The filter's choices: the colleagues of a center or office (other roles hold no cases as care manager)."""
    if staff.role not in PLANNING_ROLES:
        return []
    return list(
        db.session.scalars(
            select(User).where(User.organisation_id == staff.organisation_id, User.active.is_(True)).order_by(User.id)
        ).all()
    )


def flow_choices(staff: auth.Staff) -> list[tuple[str, str]]:
    try:
        keys = wiring.services().library.flows(staff.municipality)
    except KaigoflowError:
        keys = []
    return [(key, filters.flow_name(key)) for key in keys]


@bp.get("/cases")
def index() -> str:
    staff = wiring.staff()
    query = query_from(request.args)
    page = run(query)
    args = query_args(query)

    def page_url(number: int) -> str:
        return url_for("case_list.index", **{**args, **({"page": number} if number > 1 else {})})

    return render_template(
        "cases/index.html",
        page=page,
        query=query,
        args=args,
        page_url=page_url,
        names=care_manager_names(page),
        care_managers=care_managers(staff),
        flows=flow_choices(staff),
        statuses=STATUS_CHOICES,
        sorts=search.SORTS,
        care_levels=filters.CARE_LEVELS,
        can_open=staff.role in PLANNING_ROLES,
        today=wiring.today(),
    )


# -- duplicate 被保険者番号 at ケースの登録 ---------------------------------------------------------------------


def duplicates_of(municipality: str, raw_number: str) -> list[tuple[Case, bool]]:
    """The municipality's cases with this 被保険者番号 and whether the user may open each one."""
    number = re.sub(r"[\s-]", "", filters.normalise_ascii(raw_number or ""))
    if not re.fullmatch(r"\d{10}", number):
        return []
    organisation_id = wiring.staff().organisation_id
    found = search.duplicates(db.session(), municipality, number)
    return [(case, access.can_see_case(case, organisation_id)) for case in found]
