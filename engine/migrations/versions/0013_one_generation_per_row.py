"""PostgreSQL's schedule-generation triggers give a case one new generation per written row, not two

Revision ID: 0013_one_generation_per_row
Revises: 0012_case_first_generation
Create Date: 2026-12-03 23:10:00

The trigger functions 0011 made bumped the case of the old row and then the case of the new row: an UPDATE that keeps
its case (all of the schedule refresh's) wrote the case's row twice. The generation is random, so one new value says
as much as two (engine/store/schedule_generation.py). SQLite's triggers are unchanged (SQLite has no such function:
its triggers are rows of their own, and it does not pay the second write's new row version).
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import DDL

from engine.store import schedule_generation

revision = "0013_one_generation_per_row"
down_revision = "0012_case_first_generation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in schedule_generation.PG_FUNCTIONS:
            op.execute(DDL(statement))


def downgrade() -> None:
    """Nothing to undo: the functions give the same generations' meaning; the older ones only wrote the row twice."""
