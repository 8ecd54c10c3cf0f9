"""Residents and their consent records."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConsentRecord, Resident
from storage.types import utcnow


async def get_or_create(session: AsyncSession, *, telegram_user_id: int) -> Resident:
    resident = await session.scalar(
        select(Resident).where(Resident.telegram_user_id == telegram_user_id)
    )
    if resident is None:
        resident = Resident(telegram_user_id=telegram_user_id)
        session.add(resident)
        await session.flush()
    return resident


async def has_consent(
    session: AsyncSession, *, resident_id: int, purpose: str, version: str
) -> bool:
    """Whether the latest answer to this notice version was yes."""
    granted = await session.scalar(
        select(ConsentRecord.granted)
        .where(
            ConsentRecord.resident_id == resident_id,
            ConsentRecord.purpose == purpose,
            ConsentRecord.notice_version == version,
        )
        .order_by(ConsentRecord.id.desc())
        .limit(1)
    )
    return bool(granted)


def record_consent(
    session: AsyncSession, *, resident_id: int, purpose: str, version: str, granted: bool
) -> None:
    session.add(
        ConsentRecord(
            resident_id=resident_id,
            purpose=purpose,
            notice_version=version,
            granted=granted,
            recorded_at=utcnow(),
        )
    )
