"""The browser harness itself: the live server answers, and `login` signs a demo user in through the form."""

from __future__ import annotations


def test_login_signs_a_demo_user_in(page, page_errors, login, live_app):
    municipality = sorted(live_app.extensions["kaigoflow"].library.municipalities())[0]
    login(page, f"{municipality}-center-1-1")
    assert not page.url.split("?")[0].endswith("/login")
    cookies = {c["name"] for c in page.context.cookies()}
    assert live_app.config["SESSION_COOKIE_NAME"] in cookies
    assert page_errors == []


def test_a_wrong_password_is_reported(page, login, live_app):
    municipality = sorted(live_app.extensions["kaigoflow"].library.municipalities())[0]
    try:
        login(page, f"{municipality}-center-1-2", "wrong-password")  # not the user other tests sign in as
    except AssertionError as error:
        assert "サインインできませんでした" in str(error)
    else:
        raise AssertionError("a wrong password signed in")
