"""The outbox: messages committed with the change that caused them, sent after the commit.

Delivery guarantees are decided here, by purpose, in one place (``AT_MOST_ONCE``): broadcast
notices are sent at most once, everything else (receipts, window alerts and digests, task
cards, overdue reminders, decisions and requests to residents, relayed messages) at least once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus, Priority
from storage.types import utcnow

# A broadcast goes to many thousands at once: sending a notice twice to each of them after a
# crash is worse than missing a few, whose number the broadcast's statistics report (unknown).
# Every other purpose matters to one person or one staff group and is sent again instead.
AT_MOST_ONCE: frozenset[str] = frozenset({"broadcast"})
# A combined message stays well inside Telegram's 4096 characters; past this it starts anew.
COMBINE_LIMIT = 3800
INTERRUPTED = "interrupted while sending"


# Noted in ``session.info`` by enqueue: the transaction wrote outbox rows.
QUEUED = "outbox_queued"


def mark_queued(session: AsyncSession) -> None:
    """Rows to send were written: whoever waits for them is told once the transaction has
    committed (``on_queued``)."""
    session.info[QUEUED] = True


def on_queued(database: Database, wake: Callable[[], None]) -> None:
    """Call ``wake`` after every commit that wrote outbox rows: committing is all a writer
    does, and the rows are durable before anyone is told of them."""

    def committed(session: Session) -> None:
        if session.info.get(QUEUED):
            wake()

    database.after_commit(committed)


def at_least_once(purpose: str) -> bool:
    return purpose not in AT_MOST_ONCE


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
    mark_queued(session)
    if combine_key is not None:
        pending = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.combine_key == combine_key,
                OutboxMessage.status == OutboxStatus.PENDING,
                # A message being sent again may have arrived already: news goes in a new one.
                OutboxMessage.maybe_delivered.is_(False),
            )
        )
        # Telegram takes 4096 characters; a long combination starts a new message instead.
        if pending is not None and len(pending.payload["text"]) + len(text) < COMBINE_LIMIT:
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


@dataclass(frozen=True, slots=True)
class Recovered:
    """What a start found left `sending` (or `unknown`) by the process before it."""

    resent: int  # at-least-once rows, pending again and flagged as a possible repeat
    unknown: int  # at-most-once rows: never resent
    failed: int  # at-least-once rows out of attempts

    @property
    def total(self) -> int:
        return self.resent + self.unknown + self.failed


async def recover_interrupted(session: AsyncSession, *, max_attempts: int) -> Recovered:
    """After a crash, rows caught mid-send may or may not have gone out.

    A broadcast row becomes `unknown` and stays so. Any other row (also one left `unknown` by
    an older version) is sent again, flagged ``maybe_delivered``; one that has used up its
    attempts (a message that keeps killing the process, say) fails instead, so that an
    administrator sees it. One statement per outcome.
    """
    once = OutboxMessage.purpose.in_(AT_MOST_ONCE)
    # A row whose text retention has already cleared has nothing left to send again.
    interrupted = and_(
        OutboxMessage.status.in_((OutboxStatus.SENDING, OutboxStatus.UNKNOWN)),
        OutboxMessage.purged_at.is_(None),
    )
    unknown = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, once)
        .values(status=OutboxStatus.UNKNOWN, error=INTERRUPTED)
    )
    failed = await session.execute(
        update(OutboxMessage)
        .where(interrupted, ~once, OutboxMessage.attempts >= max_attempts)
        .values(status=OutboxStatus.FAILED, error=f"{INTERRUPTED}; no attempts left")
    )
    resent = await session.execute(
        update(OutboxMessage)
        .where(interrupted, ~once)
        .values(status=OutboxStatus.PENDING, maybe_delivered=True, error=INTERRUPTED)
    )
    return Recovered(_count(resent), _count(unknown), _count(failed))


def _count(result: object) -> int:
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
    at_least_once: bool = True
    maybe_delivered: bool = False
    # Staff groups and staff members: told when a message may be a repeat.
    to_staff: bool = False


@dataclass(frozen=True, slots=True)
class Result:
    """What became of one claimed row."""

    id: int
    status: str
    not_before: datetime
    error: str | None = None
    message_id: int | None = None
    sent_at: datetime | None = None
    attempts: int = 0
    maybe_delivered: bool = False


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
        OutboxMessage.purpose,
        OutboxMessage.priority,
        OutboxMessage.maybe_delivered,
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
                at_least_once(row.purpose),
                bool(row.maybe_delivered),
                row.chat_id < 0 or row.priority == Priority.STAFF,
            )
        )
        if len(chosen) == limit:
            break
    if chosen:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([c.id for c in chosen]))
            .values(
                status=OutboxStatus.SENDING,
                attempts=OutboxMessage.attempts + 1,
                attempted_at=now,
            )
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
                "attempts": r.attempts,
                "maybe_delivered": r.maybe_delivered,
            }
            for r in results
        ],
    )


# ---- what an administrator sees and does --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FailedRow:
    """A row that finally failed, without its text (which is personal)."""

    id: int
    purpose: str
    chat_id: int
    attempts: int
    error: str | None
    at: datetime  # the last attempt (the time it was queued if it never had one)


async def failed_since(
    session: AsyncSession, *, since: datetime, broadcasts: bool = False, limit: int = 200
) -> list[FailedRow]:
    """Failed rows whose last attempt is after ``since``, newest first; broadcast rows (mostly
    residents who blocked the bot, counted in their broadcast's statistics) only if asked."""
    at = func.coalesce(OutboxMessage.attempted_at, OutboxMessage.created_at)
    query = select(
        OutboxMessage.id,
        OutboxMessage.purpose,
        OutboxMessage.chat_id,
        OutboxMessage.attempts,
        OutboxMessage.error,
        at.label("at"),
    ).where(OutboxMessage.status == OutboxStatus.FAILED, at >= since)
    if not broadcasts:
        query = query.where(OutboxMessage.purpose.not_in(AT_MOST_ONCE))
    rows = await session.execute(query.order_by(at.desc(), OutboxMessage.id.desc()).limit(limit))
    return [FailedRow(r.id, r.purpose, r.chat_id, r.attempts, r.error, r.at) for r in rows.all()]


async def retry_failed(session: AsyncSession, *, message_id: int, now: datetime) -> FailedRow:
    """Send one failed row again, with a fresh count of attempts (its payload is not read).

    Raises ``LookupError`` for no such row and ``ValueError`` for one that has not failed or
    is a broadcast notice (sent at most once).
    """
    found = (
        await session.execute(
            select(
                OutboxMessage.purpose,
                OutboxMessage.chat_id,
                OutboxMessage.status,
                OutboxMessage.attempts,
                OutboxMessage.error,
                OutboxMessage.purged_at,
                func.coalesce(OutboxMessage.attempted_at, OutboxMessage.created_at).label("at"),
            ).where(OutboxMessage.id == message_id)
        )
    ).one_or_none()
    if found is None:
        raise LookupError(f"no outbox message {message_id}")
    if found.status != OutboxStatus.FAILED:
        raise ValueError(f"message {message_id} is {found.status}, not failed")
    if not at_least_once(found.purpose):
        raise ValueError(f"message {message_id} is a broadcast notice: those are sent at most once")
    if found.purged_at is not None:
        raise ValueError(f"message {message_id} is past its retention: its text is deleted")
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, attempts=0, not_before=now, error=None)
    )
    return FailedRow(
        message_id, found.purpose, found.chat_id, found.attempts, found.error, found.at
    )
