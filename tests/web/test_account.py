"""A person changes their own password (/account/password): the current one is required, the rule is explained in
Japanese, and a change ends every other session and API token of the person while this one stays signed in."""

from __future__ import annotations

from engine.accounts import passwords
from tests.web.conftest import PASSWORD
from tests.web.conftest import sign_in
from tests.web.conftest import user

NEW_PASSWORD = "Sakura-2026-kaigo"


def token_for(app, login: str, password: str = PASSWORD) -> str:
    return app.test_client().post("/api/token", json={"login": login, "password": password}).get_json()["token"]


def tasks_with(app, token: str) -> int:
    client = app.test_client(use_cookies=False)
    return client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(login_as, db_session, world):
    browser = login_as("alpha.center")
    wrong = browser.post(
        "/account/password",
        {"current_password": "nope", "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 422 and "現在のパスワードが違います" in wrong.get_data(as_text=True)
    weak = browser.post(
        "/account/password", {"current_password": PASSWORD, "new_password": "aaaaaaaaaaaa", "new_password_confirm": ""}
    )
    assert weak.status_code == 422 and "2種類以上" in weak.get_data(as_text=True)
    assert NEW_PASSWORD not in weak.get_data(as_text=True)  # a password is never written back into the page
    person = user(db_session, world["alpha.center"].login)
    assert passwords.matches(person.password_hash, PASSWORD) and person.session_epoch == 0


def test_a_change_keeps_this_session_and_ends_the_others_and_the_tokens(app, login_as, db_session, world):
    here, elsewhere = login_as("alpha.center"), login_as("alpha.center")
    token = token_for(app, world["alpha.center"].login)
    assert tasks_with(app, token) == 200
    changed = here.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert tasks_with(app, token) == 401
    assert sign_in(app.test_client(), world["alpha.center"].login, NEW_PASSWORD).status_code == 302
    assert sign_in(app.test_client(), world["alpha.center"].login, PASSWORD).status_code == 200


def test_signing_out_ends_every_session_and_token_of_the_person(app, login_as, world):
    one, two = login_as("alpha.office"), login_as("alpha.office")
    token = token_for(app, world["alpha.office"].login)
    assert one.post("/logout").status_code == 302
    assert two.get("/").status_code == 302
    assert tasks_with(app, token) == 401


def test_after_the_forced_change_the_person_works_normally(app, db_session, world):
    person = user(db_session, world["alpha.center"].login)
    person.must_change_password = True
    db_session.commit()
    client = app.test_client()
    sign_in(client, person.login)
    page = client.get("/account/password").get_data(as_text=True)
    assert "一時パスワードでログインしています" in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
            "csrf_token": token,
        },
    )
    assert done.status_code == 302
    assert client.get("/").status_code == 200
    assert user(db_session, person.login).must_change_password is False
