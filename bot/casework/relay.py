"""Talk to staff: a resident's thread with the window staff, relayed through the staff chat.

The resident's texts go to the staff chat through the outbox; each posted message is linked to
its thread (RelayedMessage), so a staff member answers by replying to it and the answer finds
its way back. The staff chat message id is known only once the dispatcher has sent the row, so
it is read through the outbox row the first time a reply arrives, and kept on RelayedMessage.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework.notices import as_markup
from bot.casework.personal_data import mask_name
from bot.casework.services import Casework
from bot.flows.model import Button, Label, Screen
from storage import outbox, staff
from storage.models import (
    Application,
    OutboxMessage,
    Priority,
    RelayedMessage,
    Resident,
    StaffRole,
    StaffThread,
)

CALLBACK_PREFIX = "s|"
OPEN_DATA = "s|open"
CLOSE_DATA = "s|close"


class ThreadStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def talk_to_staff_button() -> Button:
    """The "talk to staff" button any screen may carry (handled by bot/handlers/relay.py)."""
    return Button(Label.of("relay.open"), OPEN_DATA)


def close_button() -> Button:
    return Button(Label.of("relay.close"), CLOSE_DATA)


def staff_close_button(thread_id: int) -> Button:
    return Button(Label.of("relay.staff_close"), f"{CLOSE_DATA}|{thread_id}")


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
    """The resident's open thread, or a new one; True when it was opened now."""
    thread = await session.scalar(
        select(StaffThread)
        .where(StaffThread.resident_id == resident.id, StaffThread.status == ThreadStatus.OPEN)
        .limit(1)
    )
    if thread is not None:
        return thread, False
    thread = StaffThread(resident_id=resident.id, status=ThreadStatus.OPEN, opened_at=now)
    session.add(thread)
    await session.flush()
    return thread, True


async def relay_to_staff(
    session: AsyncSession,
    casework: Casework,
    thread: StaffThread,
    *,
    text: str,
    telegram_name: str,
    now: datetime,
) -> RelayedMessage | None:
    """Queue the resident's text for the staff chat; None when no staff chat is configured."""
    if casework.staff_chat_id is None:
        return None
    latest = await session.scalar(
        select(Application)
        .where(Application.resident_id == thread.resident_id)
        .order_by(Application.submitted_at.desc(), Application.id.desc())
        .limit(1)
    )
    # Staff see who is asking without the full name: the applicant's masked name and their
    # latest application number, or the masked Telegram name of someone who has not applied.
    screen = Screen(
        "relay/to_staff.html",
        {
            "name": mask_name(latest.applicant_name if latest else telegram_name),
            "number": latest.number if latest else None,
            "thread": thread.id,
            "text": text,
        },
        ((staff_close_button(thread.id),),),
    )
    body, markup = as_markup(screen, casework, casework.staff_locale)
    row = await outbox.enqueue(
        session,
        chat_id=casework.staff_chat_id,
        purpose="relay",
        priority=Priority.STAFF,
        text=body,
        reply_markup=markup,
        now=now,
    )
    await session.flush()
    relayed = RelayedMessage(
        thread_id=thread.id, staff_chat_id=casework.staff_chat_id, outbox_id=row.id, created_at=now
    )
    session.add(relayed)
    return relayed


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


async def any_open_thread(session: AsyncSession) -> bool:
    found = await session.scalar(
        select(StaffThread.id).where(StaffThread.status == ThreadStatus.OPEN).limit(1)
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


async def answer_resident(
    session: AsyncSession,
    casework: Casework,
    thread: StaffThread,
    *,
    text: str,
    default_locale: str,
    now: datetime,
) -> None:
    """Queue a staff answer for the resident, in the resident's language."""
    resident = await session.get(Resident, thread.resident_id)
    if resident is None:
        return
    still_open = thread.status == ThreadStatus.OPEN
    # A late answer to a closed thread still reaches the resident, with a way to write back.
    button = close_button() if still_open else talk_to_staff_button()
    screen = Screen("relay/answer.html", {"text": text, "open": still_open}, ((button,),))
    await _to_resident(session, casework, resident, screen, default_locale, "relay_answer", now)


async def close_thread(
    session: AsyncSession,
    casework: Casework,
    thread: StaffThread,
    *,
    by_staff: bool,
    default_locale: str,
    now: datetime,
) -> bool:
    """Close the thread; False when it was closed already. Staff closing tells the resident."""
    if thread.status != ThreadStatus.OPEN:
        return False
    thread.status = ThreadStatus.CLOSED
    thread.closed_at = now
    if by_staff:
        resident = await session.get(Resident, thread.resident_id)
        if resident is not None:
            screen = Screen("relay/closed_by_staff.html", {}, ((talk_to_staff_button(),),))
            await _to_resident(
                session, casework, resident, screen, default_locale, "relay_closed", now
            )
    return True


async def tell_staff_chat(
    session: AsyncSession, casework: Casework, template: str, *, now: datetime
) -> None:
    """A short note to the staff chat, through the outbox so group limits are kept."""
    if casework.staff_chat_id is None:
        return
    body, markup = as_markup(Screen(template), casework, casework.staff_locale)
    await outbox.enqueue(
        session,
        chat_id=casework.staff_chat_id,
        purpose="relay_hint",
        priority=Priority.STAFF,
        text=body,
        reply_markup=markup,
        now=now,
    )


async def _to_resident(
    session: AsyncSession,
    casework: Casework,
    resident: Resident,
    screen: Screen,
    default_locale: str,
    purpose: str,
    now: datetime,
) -> None:
    locale = resident.locale or default_locale
    body, markup = as_markup(screen, casework, locale)
    await outbox.enqueue(
        session,
        chat_id=resident.telegram_user_id,
        purpose=purpose,
        priority=Priority.RESIDENT,
        text=body,
        reply_markup=markup,
        now=now,
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
