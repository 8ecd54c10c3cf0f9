"""Broadcasts: the running one, an administrator's draft, recipient rows written and moved in
one statement each, and how a broadcast's rows stand."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.models import (
    Broadcast,
    BroadcastStatus,
    OutboxMessage,
    OutboxStatus,
    Priority,
)

# A broadcast that holds the line: a second one may not start while one of these exists.
RUNNING = (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING, BroadcastStatus.PAUSED)


async def recent_receivers(session: AsyncSession, *, since: datetime) -> set[int]:
    """Chats that got (or may have got) a broadcast since ``since``."""
    recent = select(Broadcast.id).where(
        or_(Broadcast.finished_at.is_(None), Broadcast.finished_at >= since)
    )
    rows = await session.scalars(
        select(OutboxMessage.chat_id).where(
            OutboxMessage.broadcast_id.in_(recent),
            or_(
                (OutboxMessage.status == OutboxStatus.SENT) & (OutboxMessage.sent_at >= since),
                OutboxMessage.status == OutboxStatus.UNKNOWN,
            ),
        )
    )
    return set(rows.all())


async def broadcast_contents(
    session: AsyncSession, *, ids: Iterable[int]
) -> dict[int, tuple[str, str | None]]:
    rows = await session.execute(
        select(Broadcast.id, Broadcast.body_html, Broadcast.photo_file_id).where(
            Broadcast.id.in_(list(ids))
        )
    )
    return {row[0]: (row[1], row[2]) for row in rows.all()}


async def running_broadcast(session: AsyncSession) -> Broadcast | None:
    return await session.scalar(
        select(Broadcast).where(Broadcast.status.in_(RUNNING)).order_by(Broadcast.id).limit(1)
    )


async def draft_of(session: AsyncSession, *, admin_id: int) -> Broadcast | None:
    return await session.scalar(
        select(Broadcast)
        .where(Broadcast.created_by == admin_id, Broadcast.status == BroadcastStatus.DRAFT)
        .order_by(Broadcast.id.desc())
        .limit(1)
    )


async def add_recipients(
    session: AsyncSession,
    *,
    broadcast_id: int,
    chat_ids: Iterable[int],
    now: datetime,
    held: bool,
) -> int:
    """Write recipient rows with one multi-row INSERT (no ORM objects)."""
    status = OutboxStatus.HELD if held else OutboxStatus.PENDING
    rows = [
        {
            "chat_id": chat_id,
            "purpose": "broadcast",
            "priority": Priority.BROADCAST,
            "payload": {},
            "status": status,
            "attempts": 0,
            "not_before": now,
            "broadcast_id": broadcast_id,
            "created_at": now,
        }
        for chat_id in chat_ids
    ]
    if rows:
        await session.execute(insert(OutboxMessage), rows)
        if not held:
            outbox.mark_queued(session)
    return len(rows)


async def move_rows(
    session: AsyncSession, *, broadcast_id: int, from_status: str, to_status: str
) -> int:
    """Hold (pause), release (resume) or cancel a broadcast's unsent rows in one statement."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == from_status)
        .values(status=to_status)
    )
    if to_status == OutboxStatus.PENDING:
        outbox.mark_queued(session)  # resumed: the released rows are the dispatcher's again
    return int(getattr(result, "rowcount", 0) or 0)


async def counts(session: AsyncSession, *, broadcast_id: int) -> dict[str, int]:
    """How the broadcast's rows stand: sent, blocked, failed, unknown, cancelled, remaining."""
    blocked = (OutboxMessage.status == OutboxStatus.FAILED) & OutboxMessage.error.like("blocked:%")
    kind = case((blocked, "blocked"), else_=OutboxMessage.status)
    rows = await session.execute(
        select(kind, func.count()).where(OutboxMessage.broadcast_id == broadcast_id).group_by(kind)
    )
    found = {str(k): int(n) for k, n in rows.all()}
    remaining = sum(
        found.pop(s, 0) for s in (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.HELD)
    )
    result = {k: found.get(k, 0) for k in ("sent", "blocked", "failed", "unknown", "cancelled")}
    result["remaining"] = remaining
    return result
