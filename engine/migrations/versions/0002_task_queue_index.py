"""task queue index: the inbox's lists and counts from one index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:00:00

(organisation_id, state, claimed_by_id, due_date) serves an organisation's unclaimed tasks
(claimed_by_id IS NULL) and one person's tasks (claimed_by_id = :me) in due-date order, and counts them
without reading the table; bench/inbox_bench.py measures it on 1,000,000 task rows.
"""

from __future__ import annotations

from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_task_queue', 'task', ['organisation_id', 'state', 'claimed_by_id', 'due_date'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_task_queue', table_name='task')
