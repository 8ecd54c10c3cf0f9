"""Talk to staff: a resident's thread with the window staff, relayed through the staff chat.

The resident's texts go to the staff chat through the outbox; each posted message is linked to
its thread (RelayedMessage), so a staff member answers by replying to it and the answer finds
its way back. The staff chat message id is known only once the dispatcher has sent the row, so
it is read through the outbox row the first time a reply arrives, and kept on RelayedMessage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from markupsafe import escape
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric

from bot.callbacks import RelayPress
from bot.casework.notices import Markup, as_markup
from bot.casework.personal_data import mask_id_number, mask_name
from bot.casework.services import Casework
from bot.flows.model import Button, ButtonInput, CommandInput, Input, Label, Screen, TextInput
from bot.flows.parsing import normalise, strip_invisible
from storage import outbox, staff
from storage.models import (
    Application,
    OutboxMessage,
    OutboxStatus,
    Priority,
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
# Telegram takes 4096 characters after entity parsing (counted in UTF-16 units); we measure the
# HTML we send, which is never shorter, so every part fits.
MESSAGE_LIMIT = 4096
# outbox.enqueue starts a new message rather than combine past this length.
COMBINE_LIMIT = 3800
# A held text longer than this is cut: it is shown back to the resident for the choice.
HELD_LIMIT = 3 * MESSAGE_LIMIT


class ThreadStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Relayed(StrEnum):
    """What became of a resident's text for the staff."""

    SENT = "sent"  # queued for the staff chat (maybe in parts, maybe combined a little later)
    UNAVAILABLE = "unavailable"  # no staff chat configured
    BUSY = "busy"  # too many of the resident's messages still wait for the staff chat
    EMPTY = "empty"  # nothing visible was written


@dataclass(frozen=True, slots=True)
class RelayResult:
    outcome: Relayed
    parts: int = 0
    # Some parts were combined into a message that waits (the resident wrote a lot at once).
    held: bool = False

    def screen(self) -> Screen:
        """What the resident is told: "sent" only for what was queued."""
        if self.outcome is Relayed.SENT:
            return Screen(
                "relay/sent.html",
                {"parts": self.parts, "held": self.held},
                ((close_button(),),),
            )
        return Screen(f"relay/{self.outcome}.html", {}, ((close_button(),),))


@dataclass(frozen=True, slots=True)
class Routing:
    """Where a resident's input goes while their thread with the staff is open."""

    to_staff: str | None = None  # relay this text
    ask: str | None = None  # the text is held: ask whether it answers the flow's question
    event: Input | None = None  # on to the flow with this input
    ended: bool = False  # the thread was closed now (the resident moved on, or it went quiet)
    idle: bool = False  # ... because it had been quiet for too long


def talk_to_staff_button() -> Button:
    """The "talk to staff" button any screen may carry (handled by bot/handlers/relay.py)."""
    return Button(Label.of("relay.open"), OPEN_DATA)


def close_button() -> Button:
    return Button(Label.of("relay.close"), CLOSE_DATA)


def staff_close_button(thread_id: int) -> Button:
    return Button(Label.of("relay.staff_close"), RelayPress(CLOSE, thread_id).encode())


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


def route(
    thread: StaffThread,
    event: Input,
    *,
    waiting: bool,
    identifier: bool,
    idle: timedelta,
    now: datetime,
) -> Routing:
    """Decide where ``event`` goes while ``thread`` is open.

    ``waiting``: a question of a flow is waiting for a typed answer; ``identifier``: that
    question asks for an ID or phone number, which is never relayed. Typed text with nothing
    waiting goes to the staff; with both open, it is held and the resident chooses with two
    buttons — an older resident should never have to guess where their words went.
    """
    if is_idle(thread, now=now, idle=idle):
        end(thread, now=now)
        return Routing(event=event, ended=isinstance(event, TextInput), idle=True)
    if isinstance(event, CommandInput) and event.name in ENDING_COMMANDS:
        end(thread, now=now)
        return Routing(event=event, ended=True)
    if isinstance(event, ButtonInput) and event.data == ANSWER_DATA:
        if thread.pending_text is None:
            return Routing(event=event)  # nothing held (tapped twice): the flow calls it stale
        return _answer(thread, now)
    if not isinstance(event, TextInput):
        return Routing(event=event)  # taps, files and other commands belong to the flow
    if identifier:
        # The conversation stands at an ID or phone question (however long ago): what is
        # typed goes to it, never to a group.
        return Routing(event=event)
    if waiting:
        held = thread.pending_text
        choice = typed_choice(event.text) if held is not None else None
        if choice == SEND_DATA:
            thread.pending_text = None
            return Routing(to_staff=held)
        if choice == ANSWER_DATA:
            return _answer(thread, now)
        # A second text before choosing joins the first: nothing typed is dropped.
        text = strip_invisible(event.text)
        thread.pending_text = (f"{held}\n{text}" if held else text)[:HELD_LIMIT]
        return Routing(ask=thread.pending_text)
    return Routing(to_staff=event.text)


# Eighteen characters that may be a resident ID number (GB 11643), wherever they stand.
_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def mask_id_numbers(text: str) -> str:
    """A valid resident ID number in a text for the staff group is shown masked, as in the
    alerts: the group is many people, and the details view is where the number is read."""
    return _ID_CANDIDATE.sub(lambda m: mask_id_number(m[0]) if ric.is_valid(m[0]) else m[0], text)


# What a resident may type instead of tapping one of the two buttons of relay/which.html.
_TYPED_CHOICES = {
    ANSWER_DATA: frozenset({"1", "回答", "是回答", "回答问题", "answer", "my answer"}),
    SEND_DATA: frozenset({"2", "工作人员", "发给工作人员", "是发给工作人员的", "staff", "send"}),
}


def typed_choice(text: str) -> str | None:
    """The choice a typed word makes at "answer or staff?", if it makes one."""
    cleaned = normalise(strip_invisible(text)).strip("。.!！ ")
    for choice, words in _TYPED_CHOICES.items():
        if cleaned in words:
            return choice
    return None


def is_idle(thread: StaffThread, *, now: datetime, idle: timedelta) -> bool:
    return now - (thread.last_activity_at or thread.opened_at) >= idle


def _answer(thread: StaffThread, now: datetime) -> Routing:
    """The held text was an answer to the flow's question: the thread ends (so the resident's
    next answers are not asked about one by one) and the text goes to the flow."""
    held = thread.pending_text
    assert held is not None
    end(thread, now=now)
    return Routing(event=TextInput(held), ended=True)


def end(thread: StaffThread, *, now: datetime) -> None:
    """Close the thread quietly (the resident moved on): any held text is dropped."""
    thread.status = ThreadStatus.CLOSED
    thread.closed_at = now
    thread.pending_text = None


def which_screen(text: str) -> Screen:
    """Both a flow's question and a thread are open: which one was the text meant for?"""
    return Screen(
        "relay/which.html",
        {"text": text if len(text) <= 300 else f"{text[:300]}…"},
        (
            (Button(Label.of("relay.which.answer"), ANSWER_DATA),),
            (Button(Label.of("relay.which.send"), SEND_DATA),),
        ),
    )


async def relay_to_staff(
    session: AsyncSession,
    casework: Casework,
    thread: StaffThread,
    *,
    text: str,
    telegram_name: str,
    now: datetime,
) -> RelayResult:
    """Queue the resident's text for the staff chat: cleaned of invisible characters, split
    to fit Telegram, and throttled per resident so that one person cannot hold up the group."""
    if casework.staff_chat_id is None:
        return RelayResult(Relayed.UNAVAILABLE)
    text = strip_invisible(text).strip()
    if not text:
        return RelayResult(Relayed.EMPTY)
    if await _waiting_count(session, thread) >= casework.relay.backlog:
        return RelayResult(Relayed.BUSY)
    latest = await session.scalar(
        select(Application)
        .where(Application.resident_id == thread.resident_id)
        .order_by(Application.submitted_at.desc(), Application.id.desc())
        .limit(1)
    )
    # Staff see who is asking without the full name: the applicant's masked name and their
    # latest application number, or the masked Telegram name of someone who has not applied.
    who = {
        "name": mask_name(latest.applicant_name if latest else telegram_name),
        "number": latest.number if latest else None,
        "thread": thread.id,
    }
    # The frame around a part, measured with a one-character text (counted against the part).
    header = _staff_screen(casework, thread, {**who, "text": "·", "part": "99/99"})[0]
    pieces = split_for_telegram(mask_id_numbers(text), MESSAGE_LIMIT - _units(header) - 8)
    held = False
    for index, piece in enumerate(pieces, start=1):
        part = f"{index}/{len(pieces)}" if len(pieces) > 1 else None
        held |= await _post(session, casework, thread, {**who, "text": piece, "part": part}, now)
    thread.last_activity_at = now
    return RelayResult(Relayed.SENT, parts=len(pieces), held=held)


async def _post(
    session: AsyncSession,
    casework: Casework,
    thread: StaffThread,
    values: dict[str, object],
    now: datetime,
) -> bool:
    """One part to the staff chat; True when it was combined into a message that waits."""
    assert casework.staff_chat_id is not None
    # Counted over all the resident's threads: closing and reopening does not reset it.
    recent = await session.scalar(
        select(func.count(func.distinct(RelayedMessage.outbox_id))).where(
            RelayedMessage.thread_id.in_(_threads_of(thread)),
            RelayedMessage.created_at > now - timedelta(minutes=1),
        )
    )
    combine_key: str | None = None
    due = now
    if (recent or 0) >= casework.relay.per_minute:
        waiting = await session.scalar(
            select(OutboxMessage)
            .join(RelayedMessage, RelayedMessage.outbox_id == OutboxMessage.id)
            .where(
                RelayedMessage.thread_id.in_(_threads_of(thread)),
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.combine_key.is_not(None),
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        more = casework.renderer.render(
            Screen("relay/more.html", values), casework.staff_locale
        ).text
        fits = waiting is not None and (
            _units(waiting.payload["text"]) + _units(more) + 2 < COMBINE_LIMIT
        )
        if waiting is not None and fits:
            await outbox.enqueue(
                session,
                chat_id=casework.staff_chat_id,
                purpose="relay",
                priority=Priority.STAFF,
                text=more,
                combine_key=waiting.combine_key,
                now=now,
            )
            return True
        # A new combined message, a minute after the last one: at most one a minute once the
        # resident has written more than ``per_minute`` messages.
        due = max(now, waiting.not_before if waiting is not None else now) + timedelta(minutes=1)
        combine_key = f"relay:{thread.resident_id}:{int(due.timestamp())}"
    body, markup = _staff_screen(casework, thread, values)
    row = await outbox.enqueue(
        session,
        chat_id=casework.staff_chat_id,
        purpose="relay",
        priority=Priority.STAFF,
        text=body,
        reply_markup=markup,
        combine_key=combine_key,
        combine_within=due - now,
        now=now,
    )
    await session.flush()
    session.add(
        RelayedMessage(
            thread_id=thread.id,
            staff_chat_id=casework.staff_chat_id,
            outbox_id=row.id,
            created_at=now,
        )
    )
    return combine_key is not None


def _staff_screen(
    casework: Casework, thread: StaffThread, values: dict[str, object]
) -> tuple[str, Markup]:
    screen = Screen("relay/to_staff.html", values, ((staff_close_button(thread.id),),))
    return as_markup(screen, casework, casework.staff_locale)


async def _waiting_count(session: AsyncSession, thread: StaffThread) -> int:
    count = await session.scalar(
        select(func.count(func.distinct(OutboxMessage.id)))
        .join(RelayedMessage, RelayedMessage.outbox_id == OutboxMessage.id)
        .where(
            RelayedMessage.thread_id.in_(_threads_of(thread)),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    )
    return int(count or 0)


def _threads_of(thread: StaffThread) -> Select[int]:
    """Every thread of the thread's resident: limits are per resident, not per thread."""
    return select(StaffThread.id).where(StaffThread.resident_id == thread.resident_id)


def split_for_telegram(text: str, room: int) -> list[str]:
    """``text`` in parts whose HTML-escaped form fits ``room`` UTF-16 units, cut at a line
    break or a space where one is near, never inside a character."""
    parts: list[str] = []
    rest = text
    while _units(str(escape(rest))) > room:
        size, cut = 0, 0
        for index, ch in enumerate(rest):
            size += _units(str(escape(ch)))
            if size > room:
                break
            cut = index + 1
        cut = max(cut, 1)
        gap = max(rest.rfind("\n", 0, cut), rest.rfind(" ", 0, cut))
        if gap > cut // 2:
            cut = gap + 1
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return [part for part in parts if part]


def _units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


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
    if still_open:
        thread.last_activity_at = now
    # A late answer to a closed thread still reaches the resident, with a way to write back.
    button = close_button() if still_open else talk_to_staff_button()
    locale = resident.locale or default_locale
    values = {"open": still_open, "part": "99/99"}
    header = casework.renderer.render(Screen("relay/answer.html", {**values, "text": "·"}), locale)
    # A reply near Telegram's limit would not fit with our header: it goes in parts.
    pieces = split_for_telegram(strip_invisible(text), MESSAGE_LIMIT - _units(header.text) - 8)
    for index, piece in enumerate(pieces, start=1):
        values = {
            "text": piece,
            "open": still_open,
            "part": f"{index}/{len(pieces)}" if len(pieces) > 1 else None,
        }
        screen = Screen("relay/answer.html", values, ((button,),))
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
    end(thread, now=now)
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
