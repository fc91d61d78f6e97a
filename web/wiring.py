"""What create_app wired, for the views: services, one runtime, the clock, and who is signed in."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from flask import current_app
from flask import g

from engine import clock as clock_module
from engine.clock import Clock
from engine.execution.runtime import Runtime
from engine.services import Services

if TYPE_CHECKING:
    from web.auth import Staff


def services() -> Services:
    return current_app.extensions["kaigoflow"]


def runtime() -> Runtime:
    return current_app.extensions["kaigoflow_runtime"]


def clock() -> Clock:
    return current_app.extensions["kaigoflow_clock"]


def today() -> date:
    """Today in Japan, by the app's clock (tests fix it)."""
    return clock_module.today(clock())


def staff() -> Staff:
    """The signed-in staff member of this request (set by the blueprints' login checks)."""
    return g.staff
