"""Broadcasts: checks on what an administrator composed, start, pause, resume, cancel, finish,
progress. Each change of status is a move on the lifecycle machine (`lifecycle.py`).

Used by the bot's /broadcast conversation and by `yimen broadcast`; both authorise and audit
before calling in. Recipients become outbox rows at the lowest priority, written in batches by
`expand` so that 100,000 recipients never means 100,000 objects in memory.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.notices.audience import Audience, Selector
from bot.notices.lifecycle import ENDED, BroadcastError, InvalidMove, Move, allowed, next_status
from storage import broadcasts as stored
from storage.models import Broadcast, BroadcastStatus, OutboxStatus

MAX_TEXT = 4096  # Telegram's limit for a message
MAX_CAPTION = 1024  # and for a photo's caption
# Image files by their first bytes: what we accept as "a photo" from the command line.
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


def body_html(text: str, footer: str) -> str:
    """The admin's plain text, escaped (never parsed as markup), and how to stop notices."""
    return f"{html.escape(text.strip(), quote=False)}\n\n<i>{html.escape(footer)}</i>"


def check_text(text: str, *, footer: str, with_photo: bool) -> None:
    """Empty or too long for Telegram (with the footer residents also get) is refused."""
    if not text.strip():
        raise BroadcastError("empty")
    limit = (MAX_CAPTION if with_photo else MAX_TEXT) - len(footer) - 2
    length = len(text.strip())
    if length > limit:
        raise BroadcastError("too_long", length=length, limit=limit)


def is_image(data: bytes) -> bool:
    return data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def check_schedule(at: datetime | None, now: datetime) -> None:
    if at is not None and at <= now:
        raise BroadcastError("past")


async def count(session: AsyncSession, audience: Audience, now: datetime) -> int:
    return await Selector(audience, now).count(session)


async def start(
    session: AsyncSession, broadcast: Broadcast, *, now: datetime, at: datetime | None = None
) -> int:
    """Confirmed: schedule it, or start it now. Refused if another one runs or nobody is in
    the audience; returns the recipient count the administrator confirmed."""
    check_schedule(at, now)
    running = await stored.running_broadcast(session)
    if running is not None and running.id != broadcast.id:
        raise BroadcastError("running", id=running.id)
    status = next_status(broadcast.status, Move.SEND if at is None else Move.SCHEDULE)
    check_text(broadcast.text, footer="", with_photo=broadcast.photo_file_id is not None)
    recipients = await count(session, Audience.from_json(broadcast.audience), now)
    if recipients == 0:
        raise BroadcastError("nobody")
    broadcast.recipients = recipients
    broadcast.draft_step = None
    broadcast.scheduled_for = at
    broadcast.status = status
    broadcast.started_at = None if at is not None else now
    return recipients


async def begin_due(session: AsyncSession, *, now: datetime) -> list[Broadcast]:
    """Scheduled broadcasts whose time has come start sending."""
    running = await stored.running_broadcast(session)
    if running is None:
        return []
    due = running.scheduled_for is not None and running.scheduled_for <= now
    if not allowed(running.status, Move.BEGIN, due=due):
        return []
    running.status = next_status(running.status, Move.BEGIN, due=due)
    running.started_at = now
    return [running]


async def draft_for(
    session: AsyncSession,
    *,
    admin_id: int,
    now: datetime,
    chat_id: int | None = None,
    fresh: bool = False,
) -> Broadcast:
    """The draft an administrator composes: their open one, or a new one (always new when
    ``fresh``). Refused while another broadcast is being sent: one at a time."""
    running = await stored.running_broadcast(session)
    if running is not None:
        raise BroadcastError("running", id=running.id)
    draft = None if fresh else await stored.draft_of(session, admin_id=admin_id)
    if draft is None:
        draft = Broadcast(
            created_by=admin_id, chat_id=chat_id, status=BroadcastStatus.DRAFT, created_at=now
        )
        session.add(draft)
    return draft


async def expand(session: AsyncSession, broadcast: Broadcast, *, now: datetime, batch: int) -> int:
    """Write the next batch of recipient rows; marks the broadcast expanded at the end.

    The cursor moves in the same transaction as the rows it covers, so a crash between
    batches neither skips nor repeats a recipient.
    """
    if broadcast.expanded or broadcast.status not in (
        BroadcastStatus.SENDING,
        BroadcastStatus.PAUSED,
    ):
        return 0
    selector = Selector(Audience.from_json(broadcast.audience), now, batch=batch)
    picked, next_after = await selector.next_batch(session, after_id=broadcast.expanded_through)
    added = await stored.add_recipients(
        session,
        broadcast_id=broadcast.id,
        chat_ids=[s.chat_id for s in picked],
        now=now,
        held=broadcast.status == BroadcastStatus.PAUSED,
    )
    if next_after is None:
        broadcast.expanded = True
    else:
        broadcast.expanded_through = next_after
    return added


async def pause(session: AsyncSession, broadcast: Broadcast) -> None:
    await _hold_or_release(session, broadcast, Move.PAUSE, OutboxStatus.PENDING, OutboxStatus.HELD)


async def resume(session: AsyncSession, broadcast: Broadcast) -> None:
    await _hold_or_release(session, broadcast, Move.RESUME, OutboxStatus.HELD, OutboxStatus.PENDING)


async def _hold_or_release(
    session: AsyncSession,
    broadcast: Broadcast,
    move: Move,
    from_status: OutboxStatus,
    to_status: OutboxStatus,
) -> None:
    """Move the broadcast's status, and its unsent messages along with it."""
    broadcast.status = next_status(broadcast.status, move)
    await stored.move_rows(
        session, broadcast_id=broadcast.id, from_status=from_status, to_status=to_status
    )


async def cancel(session: AsyncSession, broadcast: Broadcast, *, now: datetime) -> None:
    """Nothing more goes out; rows already in flight finish as they finish."""
    status = next_status(broadcast.status, Move.CANCEL)
    for outbox_status in (OutboxStatus.PENDING, OutboxStatus.HELD):
        await stored.move_rows(
            session, broadcast_id=broadcast.id, from_status=outbox_status, to_status="cancelled"
        )
    broadcast.status = status
    broadcast.expanded = True
    broadcast.finished_at = now
    record_stats(broadcast, await progress(session, broadcast, now=now))


async def control(session: AsyncSession, broadcast: Broadcast, move: str, *, now: datetime) -> None:
    """Pause, resume or cancel: the progress message's buttons and `yimen broadcast`."""
    if move == Move.PAUSE:
        await pause(session, broadcast)
    elif move == Move.RESUME:
        await resume(session, broadcast)
    elif move == Move.CANCEL:
        await cancel(session, broadcast, now=now)
    else:
        raise InvalidMove(f"{move!r} is not a control of a live broadcast")


def discard(broadcast: Broadcast, *, now: datetime) -> None:
    """The administrator throws the draft away; it never had recipients."""
    broadcast.status = next_status(broadcast.status, Move.DISCARD)
    broadcast.draft_step = None
    broadcast.finished_at = now


async def finish(
    session: AsyncSession, broadcast: Broadcast, *, now: datetime, current: Progress | None = None
) -> bool:
    """A sending broadcast whose recipients are all written and whose rows all have an
    outcome is finished, and its final statistics stored; False while it is not done.
    ``current``: its progress, when the caller has just read it."""
    if not allowed(broadcast.status, Move.FINISH):  # not sending: no need to count
        return False
    current = current or await progress(session, broadcast, now=now)
    all_out = broadcast.expanded and current.remaining == 0
    if not allowed(broadcast.status, Move.FINISH, all_out=all_out):
        return False
    broadcast.status = next_status(broadcast.status, Move.FINISH, all_out=all_out)
    broadcast.finished_at = now
    # Only the status changed: the counts just read are the final ones.
    record_stats(broadcast, replace(current, status=broadcast.status))
    return True


def record_stats(broadcast: Broadcast, current: Progress) -> None:
    """An ended broadcast keeps its final counts (rows in flight when it was cancelled may
    still change them, so they are stored again whenever it is shown)."""
    if broadcast.status in ENDED:
        broadcast.stats = current.as_stats()


@dataclass(frozen=True, slots=True)
class Progress:
    broadcast_id: int
    status: str
    recipients: int
    sent: int
    blocked: int
    failed: int
    unknown: int
    cancelled: int
    remaining: int
    rate: float  # rows with an outcome per second since the start
    eta_seconds: float | None

    def as_stats(self) -> dict[str, Any]:
        return {
            "recipients": self.recipients,
            "sent": self.sent,
            "blocked": self.blocked,
            "failed": self.failed,
            "unknown": self.unknown,
            "cancelled": self.cancelled,
            "remaining": self.remaining,
            "rate": round(self.rate, 2),
        }


async def progress(session: AsyncSession, broadcast: Broadcast, *, now: datetime) -> Progress:
    """Where it stands, read from its rows; it changes nothing (`finish` ends a broadcast)."""
    c = await stored.counts(session, broadcast_id=broadcast.id)
    # Recipients whose rows are not written yet: remaining, or cancelled with the broadcast.
    cancelled = broadcast.status == BroadcastStatus.CANCELLED
    unwritten = 0
    if cancelled or not broadcast.expanded:
        unwritten = max(0, broadcast.recipients - sum(c.values()))
    c["cancelled"] += unwritten if cancelled else 0
    remaining = c["remaining"] + (0 if cancelled else unwritten)
    done = c["sent"] + c["blocked"] + c["failed"] + c["unknown"]
    elapsed = (now - broadcast.started_at).total_seconds() if broadcast.started_at else 0.0
    rate = done / elapsed if elapsed > 0 else 0.0
    return Progress(
        broadcast.id,
        broadcast.status,
        broadcast.recipients,
        c["sent"],
        c["blocked"],
        c["failed"],
        c["unknown"],
        c["cancelled"],
        remaining,
        rate,
        remaining / rate if rate > 0 and remaining else None,
    )
