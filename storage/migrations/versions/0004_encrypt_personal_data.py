"""encrypt every column that can hold personal data; the key check

Every personal column becomes Text holding ``<key id>:<Fernet token>``. Rows already stored
are encrypted in place with the operator's keys (passed by storage/migrate.py): the ID and
phone numbers, until now bare Fernet tokens, are decrypted and encrypted again with the key id,
the identifier answers sealed one by one in conversations are folded into the encrypted whole,
and the duplicate digest is recomputed with the database's new digest key (key_check).
An empty database needs no key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy.dialects import postgresql

import storage.types
from storage.crypto import Keyring, KeyProblem

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
# table -> column -> (type before, kind): json documents, text, or a bare Fernet token.
COLUMNS: dict[str, dict[str, tuple[Any, str]]] = {
    'conversations': {'answers': (JSON, 'json'), 'view': (JSON, 'json')},
    'screenings': {'answers': (JSON, 'json'), 'verdicts': (JSON, 'json')},
    'applications': {
        'applicant_name': (sa.String(length=64), 'text'),
        'applicant_id_number': (sa.Text(), 'token'),
        'applicant_phone': (sa.Text(), 'token'),
        'relationship': (sa.String(length=32), 'text'),
        'subject_name': (sa.String(length=64), 'text'),
        'subject_id_number': (sa.Text(), 'token'),
        'village': (sa.String(length=64), 'text'),
        'household': (JSON, 'json'),
        'facts': (JSON, 'json'),
        'rejection_reason': (sa.Text(), 'text'),
    },
    'status_events': {'note': (sa.Text(), 'text')},
    'submitted_documents': {'telegram_file_id': (sa.String(length=256), 'text')},
    'outbox': {'payload': (JSON, 'json')},
    'audit_events': {'detail': (JSON, 'json')},
    'notice_subscriptions': {'topics': (JSON, 'json')},
    'rescreen_notices': {'improved': (JSON, 'json')},
}
BATCH = 500


def upgrade() -> None:
    op.create_table('key_check',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('digest_key', sa.Text(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_check'))
    )
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table, columns in COLUMNS.items():
        if postgres:
            for column in columns:
                op.alter_column(
                    table, column, type_=sa.Text(), postgresql_using=f'{column}::text'
                )
            continue
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, (before, _) in columns.items():
                batch_op.alter_column(column, existing_type=before, type_=sa.Text())
    if _has_rows():
        _encrypt_stored_rows(_keyring())
        # The plain values may linger in freed pages and the WAL: storage/migrate.py vacuums.
        context.config.attributes['vacuum'] = True


def _has_rows() -> bool:
    bind = op.get_bind()
    return any(
        bind.execute(sa.text(f'SELECT 1 FROM {table} LIMIT 1')).first() is not None
        for table in COLUMNS
    )


def _keyring() -> Keyring:
    keyring = context.config.attributes.get('keyring')
    if not isinstance(keyring, Keyring):
        raise KeyProblem(
            'YIMEN_SECRET_KEY: needed to encrypt the personal data already in this database '
            '(migration 0004); set it and run again'
        )
    return keyring


def _encrypt_stored_rows(keyring: Keyring) -> None:
    bind = op.get_bind()
    sealed = keyring.seal_new_digest_key()
    keyring.unlock(sealed)
    bind.execute(
        sa.text('INSERT INTO key_check (id, digest_key, created_at) VALUES (1, :key, :now)'),
        {'key': sealed, 'now': storage.types.utcnow()},
    )
    legacy = MultiFernet(list(keyring.fernets))

    def untoken(token: str) -> str:
        try:
            return legacy.decrypt(token.encode()).decode()
        except InvalidToken:
            raise KeyProblem(
                'YIMEN_SECRET_KEY: none of these keys can read the ID numbers already stored '
                '(migration 0004); put the key they were written with in the list'
            ) from None

    def unseal_answers(document: str) -> str:
        answers = json.loads(document)
        if isinstance(answers, dict):
            for key, value in answers.items():
                if isinstance(value, dict) and set(value) == {'sealed'}:
                    answers[key] = untoken(str(value['sealed']))
        return json.dumps(answers, ensure_ascii=False, separators=(',', ':'))

    for table, columns in COLUMNS.items():
        changes: dict[str, Callable[[str], str]] = {}
        for column, (_, kind) in columns.items():
            if kind == 'token':
                changes[column] = untoken
            elif (table, column) == ('conversations', 'answers'):
                changes[column] = unseal_answers
            else:
                changes[column] = str
        _rewrite(table, changes, keyring)


def _rewrite(table: str, changes: dict[str, Callable[[str], str]], keyring: Keyring) -> None:
    bind = op.get_bind()
    names = list(changes)
    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                f'SELECT id, {", ".join(names)} FROM {table} WHERE id > :last '
                f'ORDER BY id LIMIT {BATCH}'
            ),
            {'last': last},
        ).all()
        if not rows:
            return
        for row in rows:
            values: dict[str, Any] = {'id': row[0]}
            for index, name in enumerate(names, start=1):
                raw = row[index]
                plain = None if raw is None else changes[name](str(raw))
                values[name] = None if plain is None else keyring.encrypt(plain)
                if table == 'applications' and name == 'subject_id_number' and plain is not None:
                    values['subject_digest'] = keyring.digest(plain)
            assignments = ', '.join(f'{name} = :{name}' for name in values if name != 'id')
            bind.execute(sa.text(f'UPDATE {table} SET {assignments} WHERE id = :id'), values)
        last = rows[-1][0]


def downgrade() -> None:
    # The personal data goes back to plain columns: the keys are needed to read it.
    bind = op.get_bind()
    if _has_rows():
        keyring = _keyring()
        legacy = MultiFernet(list(keyring.fernets))
        for table, columns in COLUMNS.items():
            changes: dict[str, Callable[[str], str]] = {}
            for column, (_, kind) in columns.items():
                if kind == 'token':
                    changes[column] = lambda raw: legacy.encrypt(
                        keyring.decrypt(raw).encode()
                    ).decode()
                else:
                    changes[column] = keyring.decrypt
            _rewrite_plain(table, changes)
    postgres = bind.dialect.name == 'postgresql'
    for table, columns in COLUMNS.items():
        if postgres:
            for column, (before, _) in columns.items():
                op.alter_column(
                    table, column, type_=before,
                    postgresql_using=f'{column}::jsonb' if before is JSON else None,
                )
            continue
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, (before, _) in columns.items():
                batch_op.alter_column(column, existing_type=sa.Text(), type_=before)
    op.drop_table('key_check')


def _rewrite_plain(table: str, changes: dict[str, Callable[[str], str]]) -> None:
    bind = op.get_bind()
    names = list(changes)
    rows = bind.execute(sa.text(f'SELECT id, {", ".join(names)} FROM {table}')).all()
    for row in rows:
        values: dict[str, Any] = {'id': row[0]}
        for index, name in enumerate(names, start=1):
            raw = row[index]
            # Empty values are stored as they are (storage.crypto.PLAIN_EMPTIES): no key.
            plain = raw is None or str(raw) in ('', '{}', '[]')
            values[name] = raw if plain else changes[name](str(raw))
        assignments = ', '.join(f'{name} = :{name}' for name in names)
        bind.execute(sa.text(f'UPDATE {table} SET {assignments} WHERE id = :id'), values)
