"""The signed-in person's own account: change the password (the current one required; engine/accounts/staff.py's rule).

A change ends every other session and API token of the person (engine.accounts.staff.change_password raises the session
epoch); this browser's session is signed in again with the new epoch, so the person stays signed in here only.
After an administrator's reset (`must_change_password`) this is the only page that opens (web/auth.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_login import login_user

from engine.accounts import passwords
from engine.accounts import staff as staff_module
from engine.errors import ValidationError
from web import auth
from web import wiring
from web.extensions import db

bp = Blueprint("account", __name__, url_prefix="/account")
bp.before_request(auth.require_login)


@bp.route("/password", methods=["GET", "POST"])
def password() -> Any:
    me = wiring.staff()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            staff_module.change_password(
                db.session,
                me.id,
                request.form.get("current_password", ""),
                request.form.get("new_password", ""),
                request.form.get("new_password_confirm", ""),
                wiring.clock().now(),
                address=request.remote_addr,
            )
        except ValidationError as refused:
            db.session.rollback()
            errors, status = refused.details, 422
        else:
            renewed = auth.load_staff(me.id)
            session.clear()  # a fresh session cookie, like a sign-in
            if renewed is not None:
                login_user(renewed)
                session.permanent = True
            flash("パスワードを変更しました。ほかの端末やアプリでのログインは終了しました", "info")
            return redirect(url_for("inbox.index"))
    return (
        render_template(
            "account/password.html",
            errors=errors,
            forced=me.user.must_change_password,
            min_length=passwords.MIN_LENGTH,
        ),
        status,
    )
