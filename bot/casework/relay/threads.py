"""A resident's thread with the window staff: its buttons, opening and ending it, and finding
it again from a staff member's reply."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import RelayPress
from bot.flows.model import Button, Label
from storage import staff
from storage.models import (
    Application,
    OutboxMessage,
    RelayedMessage,
    Resident,
    StaffRole,
    StaffThread,
)

# The actions of a RelayPress, and the data of the buttons that carry them.
OPEN, CLOSE, ANSWER, SEND = "open", "close", "answer", "send"
OPEN_DATA = RelayPress(OPEN).encode()
CLOSE_DATA = RelayPress(CLOSE).encode()
# The two answers to "was that your answer, or for the staff?" (relay/which.html). The first is
# the dialogue's (the held text goes to the flow), the second bot/handlers/relay.py's.
ANSWER_DATA = RelayPress(ANSWER).encode()
SEND_DATA = RelayPress(SEND).encode()
# Commands that start or leave a flow: the resident has moved on, so the thread ends.
ENDING_COMMANDS = frozenset({"start", "apply", "cancel"})


class ThreadStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def talk_to_staff_button() -> Button:
    """The "talk to staff" button any screen may carry (handled by bot/handlers/relay.py)."""
    return Button(Label.of("relay.open"), OPEN_DATA)


def close_button() -> Button:
    return Button(Label.of("relay.close"), CLOSE_DATA)


async def open_thread_of(session: AsyncSession, *, telegram_user_id: int) -> StaffThread | None:
    """The user's open thread, if any: one indexed query, asked for every private text."""
    return await session.scalar(
        select(StaffThread)
        .join(Resident, Resident.id == StaffThread.resident_id)
        .where(
            Resident.telegram_user_id == telegram_user_id,
            StaffThread.status == ThreadStatus.OPEN,
        )
        .limit(1)
    )


async def open_thread(
    session: AsyncSession, resident: Resident, *, now: datetime
) -> tuple[StaffThread, bool]:
    """The resident's open thread, or a new one; True when it was opened now. Opening (or
    reopening) counts as activity: the idle clock starts again."""
    thread = await session.scalar(
        select(StaffThread)
        .where(StaffThread.resident_id == resident.id, StaffThread.status == ThreadStatus.OPEN)
        .limit(1)
    )
    if thread is not None:
        thread.last_activity_at = now
        return thread, False
    thread = StaffThread(
        resident_id=resident.id, status=ThreadStatus.OPEN, opened_at=now, last_activity_at=now
    )
    session.add(thread)
    await session.flush()
    return thread, True


def is_idle(thread: StaffThread, *, now: datetime, idle: timedelta) -> bool:
    return now - (thread.last_activity_at or thread.opened_at) >= idle


def end(thread: StaffThread, *, now: datetime) -> None:
    """Close the thread quietly (the resident moved on): any held text is dropped."""
    thread.status = ThreadStatus.CLOSED
    thread.closed_at = now
    thread.pending_text = None


async def thread_replied_to(
    session: AsyncSession, *, staff_chat_id: int, message_id: int
) -> StaffThread | None:
    """The thread whose relayed message ``message_id`` in the staff chat is, if it is one."""
    relayed = await session.scalar(
        select(RelayedMessage).where(
            RelayedMessage.staff_chat_id == staff_chat_id,
            RelayedMessage.staff_message_id == message_id,
        )
    )
    if relayed is None:
        relayed = await session.scalar(
            select(RelayedMessage)
            .join(OutboxMessage, OutboxMessage.id == RelayedMessage.outbox_id)
            .where(
                RelayedMessage.staff_chat_id == staff_chat_id,
                RelayedMessage.staff_message_id.is_(None),
                OutboxMessage.chat_id == staff_chat_id,
                OutboxMessage.telegram_message_id == message_id,
            )
        )
        if relayed is None:
            return None
        # Keep the id: outbox rows are cleared by housekeeping, the relayed message stays.
        relayed.staff_message_id = message_id
    return await session.get(StaffThread, relayed.thread_id)


async def any_open_thread(session: AsyncSession, *, now: datetime, idle: timedelta) -> bool:
    """Whether a resident may be waiting for an answer (a thread gone quiet does not count)."""
    found = await session.scalar(
        select(StaffThread.id)
        .where(
            StaffThread.status == ThreadStatus.OPEN,
            func.coalesce(StaffThread.last_activity_at, StaffThread.opened_at) > now - idle,
        )
        .limit(1)
    )
    return found is not None


async def town_of(session: AsyncSession, thread: StaffThread) -> str | None:
    """The town of the resident's latest application: whose window staff may answer."""
    return await session.scalar(
        select(Application.town_id)
        .where(Application.resident_id == thread.resident_id)
        .order_by(Application.submitted_at.desc(), Application.id.desc())
        .limit(1)
    )


async def answering_town(
    session: AsyncSession, thread: StaffThread, *, staff_user_id: int
) -> str | None:
    """The town whose window staff may answer this thread.

    A resident who has applied belongs to their application's town. A question from someone
    who has not applied belongs to no town yet, so any window staff member may answer it: we
    ask ``authorise`` about the answerer's own town.
    """
    town = await town_of(session, thread)
    if town is not None:
        return town
    for role in await staff.roles_of(session, telegram_user_id=staff_user_id):
        if role.role == StaffRole.WINDOW:
            return role.town_id
    return None
