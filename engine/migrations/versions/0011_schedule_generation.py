"""care_case.schedule_generation, changed by triggers whenever a schedule row, risk or duty timer is written

Revision ID: 0011_schedule_generation
Revises: 0010_proxy_receipt_mandate
Create Date: 2026-12-03 19:00:00

The schedule refresh keeps a case's rows in memory between requests while this value is unchanged
(engine/store/schedule_generation.py, engine/scheduling/snapshot.py). Existing cases start without one: their first
refresh reads their rows from the database, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import DDL

from engine.store import schedule_generation

revision = "0011_schedule_generation"
down_revision = "0010_proxy_receipt_mandate"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("care_case") as batch:
        batch.add_column(sa.Column("schedule_generation", sa.BigInteger(), nullable=True))
    for statement in schedule_generation.statements(op.get_bind().dialect.name):
        op.execute(DDL(statement))


def downgrade() -> None:
    for statement in schedule_generation.statements(op.get_bind().dialect.name, drop=True):
        op.execute(DDL(statement))
    with op.batch_alter_table("care_case") as batch:
        batch.drop_column("schedule_generation")
