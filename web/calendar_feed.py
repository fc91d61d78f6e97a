"""A care manager's visits and deadlines as an iCalendar feed, behind a per-user secret URL.

Calendar apps cannot sign in, so the feed URL carries a random token; only its SHA-256 is stored, a new one
replaces the old, and it can be revoked. The feed holds the same rows the deadlines board shows the user (their
organisation's cases, the duties they hold), and no client names: a calendar app is outside the office, so an
event says ケース番号 and duty, with a link back to the case page behind sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from sqlalchemy import select

from engine.store.models import CalendarToken
from engine.store.models import Case
from engine.store.models import ScheduleItem
from engine.store.models import User
from web import access
from web import auth
from web import wiring
from web.extensions import db
from web.schedules import duty_name

bp = Blueprint("calendar", __name__)
FEED_ENDPOINT = "calendar.feed"
PAST_DAYS = 60
FUTURE_DAYS = 400
VISIT_DUTIES = frozenset({"home_visit", "monitoring_contact"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.before_request
def _login_except_feed() -> Any:
    if request.endpoint == FEED_ENDPOINT:
        return None
    return auth.require_login()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def active_token(user_id: int) -> CalendarToken | None:
    return db.session.scalar(
        select(CalendarToken).where(CalendarToken.user_id == user_id, CalendarToken.revoked_at.is_(None))
    )


@bp.get("/calendar")
def settings() -> str:
    staff = wiring.staff()
    return render_template("calendar/settings.html", token=active_token(staff.id), feed_url=None)


@bp.post("/calendar/token")
def issue() -> str:
    """Make a new secret URL (the old one stops working) and show it once."""
    staff = wiring.staff()
    now = wiring.clock().now()
    for old in db.session.scalars(
        select(CalendarToken).where(CalendarToken.user_id == staff.id, CalendarToken.revoked_at.is_(None))
    ):
        old.revoked_at = now
    token = secrets.token_urlsafe(32)
    row = CalendarToken(user_id=staff.id, token_hash=token_hash(token), created_at=now)
    db.session.add(row)
    db.session.commit()
    base_url = current_app.config.get("BASE_URL")
    path = url_for(FEED_ENDPOINT, token=token)
    feed_url = base_url + path if base_url else url_for(FEED_ENDPOINT, token=token, _external=True)
    return render_template("calendar/settings.html", token=row, feed_url=feed_url)


@bp.post("/calendar/token/revoke")
def revoke() -> Any:
    staff = wiring.staff()
    row = active_token(staff.id)
    if row is not None:
        row.revoked_at = wiring.clock().now()
        db.session.commit()
    flash("カレンダー連携の URL を無効にしました", "info")
    return redirect(url_for("calendar.settings"))


@bp.get("/calendar/<token>.ics")
def feed(token: str) -> Response:
    """The feed; an unknown, revoked or malformed token is 404, as a missing page."""
    if not 20 <= len(token) <= 100:
        abort(404)
    row = db.session.scalar(
        select(CalendarToken).where(CalendarToken.token_hash == token_hash(token), CalendarToken.revoked_at.is_(None))
    )
    user = db.session.get(User, row.user_id) if row else None
    if row is None or user is None or not user.active:
        abort(404)
    body = render_feed(user)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="kaigoflow.ics"'
    return response


def feed_items(user: User) -> list[tuple[ScheduleItem, Case]]:
    """The user's open duties on their organisation's cases, from a while back to a year ahead."""
    today = wiring.today()
    rows = db.session.execute(
        select(ScheduleItem, Case)
        .join(Case, Case.id == ScheduleItem.case_id)
        .where(
            ScheduleItem.user_id == user.id,
            ScheduleItem.organisation_id == user.organisation_id,
            access.case_clause(user.organisation_id),
            ScheduleItem.status.in_(("open", "missed")),
            ScheduleItem.due_date >= today - timedelta(days=PAST_DAYS),
            ScheduleItem.due_date <= today + timedelta(days=FUTURE_DAYS),
        )
        .order_by(ScheduleItem.due_date, ScheduleItem.id)
    ).all()
    return [(item, case) for item, case in rows]


def render_feed(user: User) -> bytes:
    from icalendar import Calendar
    from icalendar import Event

    calendar = Calendar()
    calendar.add("prodid", "-//kaigoflow//schedule//JA")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "kaigoflow 訪問と期限")
    calendar.add("x-wr-timezone", "Asia/Tokyo")
    now = wiring.clock().now()
    base_url = current_app.config.get("BASE_URL")
    domain = urlsplit(base_url).netloc if base_url else "kaigoflow"
    for item, case in feed_items(user):
        event = Event()
        event.add("uid", f"schedule-{item.id}@{domain}")
        event.add("dtstamp", now)
        visit = item.duty in VISIT_DUTIES
        start = item.window_start if visit and item.window_start else item.due_date
        event.add("dtstart", start)
        event.add("dtend", item.due_date + timedelta(days=1))  # all-day events end the day after
        prefix = "訪問" if visit else "期限"
        overdue = "【期限超過】" if item.status == "missed" or item.due_date < wiring.today() else ""
        event.add("summary", f"{overdue}{prefix}: {duty_name(item.duty, case.municipality)} ケース{case.id}")
        event.add("description", f"{item.period or ''} {item.rule}(出典: {item.source})")
        if base_url:  # never from the request's Host header, which whoever fetches the feed chooses
            event.add("url", base_url + url_for("cases.show", case_id=case.id))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
