"""organisation.proxy_receipt_mandate_filed_on: the day an office filed its 代理受領委任状 (豊川 001:8-22)

Revision ID: 0010_proxy_receipt_mandate
Revises: 0009_export_job
Create Date: 2026-12-03 16:45:00

A 居宅介護支援事業所 files the 代理受領委任状 once, with its 委託契約; it was confirmed per case in the 委託連絡票
until now. Existing offices start without a date: the municipal administrator records it on the organisation page.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_proxy_receipt_mandate"
down_revision = "0009_export_job"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("proxy_receipt_mandate_filed_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("proxy_receipt_mandate_filed_on")
