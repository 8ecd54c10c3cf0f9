"""Processed Telegram update ids: the guard against a redelivered update acting twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate
from storage.types import utcnow


async def claim(session: AsyncSession, *, update_id: int) -> bool:
    """Record ``update_id``; False when it was already processed (then do nothing)."""
    seen = await session.scalar(
        select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
    )
    if seen is not None:
        return False
    session.add(ProcessedUpdate(update_id=update_id, processed_at=utcnow()))
    return True


async def forget_before(session: AsyncSession, *, moment: datetime) -> int:
    """Drop ids older than ``moment``; Telegram never redelivers after 24 hours."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment)
    )
    return int(getattr(result, "rowcount", 0) or 0)
