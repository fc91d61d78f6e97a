"""Sessions and passwords beyond test_auth.py: the hash algorithm, lockout through the API, the session cookie
rotated at sign-in and dead after sign-out (copies included), CSRF on every state-changing route, and the
security headers on every page that can carry personal data."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select
from werkzeug.security import check_password_hash

from engine.store.models import Event
from engine.store.models import User
from tests.web.conftest import PASSWORD
from tests.web.conftest import sign_in
from tests.web.conftest import user
from tests.web.test_access_matrix import ADMIN
from tests.web.test_access_matrix import EXPORT_JOB
from tests.web.test_access_matrix import ITEM
from tests.web.test_access_matrix import OWNER
from tests.web.test_access_matrix import ROUTES
from tests.web.test_access_matrix import STAFF
from tests.web.test_access_matrix import TOKEN
from tests.web.test_access_matrix import ids  # noqa: F401 - the fixture, shared
from tests.web.test_access_matrix import requests_for
from tests.web.test_access_matrix import snapshot
from web import demo
from web.auth import WRONG

COOKIE = "kaigoflow_session"


def test_passwords_are_stored_as_salted_scrypt_hashes(web_services, db_session):
    demo.seed(db_session, web_services.library)
    hashes = db_session.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("scrypt:") for h in hashes)
    for stored in hashes:
        method, salt, digest = stored.split("$")
        assert int(method.split(":")[1]) >= 2**15 and len(salt) >= 16 and len(digest) == 128  # N, salt, 64 bytes
    assert all(demo.DEMO_PASSWORD not in h and check_password_hash(h, demo.DEMO_PASSWORD) for h in hashes)


def test_repeated_failures_through_the_api_lock_the_account_for_pages_too(app, world, db_session):
    login = world["alpha.center"].login
    client = app.test_client()
    for _ in range(4):
        assert client.post("/api/token", json={"login": login, "password": "wrong"}).status_code == 401
    fifth = client.post("/api/token", json={"login": login, "password": "wrong"})
    assert fifth.status_code == 401 and fifth.get_json()["message"] == WRONG
    right = client.post("/api/token", json={"login": login, "password": PASSWORD})
    assert right.status_code == 401 and right.get_json()["message"] == WRONG
    page = sign_in(app.test_client(), login)
    assert page.status_code == 200 and WRONG in page.get_data(as_text=True)
    kinds = db_session.scalars(select(Event.kind).where(Event.actor_id == world["alpha.center"].user_id)).all()
    assert kinds.count("account_locked") == 1 and kinds.count("login_failed") == 7  # 5 wrong, then 2 while locked
    assert user(db_session, login).locked_until is not None


def cookie(client) -> str | None:
    found = client.get_cookie(COOKIE)
    return found.value if found else None


def test_the_session_cookie_is_rotated_at_sign_in_and_the_old_one_is_worthless(app, world):
    client = app.test_client()
    client.get("/login")
    before = cookie(client)
    assert before  # the sign-in form's CSRF token lives in the session
    sign_in(client, world["alpha.center"].login)
    after = cookie(client)
    assert after and after != before
    replay = app.test_client()
    replay.set_cookie(COOKIE, before)
    assert replay.get("/").status_code == 302  # the pre-sign-in cookie signs nobody in


def test_signing_out_kills_every_copy_of_the_session_and_every_api_token(app, world, db_session):
    client = app.test_client()
    sign_in(client, world["alpha.center"].login)
    stolen = cookie(client)
    other_device = app.test_client()
    sign_in(other_device, world["alpha.center"].login)
    token = app.test_client().post("/api/token", json={"login": world["alpha.center"].login, "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
    assert app.test_client(use_cookies=False).get("/api/tasks", headers=bearer).status_code == 200
    copy = app.test_client()
    copy.set_cookie(COOKIE, stolen)
    assert copy.get("/").status_code == 200  # a copy works while the session lives ...
    page = client.get("/").get_data(as_text=True)
    token_value = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/logout", data={"csrf_token": token_value}).status_code == 302
    copy = app.test_client()
    copy.set_cookie(COOKIE, stolen)
    assert copy.get("/").status_code == 302  # ... and not after sign-out
    assert other_device.get("/").status_code == 302  # sign-out ends the user's sessions everywhere
    assert app.test_client(use_cookies=False).get("/api/tasks", headers=bearer).status_code == 401
    assert sign_in(app.test_client(), world["alpha.center"].login).status_code == 302  # signing in again works


def test_every_state_changing_route_refuses_a_request_without_the_csrf_token(app, login_as, ids, db_session):  # noqa: F811
    browser = login_as("alpha.center")
    before = snapshot(db_session)
    events = db_session.scalar(select(func.count()).select_from(Event))
    posts = [(e, p) for e, m, p in requests_for(app, tuple(set(ROUTES.values())), ids) if m == "POST"]
    assert {e for e, _ in posts} >= {"tasks.submit", "tasks.claim", "cases.start_flow", "api.complete", "auth.logout"}
    for endpoint, path in posts:
        if endpoint == "api.token":
            continue  # not a session route: JSON only (a cross-site form cannot send it) and answers a password
        if path.startswith("/api/"):
            response = browser.client.post(path, json={"action": "complete"})
        else:
            response = browser.client.post(path, data={"action": "complete", "process_key": "new_case"})
        assert response.status_code == 400, f"{endpoint}: {response.status_code}"
        assert "有効期限が切れたか" in response.get_data(as_text=True), endpoint
    assert snapshot(db_session) == before
    assert db_session.scalar(select(func.count()).select_from(Event)) == events
    assert browser.get("/").status_code == 200  # still signed in: logout without the token did nothing


def test_every_page_and_answer_carries_the_security_headers(app, login_as, ids):  # noqa: F811
    browser = login_as("alpha.center")
    for endpoint, method, path in requests_for(app, tuple(set(ROUTES.values())), ids):
        if method != "GET":
            continue
        with browser.get(path) as response:
            # /login: 302, signed in. Other users' kinds of page (and exports asked for by others) answer this center
            # worker 404, headers and all.
            expected = (200, 302) if ROUTES[endpoint] not in (ADMIN, OWNER, ITEM, TOKEN, STAFF, EXPORT_JOB) else (404,)
            if endpoint == "ops.healthz":
                expected = (503,)  # a test database has no migration stamp and no worker (tests/web/test_ops.py)
            assert response.status_code in expected, f"{endpoint}: {response.status_code}"
            headers = response.headers
            csp = headers.get("Content-Security-Policy", "")
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
            assert headers["X-Content-Type-Options"] == "nosniff", endpoint
            assert headers["X-Frame-Options"] == "DENY", endpoint
            assert headers["Referrer-Policy"] == "same-origin", endpoint
            if endpoint != "static":
                assert headers["Cache-Control"] == "no-store", f"{endpoint} may be cached with personal data"
