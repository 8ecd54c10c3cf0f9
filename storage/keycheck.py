"""The database's key check: its digest key, sealed under the operator's keys.

Made once, at a database's first start (or by the migration that encrypted existing rows).
Reading it proves the configured keys can read this database, and yields the digest key.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Keyring
from storage.models import KeyCheck
from storage.types import utcnow

KEY_CHECK_ID = 1


async def open_or_create(session: AsyncSession, keyring: Keyring) -> None:
    """Unlock ``keyring`` with this database's key check, making one if there is none yet."""
    sealed = await session.scalar(select(KeyCheck.digest_key).where(KeyCheck.id == KEY_CHECK_ID))
    if sealed is None:
        # Two processes starting at once: the first row wins, both read it back.
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await session.execute(
            insert(KeyCheck)
            .values(id=KEY_CHECK_ID, digest_key=keyring.seal_new_digest_key(), created_at=utcnow())
            .on_conflict_do_nothing(index_elements=[KeyCheck.id])
        )
        sealed = await session.scalar(
            select(KeyCheck.digest_key).where(KeyCheck.id == KEY_CHECK_ID)
        )
        assert sealed is not None
    keyring.unlock(sealed)
