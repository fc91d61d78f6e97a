"""case facts: who writes the plan (planner) apart from whether a center delegated it (delegated)

Revision ID: 0006_case_facts
Revises: 0005_schedules_and_risks
Create Date: 2026-12-03 12:30:00

Until now `delegated` meant two things: "a center delegated 介護予防支援 to an office" and "the office writes the plan".
care_case.planner ("center" | "office") takes the second meaning. Existing cases keep `delegated` as it was (nothing
is lost) and get the planner it implied: delegated -> office; a 要介護 case (居宅介護支援) with no center -> office;
otherwise the center.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_case_facts'
down_revision = '0005_schedules_and_risks'
branch_labels = None
depends_on = None

CARE_LEVELS = ("kaigo1", "kaigo2", "kaigo3", "kaigo4", "kaigo5")


def upgrade() -> None:
    with op.batch_alter_table('care_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planner', sa.String(length=8), server_default='center', nullable=False))
    case = sa.table(
        'care_case',
        sa.column('planner', sa.String),
        sa.column('delegated', sa.Boolean),
        sa.column('care_level', sa.String),
        sa.column('center_org_id', sa.Integer),
    )
    op.execute(case.update().where(case.c.delegated.is_(True)).values(planner='office'))
    op.execute(
        case.update()
        .where(case.c.care_level.in_(CARE_LEVELS), case.c.center_org_id.is_(None))
        .values(planner='office')
    )


def downgrade() -> None:
    # The old single flag said "the office writes the plan": an office-planned case was `delegated`.
    case = sa.table('care_case', sa.column('planner', sa.String), sa.column('delegated', sa.Boolean))
    op.execute(case.update().where(case.c.planner == 'office').values(delegated=True))
    with op.batch_alter_table('care_case', schema=None) as batch_op:
        batch_op.drop_column('planner')
