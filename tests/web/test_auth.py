"""Sign-in and sign-out, lockout, session fixation, CSRF, cookie flags and security headers."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select

from engine.store.models import Event
from engine.store.models import Task
from tests.web.conftest import CSRF
from tests.web.conftest import PASSWORD
from tests.web.conftest import made_app
from tests.web.conftest import ready_task
from tests.web.conftest import sign_in
from tests.web.conftest import user
from web import demo
from web.auth import WRONG


def test_pages_send_strangers_to_the_sign_in_page(app):
    response = app.test_client().get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_start_page_lists_the_demo_logins_and_password_when_started_as_the_demo(app, web_services, db_session):
    demo.seed(db_session, web_services.library)
    app.config["SHOW_DEMO_LOGINS"] = True  # what `kaigoflow demo` sets
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "デモ用のログイン" in page
    assert demo.DEMO_PASSWORD in page
    assert "alpha-center-1-1" in page and "beta-office-2-1" in page
    assert "テスト市A 第一地域包括支援センター" in page


def test_start_page_shows_no_demo_section_without_demo_staff(app):
    app.config["SHOW_DEMO_LOGINS"] = True
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "デモ用のログイン" not in page


def test_a_server_not_started_as_the_demo_never_lists_accounts_or_the_demo_password(app, web_services, db_session):
    demo.seed(db_session, web_services.library)  # demo accounts exist, e.g. left over in a real database
    assert app.config["SHOW_DEMO_LOGINS"] is False
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "デモ用のログイン" not in page and demo.DEMO_PASSWORD not in page
    assert "alpha-center-1-1" not in page


def test_sign_in_then_out(app, world):
    client = app.test_client()
    response = sign_in(client, world["alpha.center"].login)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    inbox = client.get("/").get_data(as_text=True)
    assert "地域包括支援センター職員1" in inbox and "テスト市A 第一地域包括支援センター" in inbox
    token = CSRF.search(inbox).group(1)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # signed out: back to the sign-in page


def test_wrong_password_is_refused_in_japanese(app, world):
    client = app.test_client()
    response = sign_in(client, world["alpha.center"].login, "wrong")
    assert response.status_code == 200
    assert "ログインIDまたはパスワードが違います" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_login_gets_the_same_answer(app, world):
    response = sign_in(app.test_client(), "nobody", "wrong")
    assert "ログインIDまたはパスワードが違います" in response.get_data(as_text=True)


def test_five_failures_lock_the_account_for_fifteen_minutes(app, world, db_session, clock):
    login = world["alpha.center"].login
    client = app.test_client()
    for _ in range(4):
        assert "パスワードが違います" in sign_in(client, login, "wrong").get_data(as_text=True)
    assert user(db_session, login).failed_logins == 4
    fifth = sign_in(client, login, "wrong").get_data(as_text=True)
    assert WRONG in fifth  # the same answer as for any refusal: nobody learns which logins exist
    locked = user(db_session, login)
    assert locked.locked_until == clock.now() + timedelta(minutes=15)
    # While locked even the right password is refused.
    refused = sign_in(client, login, PASSWORD)
    assert refused.status_code == 200 and WRONG in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302
    kinds = db_session.scalars(select(Event.kind).where(Event.actor_id == locked.id)).all()
    assert kinds.count("account_locked") == 1
    clock.advance(timedelta(minutes=16))
    assert sign_in(client, login, PASSWORD).status_code == 302
    assert user(db_session, login).failed_logins == 0


def test_a_success_resets_the_failure_count(app, world, db_session):
    login = world["alpha.center"].login
    client = app.test_client()
    for _ in range(3):
        sign_in(client, login, "wrong")
    assert sign_in(client, login, PASSWORD).status_code == 302
    assert user(db_session, login).failed_logins == 0


def test_sign_in_starts_a_new_session(app, world):
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, world["alpha.center"].login)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{world['alpha.center'].user_id}:0"  # user id and session epoch


def test_next_must_stay_on_this_site(app, world):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    response = client.post(
        "/login",
        data={
            "login": world["alpha.center"].login,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
    )
    assert response.headers["Location"] == "/"


def test_a_form_without_csrf_token_is_rejected(app, world, case, db_session):
    client = app.test_client()
    response = client.post("/login", data={"login": world["alpha.center"].login, "password": PASSWORD})
    assert response.status_code == 400
    assert "画面の有効期限が切れたか" in response.get_data(as_text=True)
    sign_in(client, world["alpha.center"].login)
    task = ready_task(db_session, case.id, "intake")
    response = client.post(f"/tasks/{task.id}/claim", data={})
    assert response.status_code == 400
    db_session.expire_all()
    assert db_session.get(Task, task.id).claimed_by_id is None
    forged = client.post(f"/tasks/{task.id}/claim", data={"csrf_token": "forged"})
    assert forged.status_code == 400


def test_security_headers_on_every_page(app):
    response = app.test_client().get("/login")
    headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_lax_and_secure_outside_tests(web_services, world, clock):
    with made_app(web_services, clock, TESTING=False) as app:
        response = app.test_client().get("/login")
        cookie = response.headers["Set-Cookie"]  # the CSRF token put the session in a cookie
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    with made_app(web_services, clock, TESTING=True) as testing:
        assert "Secure" not in testing.test_client().get("/login").headers["Set-Cookie"]


def test_sign_in_and_failures_are_recorded(app, world, db_session):
    client = app.test_client()
    sign_in(client, world["alpha.office"].login, "wrong")
    sign_in(client, world["alpha.office"].login)
    kinds = db_session.scalars(
        select(Event.kind).where(Event.actor_id == world["alpha.office"].user_id).order_by(Event.id)
    ).all()
    assert kinds == ["login_failed", "login"]
    assert db_session.scalar(select(func.count()).select_from(Event).where(Event.address.is_(None))) == 0


OPEN_REDIRECTS = [
    "//evil.example/",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "/%252F/evil.example",
    "/\r\n/evil.example",
    "/%0d%0a/evil.example",
    "/\n/evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    " //evil.example",
    "/ /evil.example",
]


def test_next_after_sign_in_is_a_local_path_or_the_inbox(app, world):
    for payload in OPEN_REDIRECTS:
        client = app.test_client()
        token = CSRF.search(client.get("/login", query_string={"next": payload}).get_data(as_text=True)).group(1)
        response = client.post(
            "/login",
            query_string={"next": payload},
            data={"login": world["alpha.center"].login, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302, payload
        assert response.headers["Location"] == "/", payload
    client = app.test_client()
    sign_in_page = client.get("/login", query_string={"next": "/cases/new?x=1"})
    token = CSRF.search(sign_in_page.get_data(as_text=True)).group(1)
    response = client.post(
        "/login",
        data={
            "login": world["alpha.center"].login,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/cases/new?x=1",
        },
    )
    assert response.headers["Location"] == "/cases/new?x=1"  # a real local path is kept


def test_next_on_claim_and_release_is_a_local_path_or_the_task(app, login_as, case, db_session):
    browser = login_as("alpha.center")
    task = ready_task(db_session, case.id, "intake")
    for route in ("claim", "release"):
        for payload in OPEN_REDIRECTS:
            response = browser.post(f"/tasks/{task.id}/{route}", data={"next": payload})
            assert response.status_code == 302, (route, payload)
            assert response.headers["Location"] == "/", (route, payload)
    response = browser.post(f"/tasks/{task.id}/claim", data={"next": "/?section=mine"})
    assert response.headers["Location"] == "/?section=mine"


def test_forty_parallel_wrong_passwords_check_exactly_five_before_the_lock(app, world, db_session):
    login = world["alpha.center"].login
    racers = 40
    barrier = threading.Barrier(racers)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def attempt() -> None:
        client = app.test_client(use_cookies=False)
        barrier.wait()
        response = client.post("/api/token", json={"login": login, "password": "wrong"})
        with lock:
            answers.append((response.status_code, response.get_json()["message"]))

    threads = [threading.Thread(target=attempt) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert answers == [(401, WRONG)] * racers
    db_session.expire_all()
    failures = db_session.scalars(
        select(Event.detail).where(Event.actor_id == world["alpha.center"].user_id, Event.kind == "login_failed")
    ).all()
    checked = [d for d in failures if d["reason"] == "password"]
    assert len(checked) == 5 and sorted(d["failures"] for d in checked) == [1, 2, 3, 4, 5]
    assert len(failures) == racers
    locks = select(func.count()).where(Event.kind == "account_locked", Event.actor_id == world["alpha.center"].user_id)
    assert db_session.scalar(locks) == 1
    assert user(db_session, login).locked_until is not None


def test_an_unknown_login_gets_the_same_answer_as_a_locked_one(app, world, db_session):
    login = world["alpha.center"].login
    for _ in range(5):
        sign_in(app.test_client(), login, "wrong")
    locked_page = sign_in(app.test_client(), login, PASSWORD).get_data(as_text=True)
    unknown_page = sign_in(app.test_client(), "nobody-at-all", PASSWORD).get_data(as_text=True)
    wrong_page = sign_in(app.test_client(), world["alpha.office"].login, "wrong").get_data(as_text=True)
    message = re.compile(r'role="alert"[^>]*>([^<]+)<')
    assert message.findall(locked_page) == message.findall(unknown_page) == message.findall(wrong_page) != []
    app_client = app.test_client()
    locked = app_client.post("/api/token", json={"login": login, "password": PASSWORD})
    unknown = app_client.post("/api/token", json={"login": "nobody-at-all", "password": PASSWORD})
    assert (locked.status_code, locked.get_json()) == (unknown.status_code, unknown.get_json())


def test_only_the_demo_command_turns_the_demo_logins_on(web_services, monkeypatch):
    from click.testing import CliRunner
    from flask import Flask

    from web import cli as web_cli
    from web.demo import DemoWorker
    from web.server import GunicornServer

    started: dict[str, bool] = {}
    monkeypatch.setattr(web_cli, "build_services", lambda: web_services)
    monkeypatch.setattr(Flask, "run", lambda app, **_: started.update(demo=app.config["SHOW_DEMO_LOGINS"]))
    # gunicorn (serve without --dev, and demo) builds its app in each worker: build it here instead of serving.
    monkeypatch.setattr(
        GunicornServer, "run", lambda server: started.update(demo=server.make_app().config["SHOW_DEMO_LOGINS"])
    )
    monkeypatch.setattr(DemoWorker, "start", lambda worker: None)  # no stories told in the background here
    monkeypatch.setenv("KAIGOFLOW_SECRET_KEY", "test-secret-key-of-at-least-32-bytes")
    monkeypatch.setattr(
        "engine.operations.oplog.configure", lambda: None
    )  # no log handler left behind for later CLI tests
    runner = CliRunner()
    assert runner.invoke(web_cli.main, ["serve"]).exit_code == 0
    assert started == {"demo": False}
    assert runner.invoke(web_cli.main, ["demo"]).exit_code == 0
    assert started == {"demo": True}
