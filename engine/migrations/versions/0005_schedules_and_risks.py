"""schedules and risks: a case's dated duties, compliance risks, calendar feed tokens

Revision ID: 0005_schedules_and_risks
Revises: 0004_security
Create Date: 2026-12-02 16:40:00

schedule_item holds each case's dated duties (DOMAIN.md §11) so the boards read a table, not workflows;
risk holds the compliance risks of DOMAIN.md §12 with when they were raised and cleared; calendar_token
holds the hashes of the secret iCalendar feed URLs.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005_schedules_and_risks'
down_revision = '0004_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('schedule_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('duty', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=True),
    sa.Column('window_start', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('rule', sa.String(length=300), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['care_case.id'], name=op.f('fk_schedule_item_case_id_care_case')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_schedule_item_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_schedule_item_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_item')),
    sa.UniqueConstraint('case_id', 'key', name='uq_schedule_item_case_key')
    )
    with op.batch_alter_table('schedule_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_item_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_schedule_item_board', ['organisation_id', 'status', 'due_date'], unique=False)

    op.create_table('risk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('duty_key', sa.String(length=120), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('rule', sa.String(length=300), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['care_case.id'], name=op.f('fk_risk_case_id_care_case')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_risk_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_risk_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk')),
    sa.UniqueConstraint('case_id', 'key', name='uq_risk_case_key')
    )
    with op.batch_alter_table('risk', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_risk_open', ['organisation_id', 'cleared_at'], unique=False)

    op.create_table('calendar_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_calendar_token_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_token_token_hash'))
    )
    with op.batch_alter_table('calendar_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_token_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calendar_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_token_user_id'))
    op.drop_table('calendar_token')
    with op.batch_alter_table('risk', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_open')
        batch_op.drop_index(batch_op.f('ix_risk_case_id'))
    op.drop_table('risk')
    with op.batch_alter_table('schedule_item', schema=None) as batch_op:
        batch_op.drop_index('ix_schedule_item_board')
        batch_op.drop_index(batch_op.f('ix_schedule_item_case_id'))
    op.drop_table('schedule_item')
