"""Notice subscriptions and broadcasts: the queries, written for batches of thousands."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Application,
    ApplicationStatus,
    Broadcast,
    BroadcastStatus,
    DepartmentTask,
    NoticeSubscription,
    OutboxMessage,
    OutboxStatus,
    Priority,
    Screening,
)

# A broadcast that holds the line: a second one may not start while one of these exists.
RUNNING = (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING, BroadcastStatus.PAUSED)
OPEN_APPLICATION = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.DOCUMENTS_REQUESTED,
)


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    resident_id: int
    chat_id: int
    topics: tuple[str, ...]
    town_only: bool
    town_id: str | None


async def subscription(session: AsyncSession, *, resident_id: int) -> NoticeSubscription | None:
    return await session.scalar(
        select(NoticeSubscription).where(NoticeSubscription.resident_id == resident_id)
    )


async def unsubscribe_chats(
    session: AsyncSession, *, chat_ids: Collection[int], reason: str
) -> int:
    """End the subscriptions of these chats (a 403: the resident blocked the bot)."""
    result = await session.execute(
        update(NoticeSubscription)
        .where(NoticeSubscription.chat_id.in_(list(chat_ids)), NoticeSubscription.active)
        .values(active=False, stopped_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def subscribers_after(
    session: AsyncSession, *, after_id: int, limit: int
) -> list[Subscriber]:
    """Active, consenting subscribers in id order, from just after ``after_id``."""
    rows = (
        await session.execute(
            select(
                NoticeSubscription.id,
                NoticeSubscription.resident_id,
                NoticeSubscription.chat_id,
                NoticeSubscription.topics,
                NoticeSubscription.town_only,
                NoticeSubscription.town_id,
            )
            .where(
                NoticeSubscription.active,
                NoticeSubscription.consent_version.is_not(None),
                NoticeSubscription.id > after_id,
            )
            .order_by(NoticeSubscription.id)
            .limit(limit)
        )
    ).all()
    return [Subscriber(r[0], r[1], r[2], tuple(r[3] or ()), r[4], r[5]) for r in rows]


async def latest_answers(
    session: AsyncSession, *, resident_ids: Collection[int]
) -> dict[int, dict[str, Any]]:
    """Each resident's most recent screening answers."""
    newest = (
        select(func.max(Screening.id))
        .where(Screening.resident_id.in_(list(resident_ids)))
        .group_by(Screening.resident_id)
    )
    rows = await session.execute(
        select(Screening.resident_id, Screening.answers).where(Screening.id.in_(newest))
    )
    return {resident_id: dict(answers or {}) for resident_id, answers in rows.all()}


async def with_open_application(
    session: AsyncSession, *, resident_ids: Collection[int], programme_id: str
) -> set[int]:
    rows = await session.scalars(
        select(Application.resident_id)
        .join(DepartmentTask, DepartmentTask.application_id == Application.id)
        .where(
            Application.resident_id.in_(list(resident_ids)),
            Application.status.in_(OPEN_APPLICATION),
            DepartmentTask.programme_id == programme_id,
        )
    )
    return set(rows.all())


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
