"""Sign-in and sign-out: password hashes, lockout after repeated failures, a fresh session on every sign-in."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from functools import cache
from typing import Any
from urllib.parse import unquote
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_login import UserMixin
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash
from werkzeug.wrappers import Response

from engine.execution.runtime import Actor
from engine.store.models import Event
from engine.store.models import Organisation
from engine.store.models import User
from web import demo
from web import wiring
from web.extensions import db
from web.extensions import login_manager

bp = Blueprint("auth", __name__)

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15


class Staff(UserMixin):
    """A signed-in staff member with their organisation (what pages and the API act as)."""

    def __init__(self, user: User, organisation: Organisation) -> None:
        self.user = user
        self.organisation = organisation

    def get_id(self) -> str:
        # The epoch makes a copied or replayed session cookie worthless once its user signs out (cookies are
        # signed, not stored: without it, an old cookie would stay valid until it expired).
        return f"{self.user.id}:{self.user.session_epoch}"

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def organisation_id(self) -> int:
        return self.organisation.id

    @property
    def role(self) -> str:
        return self.organisation.role

    @property
    def municipality(self) -> str:
        return self.organisation.municipality

    @property
    def is_admin(self) -> bool:
        """The administrator capability: compare municipalities' flows (web/admin.py)."""
        return bool(self.user.is_admin)

    def actor(self) -> Actor:
        return Actor(
            user_id=self.user.id,
            organisation_id=self.organisation.id,
            role=self.organisation.role,
            address=request.remote_addr,
        )


def load_staff(user_id: int) -> Staff | None:
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    organisation = db.session.get(Organisation, user.organisation_id)
    return Staff(user, organisation) if organisation is not None else None


def _user_loader(session_id: str) -> Staff | None:
    user_id, _, epoch = session_id.partition(":")
    try:
        staff = load_staff(int(user_id))
    except ValueError:
        return None
    if staff is None or epoch != str(staff.user.session_epoch):
        return None  # signed out since this session began (or a session from before epochs): sign in again
    return staff


def init_app(app: Flask) -> None:
    login_manager.user_loader(_user_loader)
    app.register_blueprint(bp)


def require_login() -> Response | None:
    """before_request of the page blueprints: the sign-in page for strangers, g.staff for staff."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    g.staff = current_user._get_current_object()
    if g.staff.user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        # A one-time password from an administrator: nothing else opens until the person has chosen their own.
        return redirect(url_for("account.password"))
    return None


PASSWORD_CHANGE_ENDPOINTS = frozenset({"account.password"})
"""What a person whose password was reset may open before choosing a new one (signing out is not a page)."""


# -- checking a password ------------------------------------------------------------------------------


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-password")


class SignInRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


WRONG = (
    f"ログインIDまたはパスワードが違います。続けて{MAX_FAILED_LOGINS}回間違えたIDは{LOCK_MINUTES}分間、"
    "正しいパスワードでもログインできなくなります"
)
"""The one answer to every refused sign-in (wrong password, unknown login, locked account, the failure that
locks it): telling them apart would let anyone find out which logins exist."""


def authenticate(login: str, password: str) -> User:
    """The user for a login and password; SignInRefused (Japanese) otherwise.

    After MAX_FAILED_LOGINS failures in a row the account refuses every password for LOCK_MINUTES. Each attempt
    first takes one of the MAX_FAILED_LOGINS tries in a single UPDATE (atomic on SQLite and PostgreSQL), and only
    then is the password checked: however many attempts arrive at once, at most MAX_FAILED_LOGINS passwords are
    checked before the lock. Unknown logins cost the same hash check as known ones and get the same message.
    """
    now = wiring.clock().now()
    user = db.session.scalar(select(User).where(User.login == login.strip()))
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        raise SignInRefused(WRONG)
    attempt = db.session.scalar(
        update(User)
        .where(
            User.id == user.id,
            or_(User.locked_until.is_(None), User.locked_until <= now),
            User.failed_logins < MAX_FAILED_LOGINS,
        )
        .values(failed_logins=User.failed_logins + 1, locked_until=None)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    )
    if attempt is None:  # locked, or every try is taken by attempts still being checked
        check_password_hash(_dummy_hash(), password)
        _event("login_failed", user.id, {"reason": "locked"})
        db.session.commit()
        raise SignInRefused(WRONG)
    if user.password_hash and check_password_hash(user.password_hash, password):
        _reset_failures(user.id, locked_until=None)
        _event("login", user.id, {})
        db.session.commit()
        return user
    _event("login_failed", user.id, {"reason": "password", "failures": attempt})
    if attempt >= MAX_FAILED_LOGINS:
        _reset_failures(user.id, locked_until=now + timedelta(minutes=LOCK_MINUTES))
        _event("account_locked", user.id, {"minutes": LOCK_MINUTES})
    db.session.commit()
    raise SignInRefused(WRONG)


def _reset_failures(user_id: int, locked_until: datetime | None) -> None:
    db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(failed_logins=0, locked_until=locked_until)
        .execution_options(synchronize_session=False)
    )


def _event(kind: str, user_id: int | None, detail: dict[str, Any]) -> None:
    db.session.add(
        Event(
            at=wiring.clock().now(),
            actor_id=user_id,
            kind=kind,
            detail=detail,
            address=request.remote_addr,
        )
    )


def safe_next(target: str | None) -> str:
    """Only a path on this site (never //host, /\\host or a scheme) may be the page shown after sign-in."""
    return target if target and is_local_path(target) else url_for("inbox.index")


def is_local_path(target: str) -> bool:
    """A path of this site, however a browser reads it.

    Browsers drop tabs and line breaks inside a URL and read a backslash as a slash, so a tab between two slashes
    or `/` + backslash + `evil.example` lead to another host; a line break would also split the Location header.
    Percent-encoded forms of the same are refused too, in case a proxy or a second redirect decodes them.
    """
    if not target.startswith("/") or any(not c.isprintable() or c.isspace() for c in target):
        return False
    candidate = target
    for _ in range(3):  # the raw text, decoded once, decoded twice
        squeezed = "".join(c for c in candidate if c.isprintable() and not c.isspace()).replace("\\", "/")
        if squeezed.startswith("//") or urlsplit(squeezed).scheme or urlsplit(squeezed).netloc:
            return False
        candidate = unquote(candidate)
    return True


# -- views ----------------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    error = None
    login_id = ""
    next_url = request.values.get("next", "")
    if request.method == "POST":
        login_id = request.form.get("login", "")
        try:
            user = authenticate(login_id, request.form.get("password", ""))
        except SignInRefused as refused:
            error = refused.message
        else:
            staff = load_staff(user.id)
            if staff is None:
                error = WRONG
            else:
                # Session fixation: nothing from before sign-in survives, and the session cookie is rewritten.
                session.clear()
                login_user(staff)
                session.permanent = True
                flash(f"{user.display_name}さん、ようこそ", "info")
                return redirect(safe_next(next_url))
    library = wiring.services().library
    # Demo accounts share a published password: listed only when `kaigoflow demo` started the app, never in
    # production, whatever accounts exist.
    logins = demo.demo_logins(db.session, library) if current_app.config["SHOW_DEMO_LOGINS"] else []
    municipalities = [(m, library.flows(m.key)) for m in sorted(library.municipalities().values(), key=lambda m: m.key)]
    return render_template(
        "auth/login.html",
        error=error,
        login_id=login_id,
        next_url=next_url,
        demo_logins=logins,
        municipalities=municipalities,
        demo_password=demo.DEMO_PASSWORD,
    )


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        _event("logout", current_user.id, {})
        # Every session and API token of this user ends here, including copies of this cookie.
        db.session.execute(
            update(User)
            .where(User.id == current_user.id)
            .values(session_epoch=User.session_epoch + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    logout_user()
    session.clear()
    flash("ログアウトしました", "info")
    return redirect(url_for("auth.login"))
