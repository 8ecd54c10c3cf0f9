"""talk-to-staff threads that close when idle and hold one undecided text; private chats known

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private_chat_at', storage.types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('staff_threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_activity_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pending_text', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff_threads', schema=None) as batch_op:
        batch_op.drop_column('pending_text')
        batch_op.drop_column('last_activity_at')

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_column('private_chat_at')
