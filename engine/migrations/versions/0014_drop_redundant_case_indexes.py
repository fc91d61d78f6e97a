"""Drop the case_id indexes that repeat the first column of a unique constraint

Revision ID: 0014_drop_redundant_case_indexes
Revises: 0013_one_generation_per_row
Create Date: 2026-12-04 00:30:00

schedule_item, timer, risk and document each had an index on case_id alone and a unique constraint that starts with
case_id ((case_id, key), (case_id, kind, key), (case_id, form, version)): every lookup by case, and the foreign-key
checks when a case row changes, use the unique one. The extra index only cost writes: on PostgreSQL an UPDATE that
is not HOT (the schedule refresh changes status and due_date, which ix_schedule_item_board holds) inserts a new entry
into every index of the table, and every INSERT into each (issue 14).
"""

from __future__ import annotations

from alembic import op

revision = "0014_drop_redundant_case_indexes"
down_revision = "0013_one_generation_per_row"
branch_labels = None
depends_on = None

TABLES = ("schedule_item", "timer", "risk", "document")


def upgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_case_id", table_name=table)


def downgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_case_id", table, ["case_id"], unique=False)
