"""process versions: published, immutable bundles of a municipality's files, and one draft per municipality

Revision ID: 0003_process_versions
Revises: 0002
Create Date: 2026-12-02 16:30:00

`process_version` keeps every published version (number, who, when, why, files, content hash); new process
instances start on a municipality's newest one. `process_draft` holds the files a process owner is editing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003_process_versions'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('process_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('bundle_hash', sa.String(length=64), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('published_by', sa.String(length=100), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['published_by_id'], ['app_user.id'], name=op.f('fk_process_version_published_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_version')),
    sa.UniqueConstraint('municipality', 'number', name='uq_process_version_muni_number')
    )
    op.create_table('process_draft',
    sa.Column('municipality', sa.String(length=64), nullable=False),
    sa.Column('base_number', sa.Integer(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('municipality', name=op.f('pk_process_draft'))
    )


def downgrade() -> None:
    op.drop_table('process_draft')
    op.drop_table('process_version')
