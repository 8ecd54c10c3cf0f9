"""What goes between a resident and the staff chat: the resident's texts, masked, cut to fit
Telegram and throttled per resident; the staff's answers; notes to the staff chat. All of it
as outbox rows, in the update's transaction."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from markupsafe import escape
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric

from bot.casework.notifications import as_markup
from bot.casework.people import locale_for
from bot.casework.personal_data import mask_id_number, mask_name
from bot.casework.relay.threads import (
    ThreadStatus,
    close_button,
    end,
    talk_to_staff_button,
)
from bot.casework.services import Casework, StaffBoard
from bot.flows.model import Screen
from bot.flows.parsing import strip_invisible
from storage import outbox
from storage.models import (
    Application,
    OutboxMessage,
    OutboxStatus,
    Priority,
    RelayedMessage,
    Resident,
    StaffThread,
)

# Telegram takes 4096 characters after entity parsing (counted in UTF-16 units); we measure the
# HTML we send, which is never shorter, so every part fits.
MESSAGE_LIMIT = 4096


class StaffNote(StrEnum):
    """A note about "talk to staff" for the staff chat."""

    HINT = "hint"  # how to answer a resident: reply to their message
    REFUSED = "refused"  # someone not allowed tried to answer


class Relayed(StrEnum):
    """What became of a resident's text for the staff."""

    SENT = "sent"  # queued for the staff chat (maybe in parts, maybe combined a little later)
    UNAVAILABLE = "unavailable"  # no staff chat configured
    BUSY = "busy"  # too many of the resident's messages still wait for the staff chat
    EMPTY = "empty"  # nothing visible was written


@dataclass(frozen=True, slots=True)
class RelayedText:
    """One part of a resident's text for the staff chat, and who wrote it (masked)."""

    name: str  # the applicant's masked name, or the masked Telegram name
    number: str | None  # their latest application's number
    thread: int
    text: str
    part: str | None = None  # "2/3" when the text came in parts


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


# Eighteen characters that may be a resident ID number (GB 11643), wherever they stand.
_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def mask_id_numbers(text: str) -> str:
    """A valid resident ID number in a text for the staff group is shown masked, as in the
    alerts: the group is many people, and the details view is where the number is read."""
    return _ID_CANDIDATE.sub(lambda m: mask_id_number(m[0]) if ric.is_valid(m[0]) else m[0], text)


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
    board = casework.board
    if casework.staff_chat_id is None or board is None:
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
    who = RelayedText(
        name=mask_name(latest.applicant_name if latest else telegram_name),
        number=latest.number if latest else None,
        thread=thread.id,
        text="",
    )
    parts = in_parts(
        mask_id_numbers(text),
        lambda piece, part: board.relayed(casework, replace(who, text=piece, part=part))[0],
    )
    held = False
    for piece, part in parts:
        said = replace(who, text=piece, part=part)
        held |= await _post(session, casework, board, thread, said, now)
    thread.last_activity_at = now
    return RelayResult(Relayed.SENT, parts=len(parts), held=held)


async def _post(
    session: AsyncSession,
    casework: Casework,
    board: StaffBoard,
    thread: StaffThread,
    said: RelayedText,
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
        more = board.relayed_more(casework, said)
        fits = waiting is not None and (
            _units(waiting.payload["text"]) + _units(more) + 2 < outbox.COMBINE_LIMIT
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
    body, markup = board.relayed(casework, said)
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


def in_parts(text: str, message: Callable[[str, str | None], str]) -> list[tuple[str, str | None]]:
    """``text`` cut so that each piece fits the message ``message(piece, part)`` makes of it;
    each with its part ("1/3"), or None when one message holds it all."""
    # The frame around a part, measured with a one-character text (counted against the part).
    frame = _units(message("·", "99/99"))
    pieces = split_for_telegram(text, MESSAGE_LIMIT - frame - 8)
    if len(pieces) == 1:
        return [(pieces[0], None)]
    return [(piece, f"{index}/{len(pieces)}") for index, piece in enumerate(pieces, start=1)]


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
    locale = locale_for(resident, None, default_locale)

    def answer(piece: str, part: str | None) -> Screen:
        values = {"text": piece, "open": still_open, "part": part}
        return Screen("relay/answer.html", values, ((button,),))

    # A reply near Telegram's limit would not fit with our header: it goes in parts.
    parts = in_parts(
        strip_invisible(text),
        lambda piece, part: casework.renderer.render(answer(piece, part), locale).text,
    )
    for piece, part in parts:
        screen = answer(piece, part)
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
    session: AsyncSession, casework: Casework, note: StaffNote, *, now: datetime
) -> None:
    """A short note to the staff chat, through the outbox so group limits are kept."""
    if casework.staff_chat_id is None or casework.board is None:
        return
    body, markup = casework.board.relay_note(casework, note)
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
    locale = locale_for(resident, None, default_locale)
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
