"""staff administration: organisations' address and closing, staff's 職種, 介護支援専門員番号, municipal administrator
and forced password change; worker heartbeats for /healthz

Revision ID: 0007_staff_admin
Revises: 0006_case_facts
Create Date: 2026-12-03 12:10:00

Organisations and staff are now created by administrators (engine/accounts/staff.py) instead of only by `kaigoflow
demo`. `worker_heartbeat` keeps each worker's last tick so a health check can tell whether timers are being fired.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_staff_admin"
down_revision = "0006_case_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("active", sa.Boolean(), server_default="1", nullable=False))
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_role", sa.String(length=32), server_default="staff", nullable=False))
        batch_op.add_column(sa.Column("care_manager_number", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("is_municipal_admin", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default="0", nullable=False))
    op.create_table(
        "worker_heartbeat",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_tick_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeat")),
    )
    with op.batch_alter_table("worker_heartbeat", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_worker_heartbeat_last_tick_at"), ["last_tick_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("worker_heartbeat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker_heartbeat_last_tick_at"))
    op.drop_table("worker_heartbeat")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("is_municipal_admin")
        batch_op.drop_column("care_manager_number")
        batch_op.drop_column("job_role")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_column("address")
