"""The outbox: messages committed with the change that caused them, sent after the commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
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
    # Lets the code that owns the transaction wake the dispatcher once it has committed.
    session.info["outbox_queued"] = True
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


# ---- batches: what the dispatcher uses at volume ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row marked `sending`, as plain values (no ORM object lives past the claim)."""

    id: int
    chat_id: int
    payload: dict[str, Any]
    attempts: int
    not_before: datetime
    broadcast_id: int | None


@dataclass(frozen=True, slots=True)
class Result:
    """What became of one claimed row."""

    id: int
    status: str
    not_before: datetime
    error: str | None = None
    message_id: int | None = None
    sent_at: datetime | None = None


async def claim_batch(
    session: AsyncSession, *, now: datetime, limit: int, skip_chats: Collection[int] = ()
) -> list[Claimed]:
    """Up to ``limit`` due rows, most urgent first, at most one per chat, marked `sending`.

    One row per chat per batch keeps a chat's own limit from holding up the whole batch;
    ``skip_chats`` are chats that have used up their limit for now.
    """
    query = select(
        OutboxMessage.id,
        OutboxMessage.chat_id,
        OutboxMessage.payload,
        OutboxMessage.attempts,
        OutboxMessage.not_before,
        OutboxMessage.broadcast_id,
    ).where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now)
    if skip_chats:
        query = query.where(OutboxMessage.chat_id.not_in(list(skip_chats)))
    rows = (
        await session.execute(
            query.order_by(OutboxMessage.priority, OutboxMessage.not_before, OutboxMessage.id)
            .limit(limit * 2)
            .with_for_update(skip_locked=True)
        )
    ).all()
    chosen: list[Claimed] = []
    chats: set[int] = set()
    for row in rows:
        if row.chat_id in chats:
            continue
        chats.add(row.chat_id)
        chosen.append(
            Claimed(
                row.id,
                row.chat_id,
                dict(row.payload),
                row.attempts + 1,
                row.not_before,
                row.broadcast_id,
            )
        )
        if len(chosen) == limit:
            break
    if chosen:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([c.id for c in chosen]))
            .values(status=OutboxStatus.SENDING, attempts=OutboxMessage.attempts + 1)
        )
    return chosen


async def record_batch(session: AsyncSession, results: Sequence[Result]) -> None:
    """Write the outcomes of many sends in one statement (an executemany by primary key)."""
    if not results:
        return
    await session.execute(
        update(OutboxMessage),
        [
            {
                "id": r.id,
                "status": r.status,
                "not_before": r.not_before,
                "error": r.error,
                "telegram_message_id": r.message_id,
                "sent_at": r.sent_at,
            }
            for r in results
        ],
    )
