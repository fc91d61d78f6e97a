"""Time as the engine sees it: an injectable clock, and the one place SpiffWorkflow's timers are pointed at it.

SpiffWorkflow's timer events call `datetime.now(timezone.utc)` directly. Scenarios and tests move time, so the
engine installs a `datetime` subclass in Spiff's timer module whose `now()` asks the clock that is current in this
context (a context variable, so threads and requests with different clocks do not interfere).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from typing import Protocol

from engine.japanese_dates import JST as JST  # re-exported: the engine reads Japan time from its clock


class Clock(Protocol):
    """Anything that can tell the current time (aware, UTC or JST)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to: for tests, scenarios and benchmarks."""

    def __init__(self, start: datetime | date) -> None:
        self._now = to_datetime(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime | date) -> None:
        self._now = to_datetime(moment)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def to_datetime(moment: datetime | date) -> datetime:
    """Turn a date (midnight, Japan time) or a naive datetime (Japan time) into an aware datetime."""
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=JST)
    return datetime(moment.year, moment.month, moment.day, tzinfo=JST)


def today(clock: Clock) -> date:
    """The calendar date in Japan: every due date in the manuals is a Japanese calendar date."""
    return clock.now().astimezone(JST).date()


_SYSTEM_CLOCK = SystemClock()
_current: contextvars.ContextVar[Clock] = contextvars.ContextVar("kaigoflow_clock", default=_SYSTEM_CLOCK)


def current() -> Clock:
    return _current.get()


@contextlib.contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Make `clock` the one Spiff's timers read for the duration of the block."""
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)


class _SpiffDatetime(datetime):
    """Stands in for `datetime` inside Spiff's timer module; only `now` differs."""

    @classmethod
    # override: datetime.now returns the subclass; this returns the clock's plain datetime, which is all Spiff's
    # timer arithmetic needs.
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        moment = _current.get().now()
        return moment.astimezone(tz) if tz else moment.astimezone(JST).replace(tzinfo=None)


def install_spiff_clock() -> None:
    """Point SpiffWorkflow's timer events at the current context's clock (idempotent)."""
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    timer.datetime = _SpiffDatetime
