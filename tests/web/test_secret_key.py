"""Finding 1 of the security issue: no session key in the source; a generated one per installation, or refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_login.utils import _create_identifier

from engine.config import Settings
from engine.operations.secret_key import SecretKeyError
from engine.services import Services
from tests.web.conftest import WEBLIB
from tests.web.conftest import made_app
from tests.web.conftest import user
from web.cli import main

OLD_FIXED_KEY = "dev-only-change-me"  # what web/__init__.py signed with when no key was set


def forged_cookie(secret: str, session: dict[str, object]) -> str:
    forger = Flask("forger")
    forger.secret_key = secret
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(session)


def keyless_services(database_url: str, instance_dir: Path) -> Services:
    return Services(Settings(database_url=database_url, processes_dir=WEBLIB, instance_dir=instance_dir), {}, {})


def test_a_cookie_signed_with_the_old_fixed_key_opens_nothing(database_url, clock, case, world, db_session, tmp_path):
    services = keyless_services(database_url, tmp_path / "instance")
    admin = user(db_session, world["alpha.center"].login)
    admin.is_admin = True
    db_session.commit()
    try:
        with made_app(services, clock, TESTING=True) as app:
            client = app.test_client()
            with app.test_request_context(environ_base=client.environ_base):
                identifier = _create_identifier()  # what session protection compares: the attacker can compute it
            session = {"_user_id": f"{admin.id}:{admin.session_epoch}", "_fresh": True, "_id": identifier}
            client.set_cookie("kaigoflow_session", forged_cookie(OLD_FIXED_KEY, session))
            for url in ("/admin/", "/", f"/cases/{case.id}", f"/cases/{case.id}/export.zip"):
                response = client.get(url)
                assert response.status_code == 302 and "/login" in response.headers["Location"], url
            # The same session signed with the installation's key is accepted: the forgery failed on the key alone.
            client.set_cookie("kaigoflow_session", forged_cookie(app.secret_key, session))
            assert client.get("/admin/").status_code == 200
    finally:
        services.engine.dispose()


def test_the_generated_key_is_private_to_its_owner_and_reused_on_every_start(database_url, clock, tmp_path):
    services = keyless_services(database_url, tmp_path / "instance")
    try:
        with made_app(services, clock, TESTING=True) as first:
            key_file = tmp_path / "instance" / "secret_key"
            assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
            assert len(first.secret_key.encode()) >= 32
            assert first.secret_key != OLD_FIXED_KEY
        with made_app(services, clock, TESTING=True) as second:
            assert second.secret_key == first.secret_key
    finally:
        services.engine.dispose()
    other = keyless_services(database_url, tmp_path / "other-installation")
    try:
        with made_app(other, clock, TESTING=True) as elsewhere:
            assert elsewhere.secret_key != first.secret_key
    finally:
        other.engine.dispose()


def test_a_key_shorter_than_32_bytes_is_refused_at_startup(database_url, clock, tmp_path, monkeypatch):
    services = Services(Settings(database_url=database_url, processes_dir=WEBLIB, secret_key="short"), {}, {})
    try:
        with pytest.raises(SecretKeyError, match="32バイト以上"):
            with made_app(services, clock, TESTING=True):
                pass
    finally:
        services.engine.dispose()
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("KAIGOFLOW_PROCESSES", str(WEBLIB))
    monkeypatch.setenv("KAIGOFLOW_SECRET_KEY", "x" * 31)
    result = CliRunner().invoke(main, ["export-case", "1", "--output", str(tmp_path / "x.zip")])
    assert result.exit_code != 0 and "KAIGOFLOW_SECRET_KEY は32バイト以上" in result.output
    assert not (tmp_path / "x.zip").exists()
