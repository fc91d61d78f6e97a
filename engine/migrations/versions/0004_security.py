"""security: the event log is append-only in the database; retention_purge for deleting expired cases

Revision ID: 0004_security
Revises: 0003_process_versions
Create Date: 2026-12-02 17:00:00

Triggers on `event` refuse every UPDATE and DELETE (and TRUNCATE on PostgreSQL), except the DELETE of the events of
a case listed in `retention_purge` while `kaigoflow purge-expired` deletes it (engine/store/append_only.py).
`app_user.session_epoch` is part of every session and API token: signing out raises it and revokes them all.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import DDL

from engine.store import append_only

revision = "0004_security"
down_revision = "0003_process_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_purge",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_retention_purge")),
    )
    for statement in append_only.statements(op.get_bind().dialect.name):
        op.execute(DDL(statement))
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
    for statement in append_only.statements(op.get_bind().dialect.name, drop=True):
        op.execute(DDL(statement))
    op.drop_table("retention_purge")
