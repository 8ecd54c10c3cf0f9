"""Screenings: answers and the verdicts they led to, kept for the application and rescreening."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Screening


async def get(session: AsyncSession, *, screening_id: int) -> Screening | None:
    return await session.get(Screening, screening_id)


async def latest_for(session: AsyncSession, *, resident_id: int) -> Screening | None:
    return await session.scalar(
        select(Screening)
        .where(Screening.resident_id == resident_id)
        .order_by(Screening.id.desc())
        .limit(1)
    )
