"""rendered PDFs and publish jobs: a document's 帳票 drawn once; publishing runs its scenarios in the worker

Revision ID: 0008_pdf_and_publish_jobs
Revises: 0007_staff_admin
Create Date: 2026-12-03 12:10:00

rendered_pdf keeps each document's last printed PDF with the hash of what it was made of (issue 14 goal 6);
publish_job is a municipality's publish request with the progress of its scenario run, executed by
`kaigoflow worker` while the owner's page polls it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_pdf_and_publish_jobs'
down_revision = '0007_staff_admin'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rendered_pdf',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('rendered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['care_case.id'], name=op.f('fk_rendered_pdf_case_id_care_case')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_rendered_pdf_document_id_document')),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_rendered_pdf'))
    )
    op.create_index(op.f('ix_rendered_pdf_case_id'), 'rendered_pdf', ['case_id'], unique=False)
    op.create_table('publish_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality', sa.String(length=64), nullable=False),
    sa.Column('draft_version', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('published_by', sa.String(length=100), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('current', sa.String(length=200), nullable=True),
    sa.Column('failures', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_publish_job_actor_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publish_job'))
    )
    op.create_index(op.f('ix_publish_job_municipality'), 'publish_job', ['municipality'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_publish_job_municipality'), table_name='publish_job')
    op.drop_table('publish_job')
    op.drop_index(op.f('ix_rendered_pdf_case_id'), table_name='rendered_pdf')
    op.drop_table('rendered_pdf')
