"""the statutory clock of department tasks

Revision ID: 0009
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('department_tasks') as batch:
        batch.add_column(sa.Column('clock_started_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('paused_since', sa.Date(), nullable=True))
        batch.add_column(
            sa.Column('paused_days', sa.Integer(), server_default='0', nullable=False)
        )
        batch.add_column(
            sa.Column('extended', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column('visited_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('notice_started_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('department_tasks') as batch:
        batch.drop_column('notice_started_on')
        batch.drop_column('visited_on')
        batch.drop_column('extended')
        batch.drop_column('paused_days')
        batch.drop_column('paused_since')
        batch.drop_column('clock_started_on')
