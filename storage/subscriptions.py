"""Policy-notice subscriptions: one resident's row, and the subscribers an audience is chosen
from (their towns, topics, latest answers, open applications), written for batches of thousands."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    OPEN_APPLICATION,
    Application,
    DepartmentTask,
    NoticeSubscription,
    Screening,
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
