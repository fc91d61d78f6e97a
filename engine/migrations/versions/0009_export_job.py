"""export jobs: a case's record (運営指導 用 ZIP) built by the worker while the case page shows its progress

Revision ID: 0009_export_job
Revises: 0008_pdf_and_publish_jobs
Create Date: 2026-12-03 15:30:00

export_job holds one person's request for one case's record, its progress (documents done of total) and, when
done, the ZIP itself until the case is purged (engine/store/retention.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_export_job"
down_revision = "0008_pdf_and_publish_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("archive", sa.LargeBinary(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["app_user.id"], name=op.f("fk_export_job_actor_id_app_user")),
        sa.ForeignKeyConstraint(["case_id"], ["care_case.id"], name=op.f("fk_export_job_case_id_care_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_job")),
    )
    op.create_index(op.f("ix_export_job_case_id"), "export_job", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_export_job_case_id"), table_name="export_job")
    op.drop_table("export_job")
