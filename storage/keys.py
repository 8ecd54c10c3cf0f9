"""Key rotation and the key census: which key protects how many stored values.

Both work on the raw ``<key id>:<token>`` text of every encrypted column, found from the models
(every column of an Encrypted type) plus the key check row, so a new encrypted column is
rotated without being listed anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Table, Text, and_, column, func, select, table, update

from storage.crypto import (
    KEY_ID_LENGTH,
    PLAIN_EMPTIES,
    EncryptedJson,
    EncryptedText,
    KeyProblem,
    Keyring,
    UnknownKeyError,
)
from storage.db import Database
from storage.models import Base, KeyCheck

DEFAULT_BATCH = 500


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    table: str
    column: str

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


def encrypted_columns() -> tuple[EncryptedColumn, ...]:
    """Every column stored encrypted: those of an Encrypted type, and the key check."""
    found = [
        EncryptedColumn(tbl.name, col.name)
        for tbl in Base.metadata.sorted_tables
        for col in tbl.columns
        if isinstance(col.type, EncryptedText | EncryptedJson)
    ]
    return (*found, EncryptedColumn(KeyCheck.__tablename__, "digest_key"))


def _raw(target: EncryptedColumn) -> tuple[Table, Column[str]]:
    """The table seen as plain text, so values are read and written as stored."""
    raw = table(target.table, column("id"), column(target.column, Text))
    return raw, raw.c[target.column]  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class KeyCount:
    column: str
    key_id: str
    values: int


async def census(database: Database) -> list[KeyCount]:
    """How many values of each encrypted column each key id protects."""
    counts: list[KeyCount] = []
    async with database.sessions() as session:
        for target in encrypted_columns():
            _, value = _raw(target)
            kid = func.substr(value, 1, KEY_ID_LENGTH)
            stored = and_(value.is_not(None), value.not_in(PLAIN_EMPTIES))
            rows = await session.execute(
                select(kid, func.count()).where(stored).group_by(kid).order_by(kid)
            )
            counts.extend(KeyCount(target.name, str(k), int(n)) for k, n in rows.all())
    return counts


async def rotate(
    database: Database,
    keyring: Keyring,
    *,
    batch: int = DEFAULT_BATCH,
    progress: Callable[[str, int, int], None] = lambda column, done, left: None,
) -> int:
    """Encrypt every value again under the first key, ``batch`` rows per transaction.

    Only values not yet under the first key are selected, so a rerun after a kill goes on
    where it stopped (at most one batch is redone). Each row is written only if it still
    holds what was read: a value the running bot changed meanwhile is already current.
    Returns how many values were re-encrypted."""
    prefix = f"{keyring.key_id}:"
    total = 0
    for target in encrypted_columns():
        raw, value = _raw(target)
        stale = and_(
            value.is_not(None),
            value.not_in(PLAIN_EMPTIES),
            func.substr(value, 1, len(prefix)) != prefix,
        )
        async with database.sessions() as session:
            left = int(await session.scalar(select(func.count()).where(stale)) or 0)
        done = 0
        progress(target.name, done, left)
        while left > done:
            async with database.sessions() as session, session.begin():
                rows = (
                    await session.execute(
                        select(raw.c.id, value).where(stale).order_by(raw.c.id).limit(batch)
                    )
                ).all()
                if not rows:
                    break
                for row_id, token in rows:
                    try:
                        fresh = keyring.encrypt(keyring.decrypt(token))
                    except UnknownKeyError as exc:
                        raise KeyProblem(
                            f"YIMEN_SECRET_KEY: a value in {target.name} (row {row_id}) was "
                            f"written with key id {exc.key_id}, which is not configured; "
                            "add that key behind the first and rotate again"
                        ) from None
                    await session.execute(
                        update(raw)
                        .where(raw.c.id == row_id, value == token)
                        .values({target.column: fresh})
                    )
            done += len(rows)
            total += len(rows)
            progress(target.name, done, left)
    return total
