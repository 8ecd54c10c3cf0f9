"""the guardian of a child applied for

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Both hold personal data about a child's guardian (PIPL Art. 31): who consented for the child.
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guardian_name', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('guardian_relationship', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('guardian_relationship')
        batch_op.drop_column('guardian_name')
