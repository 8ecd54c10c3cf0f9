"""outbox: at-least-once delivery (a possible repeat is flagged, the last attempt is timed)

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch rebuild): the outbox can hold a broadcast's 100,000 rows.
    op.add_column(
        'outbox',
        sa.Column('maybe_delivered', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        'outbox',
        sa.Column('attempted_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('attempted_at')
        batch_op.drop_column('maybe_delivered')
