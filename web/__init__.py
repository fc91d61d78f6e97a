"""The Flask app factory: wires the engine's services into blueprints; no logic of its own."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import render_template

from engine.services import Services


def create_app(services: Services | None = None, config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    if services is None:
        from web.cli import build_services

        services = build_services()
    app.config.from_mapping(SECRET_KEY=services.settings.secret_key or "dev-only-change-me")
    if config:
        app.config.update(config)
    app.extensions["kaigoflow"] = services

    @app.get("/")
    def index() -> str:
        library = services.library
        municipalities = [
            (m, library.flows(m.key)) for m in sorted(library.municipalities().values(), key=lambda m: m.key)
        ]
        return render_template("index.html", municipalities=municipalities)

    return app
