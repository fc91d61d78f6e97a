"""Deadlines and compliance: the deadlines board, risk lists, recording a duty or a 特段の事情, the case page section.

Everything here reads the `schedule_item` and `risk` tables that engine.scheduling.schedule keeps; nothing deserializes
a workflow. A duty is acted on only by the organisation it belongs to; anything else is 404 and logged (web/access).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy import select

from engine import EXCUSABLE_DUTIES as EXCUSABLE
from engine import MANUAL_DUTIES as MANUAL
from engine import RISKS
from engine import Case
from engine import KaigoflowError
from engine import Organisation
from engine import Risk
from engine import ScheduleItem
from engine import User
from engine import ValidationError
from engine import add_months
from engine import build_digest
from engine import duty_name as name_of
from engine import month_end
from engine import to_wareki_month
from web import access
from web import app_services
from web import auth
from web import date_input
from web import display
from web import inputsafe
from web import signed_in
from web.display import period_words
from web.extensions import db

bp = Blueprint("schedules", __name__)
bp.before_request(auth.require_login)

STATUS_NAMES = {"open": "予定", "done": "済", "missed": "未実施(期限超過)", "excused": "特段の事情あり"}
SEVERITY_NAMES = {"reduction": "運営基準減算", "warning": "注意(減算なし)", "overdue": "期限超過"}
BOARD_LIMIT = 500


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        duty_name=duty_name,
        risk_name=risk_name,
        schedule_status=lambda status: STATUS_NAMES.get(status, status),
        severity_name=lambda severity: SEVERITY_NAMES.get(severity, severity),
        case_schedule=case_schedule,
        schedule_manual=MANUAL,
    )
    app.add_template_filter(lambda first, *rest: (first, *rest), "schedule_pair")
    app.add_template_filter(to_wareki_month, "wareki_month")
    app.add_template_filter(period_words, "period")


def duty_name(duty: str, municipality: str | None = None) -> str:
    """The duty's name for staff, under the municipality's own document names where its manual gives them."""
    return name_of(duty, municipality)


def risk_name(code: str) -> str:
    kind = RISKS.get(code)
    return kind.name if kind else code


def item_or_404(item_id: int, acting: bool = False) -> tuple[ScheduleItem, Case]:
    """The schedule item if the staff member's organisation may see it (and, when acting, owns the duty)."""
    item = db.session.get(ScheduleItem, item_id)
    if item is None:
        abort(404)
    case = db.session.get(Case, item.case_id)
    staff = signed_in.staff()
    if case is None or not access.can_see_case(case, staff.organisation_id):
        access.deny("schedule_item", item_id, case_id=item.case_id)
    if acting and item.organisation_id != staff.organisation_id:
        access.deny("schedule_item", item_id, case_id=item.case_id)
    assert case is not None
    return item, case


# -- the case page section ----------------------------------------------------------------------------------


@dataclass
class CaseSchedule:
    upcoming: list[ScheduleItem]
    overdue: list[ScheduleItem]
    history: list[ScheduleItem]
    risks: list[Risk]
    cleared: list[Risk]


def case_schedule(case: Case, months_ahead: int = 3) -> CaseSchedule:
    """What the case page shows: due and overdue duties, the last done ones, open and recently cleared risks."""
    today = app_services.today()
    horizon = add_months(today, months_ahead)
    rows = db.session.scalars(
        select(ScheduleItem).where(ScheduleItem.case_id == case.id).order_by(ScheduleItem.due_date, ScheduleItem.key)
    ).all()
    upcoming = [r for r in rows if r.status == "open" and today <= r.due_date <= horizon]
    overdue = [r for r in rows if r.status == "missed" or (r.status == "open" and r.due_date < today)]
    history = [r for r in rows if r.status in ("done", "excused")][-12:]
    risks = db.session.scalars(select(Risk).where(Risk.case_id == case.id).order_by(Risk.since.desc(), Risk.code)).all()
    return CaseSchedule(
        upcoming,
        overdue,
        list(reversed(history)),
        [r for r in risks if r.cleared_at is None],
        [r for r in risks if r.cleared_at is not None][:10],
    )


# -- the deadlines board ------------------------------------------------------------------------------------


@dataclass
class Board:
    overdue: list[tuple[ScheduleItem, Case]]
    this_week: list[tuple[ScheduleItem, Case]]
    this_month: list[tuple[ScheduleItem, Case]]
    next_month: list[tuple[ScheduleItem, Case]]


def board_rows(organisation_id: int, today: date, user_id: int | None = None) -> Board:
    """An organisation's duties: overdue, due this week (to Sunday), later this month, next month.

    Every open duty up to the end of next month is in exactly one section: a モニタリング due on the 31st is in
    今月 (or 今週 when the week reaches it), and the days of this week that fall in next month are in 今週 only.
    """
    query = (
        select(ScheduleItem, Case)
        .join(Case, Case.id == ScheduleItem.case_id)
        .where(ScheduleItem.organisation_id == organisation_id, access.case_clause(organisation_id))
        .order_by(ScheduleItem.due_date, Case.client_name_kana, ScheduleItem.key)
    )
    if user_id is not None:
        query = query.where(ScheduleItem.user_id == user_id)
    following = add_months(date(today.year, today.month, 1), 1)
    late = or_(ScheduleItem.status == "missed", and_(ScheduleItem.status == "open", ScheduleItem.due_date < today))
    week = and_(
        ScheduleItem.status == "open",
        ScheduleItem.due_date >= today,
        ScheduleItem.due_date <= display.week_end(today),
    )
    current = and_(
        ScheduleItem.status == "open",
        ScheduleItem.due_date > display.week_end(today),
        ScheduleItem.due_date <= month_end(today),
    )
    month = and_(
        ScheduleItem.status == "open",
        ScheduleItem.due_date >= following,
        ScheduleItem.due_date > display.week_end(today),
        ScheduleItem.due_date <= month_end(following),
    )

    def rows_of(condition: Any) -> list[tuple[ScheduleItem, Case]]:
        return [tuple(r) for r in db.session.execute(query.where(condition).limit(BOARD_LIMIT)).all()]  # type: ignore[misc]

    return Board(rows_of(late), rows_of(week), rows_of(current), rows_of(month))


def _colleagues(organisation_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.organisation_id == organisation_id, User.active.is_(True)).order_by(User.id)
        ).all()
    )


def _chosen_user(organisation_id: int) -> User | None:
    """`?user=ID` (a colleague) or `?user=me`; anyone else's id is ignored rather than shown."""
    raw = request.args.get("user", "")
    staff = signed_in.staff()
    if raw == "me":
        return staff.user
    if raw.isdigit():
        user_id = inputsafe.database_int(raw)
        if user_id is None:
            abort(400, inputsafe.TOO_LARGE)
        user = db.session.get(User, user_id)
        if user is not None and user.organisation_id == organisation_id:
            return user
    return None


@bp.get("/deadlines")
def board() -> str:
    staff = signed_in.staff()
    today = app_services.today()
    chosen = _chosen_user(staff.organisation_id)
    digests = build_digest(db.session(), today, [staff.organisation_id])
    if chosen is not None:
        digests = [d for d in digests if d.user_id == chosen.id]
    return render_template(
        "schedules/board.html",
        board=board_rows(staff.organisation_id, today, chosen.id if chosen else None),
        digests=digests,
        month_end=month_end(today),
        today=today,
        next_month=add_months(date(today.year, today.month, 1), 1),
        week_end=display.week_end(today),
        colleagues=_colleagues(staff.organisation_id),
        chosen=chosen,
        manual=MANUAL,
        staff=staff,
    )


# -- risks --------------------------------------------------------------------------------------------------


def open_risks(organisation_id: int, user_id: int | None = None) -> list[tuple[Risk, Case, str | None]]:
    """Open risks on the organisation's cases, most serious and oldest first."""
    query = (
        select(Risk, Case, Organisation.name)
        .join(Case, Case.id == Risk.case_id)
        .outerjoin(Organisation, Organisation.id == Risk.organisation_id)
        .where(Risk.cleared_at.is_(None), access.case_clause(organisation_id))
        .order_by(Risk.severity.desc(), Risk.since, Risk.case_id)
    )
    if user_id is not None:
        query = query.where(Risk.user_id == user_id)
    return [tuple(r) for r in db.session.execute(query.limit(BOARD_LIMIT)).all()]  # type: ignore[misc]


@bp.get("/risks")
def risks() -> str:
    staff = signed_in.staff()
    chosen = _chosen_user(staff.organisation_id)
    rows = open_risks(staff.organisation_id, chosen.id if chosen else None)
    return render_template(
        "schedules/risks.html",
        rows=rows,
        colleagues=_colleagues(staff.organisation_id),
        chosen=chosen,
        users={u.id: u.display_name for u in _colleagues(staff.organisation_id)},
        today=app_services.today(),
        staff=staff,
    )


# -- recording ----------------------------------------------------------------------------------------------


def _back(case: Case) -> str:
    target = request.form.get("next", "")
    return auth.safe_next(target) if target else url_for("cases.show", case_id=case.id) + "#schedule-title"


@bp.post("/schedule/<int:item_id>/done")
def record_done(item_id: int) -> Any:
    item, case = item_or_404(item_id, acting=True)
    done_on: date | None = None
    raw = request.form.get("done_on", "").strip()
    if raw:
        try:
            done_on = date_input.parse_date_input(raw)
        except ValueError:
            flash("実施日は 2026-07-10 または 令和8年7月10日 の形で入力してください", "error")
            return redirect(_back(case))
    try:
        app_services.runtime().record_duty(db.session(), item.id, signed_in.staff().actor(), done_on)
    except ValidationError as failure:
        flash(f"{failure.message}: {'、'.join(failure.details.values())}", "error")
    except KaigoflowError as failure:
        flash(failure.message, "error")
    else:
        flash(f"「{duty_name(item.duty, case.municipality)}」({period_words(item.period)})を済にしました", "info")
    return redirect(_back(case))


@bp.route("/schedule/<int:item_id>/special-circumstances", methods=["GET", "POST"])
def special_circumstances(item_id: int) -> Any:
    item, case = item_or_404(item_id, acting=True)
    if item.duty not in EXCUSABLE:
        abort(404)
    reason = request.form.get("reason", "") if request.method == "POST" else ""
    problem = ""
    if request.method == "POST":
        try:
            app_services.runtime().record_special_circumstances(
                db.session(), item.id, reason, signed_in.staff().actor()
            )
        except ValidationError as failure:
            problem = failure.details.get("reason") or failure.message
        else:
            duty = f"「{duty_name(item.duty, case.municipality)}」({period_words(item.period)})"
            flash(f"{duty}の特段の事情を記録しました", "info")
            return redirect(url_for("cases.show", case_id=case.id) + "#schedule-title")
    page = render_template("schedules/special_circumstances.html", item=item, case=case, reason=reason, problem=problem)
    return page, 422 if problem else 200
