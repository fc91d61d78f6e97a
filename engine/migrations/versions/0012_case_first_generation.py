"""every case has a schedule generation: the ones made before 0012 are given one

Revision ID: 0012_case_first_generation
Revises: 0011_schedule_generation
Create Date: 2026-12-03 22:50:00

A case none of whose schedule rows, risks or duty timers was ever written (one still in intake or assessment) had
no generation, so the refresh never trusted its kept copy and read everything on each completion. New cases get one
when made (engine/store/schedule_generation.py: first_generation); this gives one to each case made before.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from engine.store import schedule_generation

revision = "0012_case_first_generation"
down_revision = "0011_schedule_generation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(text(schedule_generation.FILL_MISSING[op.get_bind().dialect.name]))


def downgrade() -> None:
    """Nothing to undo: a generation is only ever compared with itself."""
