"""applications, department tasks, outbox, staff and audit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('application_counters',
    sa.Column('series', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('series', name=op.f('pk_application_counters'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_created_at'), ['created_at'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('purpose', sa.String(length=24), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('combine_key', sa.String(length=64), nullable=True),
    sa.Column('telegram_message_id', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['status', 'priority', 'not_before'], unique=False)

    op.create_table('staff_members',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('town_id', sa.String(length=32), nullable=True),
    sa.Column('department_id', sa.String(length=48), nullable=True),
    sa.Column('display_name', sa.String(length=64), nullable=True),
    sa.Column('added_by', sa.BigInteger(), nullable=True),
    sa.Column('added_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_members'))
    )
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_members_telegram_user_id'), ['telegram_user_id'], unique=False)

    op.create_table('staff_threads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('resident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('opened_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_staff_threads_resident_id_residents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_threads'))
    )
    with op.batch_alter_table('staff_threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_threads_resident_id'), ['resident_id'], unique=False)

    op.create_table('applications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('resident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('screening_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('applicant_name', sa.String(length=64), nullable=False),
    sa.Column('applicant_id_number', sa.Text(), nullable=False),
    sa.Column('applicant_phone', sa.Text(), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('relationship', sa.String(length=32), nullable=True),
    sa.Column('subject_name', sa.String(length=64), nullable=False),
    sa.Column('subject_id_number', sa.Text(), nullable=False),
    sa.Column('subject_digest', sa.String(length=64), nullable=False),
    sa.Column('subject_consent', sa.Boolean(), nullable=False),
    sa.Column('guardian_consent', sa.Boolean(), nullable=False),
    sa.Column('town_id', sa.String(length=32), nullable=False),
    sa.Column('village', sa.String(length=64), nullable=False),
    sa.Column('household', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('facts', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('economic_check_authorised_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('submitted_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_applications_resident_id_residents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['screening_id'], ['screenings.id'], name=op.f('fk_applications_screening_id_screenings'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
    sa.UniqueConstraint('number', name=op.f('uq_applications_number'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_subject_digest'), ['subject_digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_town_id'), ['town_id'], unique=False)

    op.create_table('relayed_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('thread_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('staff_chat_id', sa.BigInteger(), nullable=False),
    sa.Column('staff_message_id', sa.BigInteger(), nullable=True),
    sa.Column('outbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_relayed_messages_outbox_id_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['staff_threads.id'], name=op.f('fk_relayed_messages_thread_id_staff_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_relayed_messages'))
    )
    with op.batch_alter_table('relayed_messages', schema=None) as batch_op:
        batch_op.create_index('ix_relayed_messages_staff', ['staff_chat_id', 'staff_message_id'], unique=False)

    op.create_table('department_tasks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('programme_id', sa.String(length=48), nullable=False),
    sa.Column('department_id', sa.String(length=48), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('needs_public_notice', sa.Boolean(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.Column('amount', sa.Integer(), nullable=True),
    sa.Column('start_month', sa.String(length=7), nullable=True),
    sa.Column('visit_on', sa.Date(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_department_tasks_application_id_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_tasks'))
    )
    with op.batch_alter_table('department_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_tasks_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_tasks_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_tasks_due_on'), ['due_on'], unique=False)

    op.create_table('status_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_status_events_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['department_tasks.id'], name=op.f('fk_status_events_task_id_department_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_events'))
    )
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_events_application_id'), ['application_id'], unique=False)

    op.create_table('submitted_documents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('document_id', sa.String(length=48), nullable=False),
    sa.Column('telegram_file_id', sa.String(length=256), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=True),
    sa.Column('mime_type', sa.String(length=96), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('received_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_submitted_documents_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['department_tasks.id'], name=op.f('fk_submitted_documents_task_id_department_tasks'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submitted_documents'))
    )
    with op.batch_alter_table('submitted_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submitted_documents_application_id'), ['application_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('submitted_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submitted_documents_application_id'))

    op.drop_table('submitted_documents')
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_events_application_id'))

    op.drop_table('status_events')
    with op.batch_alter_table('department_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_tasks_due_on'))
        batch_op.drop_index(batch_op.f('ix_department_tasks_department_id'))
        batch_op.drop_index(batch_op.f('ix_department_tasks_application_id'))

    op.drop_table('department_tasks')
    with op.batch_alter_table('relayed_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_relayed_messages_staff')

    op.drop_table('relayed_messages')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_town_id'))
        batch_op.drop_index(batch_op.f('ix_applications_subject_digest'))
        batch_op.drop_index(batch_op.f('ix_applications_resident_id'))

    op.drop_table('applications')
    with op.batch_alter_table('staff_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_threads_resident_id'))

    op.drop_table('staff_threads')
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_members_telegram_user_id'))

    op.drop_table('staff_members')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))

    op.drop_table('audit_events')
    op.drop_table('application_counters')
