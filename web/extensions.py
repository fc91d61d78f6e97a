"""The Flask extensions, created unbound here and bound to an app in create_app (no import-time app)."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event

from engine.store.db import engine_options
from engine.store.db import sqlite_pragmas
from engine.store.models import Base

db = SQLAlchemy(metadata=Base.metadata, session_options={"expire_on_commit": False})
"""`db.session` is a plain SQLAlchemy session on the engine's own metadata: engine functions take it as is.

`metadata=Base.metadata` rather than `model_class=Base`: Flask-SQLAlchemy 3.1 rebuilds a DeclarativeBase subclass
from its __dict__, which SQLAlchemy 2.1 refuses when the base has a type_annotation_map (engine.store.models.Base does).
The web defines no models of its own, so only the shared metadata matters.
"""

csrf = CSRFProtect()
login_manager = LoginManager()


def init_app(app: Flask, database_url: str) -> None:
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", database_url)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(database_url))
    db.init_app(app)
    if database_url.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", sqlite_pragmas)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "ログインしてください"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
