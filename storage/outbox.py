"""The outbox: messages committed with the change that caused them, sent after the commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, OutboxStatus
from storage.types import utcnow


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    purpose: str,
    priority: int,
    text: str,
    reply_markup: dict[str, Any] | None = None,
    combine_key: str | None = None,
    combine_within: timedelta | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Add a message; with ``combine_key``, join a still-pending message with that key.

    A combined message waits ``combine_within`` so that several changes in a short while
    reach the resident as one message instead of a burst.
    """
    moment = now or utcnow()
    if combine_key is not None:
        pending = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.combine_key == combine_key,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )
        # Telegram takes 4096 characters; a long combination starts a new message instead.
        if pending is not None and len(pending.payload["text"]) + len(text) < 3800:
            combined = dict(pending.payload)
            combined["text"] = f"{combined['text']}\n\n{text}"
            if reply_markup is not None:
                combined["reply_markup"] = reply_markup
            pending.payload = combined
            return pending
    payload: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup
    message = OutboxMessage(
        chat_id=chat_id,
        purpose=purpose,
        priority=priority,
        payload=payload,
        status=OutboxStatus.PENDING,
        combine_key=combine_key,
        not_before=moment + (combine_within or timedelta(0)),
        created_at=moment,
    )
    session.add(message)
    return message


async def claim_due(session: AsyncSession, *, now: datetime, limit: int) -> Sequence[OutboxMessage]:
    """Due pending rows, most urgent first, marked `sending` in the caller's transaction."""
    rows = (
        await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now)
            .order_by(OutboxMessage.priority, OutboxMessage.not_before, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for row in rows:
        row.status = OutboxStatus.SENDING
        row.attempts += 1
    return rows


async def interrupted_to_unknown(session: AsyncSession) -> int:
    """After a crash, rows caught mid-send may or may not have gone out: never resend them."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.UNKNOWN, error="interrupted while sending")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def next_due(session: AsyncSession) -> datetime | None:
    return await session.scalar(
        select(OutboxMessage.not_before)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.not_before)
        .limit(1)
    )
