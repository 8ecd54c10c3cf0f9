"""retention: outbox texts purged, closed applications anonymised

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # When a delivered message's text was blanked (the row itself goes later).
    op.add_column(
        'outbox', sa.Column('purged_at', storage.types.UTCDateTime(timezone=True), nullable=True)
    )
    # When a closed application past its archive period lost everything that names a person.
    op.add_column(
        'applications',
        sa.Column('anonymised_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    )
    # Retention and /forget look these up on every run.
    op.create_index('ix_conversations_resident_id', 'conversations', ['resident_id'])
    op.create_index('ix_screenings_created_at', 'screenings', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_screenings_created_at', table_name='screenings')
    op.drop_index('ix_conversations_resident_id', table_name='conversations')
    with op.batch_alter_table('applications') as batch:
        batch.drop_column('anonymised_at')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('purged_at')
