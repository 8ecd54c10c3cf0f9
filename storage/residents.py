"""Residents and their consent records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConsentRecord, Conversation, Resident, StaffThread
from storage.types import utcnow


async def with_conversation(
    session: AsyncSession, *, telegram_user_id: int, chat_id: int
) -> tuple[Resident, Conversation | None, int | None]:
    """The resident (created on first contact), their chat's conversation and the id of their
    open conversation with staff, if any — in one query, since every update needs them."""
    open_thread = (
        select(StaffThread.id)
        .where(StaffThread.resident_id == Resident.id, StaffThread.status == "open")
        .limit(1)
        .scalar_subquery()
    )
    row = (
        await session.execute(
            select(Resident, Conversation, open_thread)
            .outerjoin(Conversation, Conversation.chat_id == chat_id)
            .where(Resident.telegram_user_id == telegram_user_id)
        )
    ).first()
    if row is not None:
        return row[0], row[1], row[2]
    resident = await _create(session, telegram_user_id=telegram_user_id)
    conversation = await session.scalar(select(Conversation).where(Conversation.chat_id == chat_id))
    return resident, conversation, None


async def find(session: AsyncSession, *, telegram_user_id: int) -> Resident | None:
    return await session.scalar(
        select(Resident).where(Resident.telegram_user_id == telegram_user_id)
    )


async def find_or_create(session: AsyncSession, *, telegram_user_id: int) -> Resident:
    """The resident, created on first contact (someone may ask for staff or notices before
    /start)."""
    resident = await find(session, telegram_user_id=telegram_user_id)
    return (
        resident
        if resident is not None
        else await _create(session, telegram_user_id=telegram_user_id)
    )


async def _create(session: AsyncSession, *, telegram_user_id: int) -> Resident:
    now = utcnow()
    resident = Resident(telegram_user_id=telegram_user_id, created_at=now, updated_at=now)
    session.add(resident)
    await session.flush()
    return resident


# The screening's privacy notice: the consent every conversation starts from, also kept on the
# resident row (``consented_notice``) so that each update reads it without another query.
PRIVACY_NOTICE = "privacy_notice"


def record_consent(
    session: AsyncSession,
    *,
    resident: Resident,
    purpose: str,
    version: str,
    granted: bool,
    at: datetime | None = None,
) -> None:
    """Append one answer to the consent history (any purpose: each consent stands apart)."""
    if purpose == PRIVACY_NOTICE:
        resident.consented_notice = version if granted else None
    session.add(
        ConsentRecord(
            resident_id=resident.id,
            purpose=purpose,
            notice_version=version,
            granted=granted,
            recorded_at=at or utcnow(),
        )
    )
