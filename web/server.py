"""Production serving: gunicorn embedded, so `kaigoflow serve` needs no separate configuration file.

gunicorn forks its workers and each one calls `make_app` for itself: every worker has its own database connection
pool and its own parsed library (read from the parse cache, engine/process_library/parsecache.py). With `threads` above
1 the workers are gthread workers; Flask-SQLAlchemy gives each thread its own session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class GunicornServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, make_app: Callable[[], Flask], **options: Any) -> None:
        self.make_app = make_app
        # No access log by default: the calendar feed's URL carries its token.
        self.options = {"graceful_timeout": 30, **options}
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn 24+ opens a control socket at one path in the home directory: a second server on the host
            # would take it over. Nothing here uses it.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Flask:
        return self.make_app()
