"""The services, runtime and clock create_app wired, for the views (the signed-in staff: web/signed_in.py)."""

from __future__ import annotations

from datetime import date

from flask import current_app

from engine import Clock
from engine import Runtime
from engine import Services
from engine import today as clock_today


def services() -> Services:
    return current_app.extensions["kaigoflow"]


def runtime() -> Runtime:
    return current_app.extensions["kaigoflow_runtime"]


def clock() -> Clock:
    return current_app.extensions["kaigoflow_clock"]


def today() -> date:
    """Today in Japan, by the app's clock (tests fix it)."""
    return clock_today(clock())
