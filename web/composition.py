"""The engine's services with this product's form handlers and Python decisions, from the environment.

What `kaigoflow` (web/cli.py) and a WSGI server calling `create_app()` start from, kept apart from the command line
so that building the app does not import the commands.
"""

from __future__ import annotations

import handlers
from engine import Services
from engine import Settings


def build_services() -> Services:
    return Services(Settings.from_env(), handlers.form_handlers(), handlers.python_decisions())
