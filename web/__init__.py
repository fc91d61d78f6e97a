"""The Flask app factory: wires the engine's services into blueprints; no logic of its own."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from engine import Clock
from engine import Services
from engine import SystemClock
from engine import checked_base_url
from engine import checked_secret_key
from engine import installation_key


def create_app(
    services: Services | None = None,
    config: dict[str, Any] | None = None,
    clock: Clock | None = None,
) -> Flask:
    """The web app: defaults, then the environment (KAIGOFLOW_*), then `config` (tests)."""
    app = Flask(__name__)
    if services is None:
        from web.composition import build_services

        services = build_services()
    if config and "SECRET_KEY" in config:
        signing_key = checked_secret_key(config["SECRET_KEY"], "SECRET_KEY")
    else:
        instance_dir = services.settings.instance_dir or Path(app.instance_path)
        signing_key = installation_key(services.settings.secret_key, instance_dir)
    app.config.from_mapping(
        SECRET_KEY=signing_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="kaigoflow_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session: a long assessment is not lost
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        API_TOKEN_MAX_AGE=12 * 3600,
        INBOX_PER_PAGE=50,
        BASE_URL=services.settings.base_url,
        SHOW_DEMO_LOGINS=False,  # only `kaigoflow demo` lists the demo accounts and their password on /login
    )
    if os.environ.get("KAIGOFLOW_COOKIE_SECURE") in ("0", "1"):
        app.config["SESSION_COOKIE_SECURE"] = os.environ["KAIGOFLOW_COOKIE_SECURE"] == "1"
    if config:
        app.config.update(config)
    app.config["BASE_URL"] = checked_base_url(app.config["BASE_URL"])
    if "SESSION_COOKIE_SECURE" not in (config or {}) and "KAIGOFLOW_COOKIE_SECURE" not in os.environ:
        app.config["SESSION_COOKIE_SECURE"] = not (app.debug or app.testing)
    from web import inputsafe

    inputsafe.init_app(app)  # deep JSON, NaN and NUL characters are 400s, not 500s
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Japanese messages readable in the API's JSON
    app.extensions["kaigoflow"] = services
    app.extensions["kaigoflow_clock"] = clock or SystemClock()
    app.extensions["kaigoflow_runtime"] = services.runtime(app.extensions["kaigoflow_clock"])

    from web import account
    from web import admin
    from web import api
    from web import auth
    from web import calendar_feed
    from web import case_list
    from web import case_list_api
    from web import case_opening
    from web import case_page
    from web import display
    from web import documents
    from web import errors
    from web import export_jobs
    from web import extensions
    from web import formfields
    from web import inbox
    from web import ops
    from web import processes
    from web import reports
    from web import schedules
    from web import schedules_api
    from web import security_headers
    from web import staff_admin
    from web import tasks
    from web import template_cache

    extensions.init_app(app, services.settings.database_url)
    display.init_app(app)
    app.jinja_env.globals.update(formfields.template_globals())
    app.jinja_env.bytecode_cache = template_cache.COMPILED_TEMPLATES  # compiled once per process, not per app
    errors.init_app(app)
    ops.init_app(app)  # before the blueprints: its clock starts before their sign-in checks
    auth.init_app(app)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(case_page.bp)
    app.register_blueprint(case_opening.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(export_jobs.bp)
    app.register_blueprint(case_list.bp)
    case_list_api.init_app(app)
    app.register_blueprint(admin.bp)
    app.register_blueprint(staff_admin.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(processes.bp)
    api.init_app(app)
    schedules.init_app(app)
    schedules_api.init_app(app)
    reports.init_app(app)
    calendar_feed.init_app(app)
    app.after_request(security_headers.add_security_headers)
    from web import setup_check

    setup_check.init_app(app)
    return app
