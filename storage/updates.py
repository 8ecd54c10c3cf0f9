"""Processed Telegram update ids: the guard against a redelivered update acting twice."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate
from storage.types import utcnow


async def claim(session: AsyncSession, *, update_id: int) -> bool:
    """Record ``update_id``; False when it was already processed (then do nothing)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # One statement: insert-or-ignore; the row count tells whether this update is new.
    statement = (
        insert(ProcessedUpdate)
        .values(update_id=update_id, processed_at=utcnow())
        .on_conflict_do_nothing(index_elements=[ProcessedUpdate.update_id])
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def seen(session: AsyncSession, *, update_id: int) -> bool:
    """Whether ``update_id`` was processed already, without claiming it: for a handler that
    acts and then lets a later handler (which claims the id) go on with the same update."""
    found = await session.get(ProcessedUpdate, update_id)
    return found is not None
