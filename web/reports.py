"""The monthly compliance report (月次点検報告) of an organisation: HTML, PDF (WeasyPrint) and CSV (UTF-8 with BOM).

What an office manager hands to a 運営指導 inspection: every duty of the organisation due in the month with its
status, the day it was done, and its rule and source, and every risk that was open at any time in the month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import render_template
from flask import request
from sqlalchemy import or_
from sqlalchemy import select

from engine import spreadsheet
from engine.clock import to_datetime
from engine.process_library.forms import EARLIEST
from engine.process_library.forms import LATEST
from engine.scheduling.deadlines import add_months
from engine.scheduling.deadlines import month_end
from engine.store.models import Case
from engine.store.models import Risk
from engine.store.models import ScheduleItem
from engine.store.models import User
from web import access
from web import auth
from web import errors
from web import filters
from web import wiring
from web.extensions import db
from web.filters import DateInputError
from web.filters import parse_date_input
from web.schedules import SEVERITY_NAMES
from web.schedules import STATUS_NAMES
from web.schedules import duty_name
from web.schedules import risk_name

bp = Blueprint("reports", __name__)
bp.before_request(auth.require_login)

STYLESHEET = Path(__file__).resolve().parent / "static" / "css" / "report.css"
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@dataclass
class Report:
    organisation: str
    first: date
    last: date
    generated: datetime
    items: list[tuple[ScheduleItem, Case]]
    risks: list[tuple[Risk, Case]]
    users: dict[int, str]

    def counts(self) -> dict[str, int]:
        found = {status: 0 for status in STATUS_NAMES}
        for item, _case in self.items:
            found[item.status] = found.get(item.status, 0) + 1
        found["late"] = sum(1 for item, _c in self.items if item.done_on and item.done_on > item.due_date)
        return found


def chosen_month(today: date) -> date | None:
    """`?month=YYYY-MM` (default: the previous month, the one an inspection asks about); None if malformed."""
    raw = request.args.get("month", "")
    if not raw:
        return add_months(date(today.year, today.month, 1), -1)
    match = MONTH.match(raw)
    if match is None:
        return _wareki_month(raw.strip())
    if not 1 <= int(match[2]) <= 12:
        return None
    first = date(max(1, int(match[1])), int(match[2]), 1)  # year 0000 does not exist: refused just below
    return (
        first if EARLIEST <= first <= LATEST else None
    )  # the years a care record can hold (engine/process_library/forms.py)


def _wareki_month(raw: str) -> date | None:
    """令和8年12月 / R8.12 / 令8/12 as staff type a month: read as the first day of that month."""
    if not raw or len(raw) > 20:
        return None
    try:
        day = parse_date_input(raw + ("1日" if raw.endswith("月") else ".1" if "." in raw else "/1"))
    except DateInputError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def build(organisation_id: int, organisation_name: str, first: date) -> Report:
    last = month_end(first)
    items = db.session.execute(
        select(ScheduleItem, Case)
        .join(Case, Case.id == ScheduleItem.case_id)
        .where(
            ScheduleItem.organisation_id == organisation_id,
            access.case_clause(organisation_id),
            ScheduleItem.due_date >= first,
            ScheduleItem.due_date <= last,
        )
        .order_by(Case.client_name_kana, Case.id, ScheduleItem.due_date, ScheduleItem.key)
    ).all()
    start_moment = to_datetime(first)
    risks = db.session.execute(
        select(Risk, Case)
        .join(Case, Case.id == Risk.case_id)
        .where(
            access.case_clause(organisation_id),
            Risk.since <= last,  # by when the duty was missed, not when the system noticed (downtime)
            or_(Risk.cleared_at.is_(None), Risk.cleared_at >= start_moment),
        )
        .order_by(Risk.severity.desc(), Case.client_name_kana, Case.id, Risk.since)
    ).all()
    users = {
        u.id: u.display_name for u in db.session.scalars(select(User).where(User.organisation_id == organisation_id))
    }
    return Report(
        organisation_name,
        first,
        last,
        wiring.clock().now(),
        [(i, c) for i, c in items],
        [(r, c) for r, c in risks],
        users,
    )


def _report_or_error() -> Report | Any:
    staff = wiring.staff()
    first = chosen_month(wiring.today())
    if first is None:
        return errors.error_response(
            400, "対象月は 令和8年12月 のように年と月で指定してください(2026-12 の形も使えます)。"
        )
    return build(staff.organisation_id, staff.organisation.name, first)


@bp.get("/reports/compliance")
def compliance() -> Any:
    report = _report_or_error()
    if not isinstance(report, Report):
        return report
    return render_template("reports/compliance.html", report=report, **_names(), month=f"{report.first:%Y-%m}")


@bp.get("/reports/compliance.pdf")
def compliance_pdf() -> Any:
    report = _report_or_error()
    if not isinstance(report, Report):
        return report
    try:
        from weasyprint import CSS
        from weasyprint import HTML
    except (ImportError, OSError):
        return errors.error_response(503, "PDF 出力は現在利用できません。CSV をお使いください。")
    html = render_template("reports/compliance_print.html", report=report, **_names())
    pdf = HTML(string=html, url_fetcher=_no_fetching()).write_pdf(
        stylesheets=[CSS(string=STYLESHEET.read_text(encoding="utf-8"))]
    )
    return _download(pdf or b"", "application/pdf", report, "pdf")


@bp.get("/reports/compliance.csv")
def compliance_csv() -> Any:
    report = _report_or_error()
    if not isinstance(report, Report):
        return report
    rows: list[list[str]] = []
    rows.append(
        [
            "種別",
            "利用者",
            "被保険者番号",
            "業務・リスク",
            "対象",
            "期限・いつから",
            "状態",
            "実施日・解消",
            "担当",
            "根拠",
            "出典",
        ]
    )
    for item, case in report.items:
        rows.append(
            [
                "業務",
                case.client_name or "",
                case.insured_number or "",
                duty_name(item.duty, case.municipality),
                item.period or "",
                _day(item.due_date),
                STATUS_NAMES.get(item.status, item.status),
                _day(item.done_on) + (f" 特段の事情: {item.detail.get('excuse')}" if item.detail.get("excuse") else ""),
                report.users.get(item.user_id or 0, ""),
                item.rule,
                item.source,
            ]
        )
    for risk, case in report.risks:
        rows.append(
            [
                f"リスク({SEVERITY_NAMES.get(risk.severity, risk.severity)})",
                case.client_name or "",
                case.insured_number or "",
                f"{risk_name(risk.code)} ({risk.code})",
                risk.duty_key or "",
                _day(risk.since),
                "解消" if risk.cleared_at else "未解消",
                filters.wareki_datetime(risk.cleared_at) if risk.cleared_at else "",
                report.users.get(risk.user_id or 0, ""),
                risk.rule,
                risk.source,
            ]
        )
    return _download(spreadsheet.to_csv(rows), "text/csv", report, "csv")  # werkzeug adds charset=utf-8


def _day(value: date | None) -> str:
    return filters.wareki_weekday(value) if value else ""


def _names() -> dict[str, Any]:
    return {"status_names": STATUS_NAMES, "severity_names": SEVERITY_NAMES}


def _download(body: bytes, mimetype: str, report: Report, extension: str) -> Response:
    filename = f"月次点検報告_{report.organisation}_{report.first:%Y-%m}.{extension}"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"compliance-{report.first:%Y-%m}.{extension}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def _no_fetching() -> Any:
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:
        return None
    return URLFetcher(allowed_protocols={"data"})
