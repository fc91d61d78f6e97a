"""Start, claim, complete and fire: each mutation is one transaction with an optimistic version check.

Every mutation follows the same path: load the instance, check the task is still ready and the caller may do it,
run the engine, write the state `WHERE version = :expected`, then update the task projection, documents, timers
and events. A lost race raises ConflictError and the transaction is rolled back: nothing half-done is kept.
"""

from __future__ import annotations

from engine.execution.instances import current_data as current_data
from engine.execution.tasks import Completion as Completion
from engine.execution.tasks import TaskActions
from engine.execution.timers import TimerFiring
from engine.execution.transactions import SYSTEM as SYSTEM
from engine.execution.transactions import Actor as Actor
from engine.execution.transactions import LoadedInstance as LoadedInstance


class Runtime(TaskActions, TimerFiring):
    """The engine's one entry point for changing cases; knows nothing of the web."""
