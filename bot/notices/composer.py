"""The broadcast composer: an administrator's steps from text to confirmation, as one shared
`transitions` machine, and the decisions taken at each step.

The step is the draft row's ``draft_step`` (None once it is sent, scheduled or discarded), so
composing survives a restart. The decisions here return what to show — screens, labels, and
where the draft itself is shown as residents will see it — and never send; the Telegram
handler (`bot/handlers/broadcast.py`) authorises, claims the update, and delivers them.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot import machines
from bot.callbacks import BroadcastPress
from bot.flows.model import Button, Label, Screen
from bot.machines import shared_machine
from bot.notices import audience as audiences
from bot.notices import broadcasts
from bot.notices.audience import Audience, AudienceError
from bot.notices.lifecycle import BroadcastError, InvalidMove, Move
from bot.policy import Profile
from bot.policy.base import CHINA
from storage import staff
from storage.models import Broadcast


class Step(StrEnum):
    TEXT = "text"
    PHOTO = "photo"
    AUDIENCE = "audience"
    CONFIRM = "confirm"
    SCHEDULE = "schedule"  # waiting for the time typed
    CLOSED = "closed"  # sent, scheduled or discarded: ``draft_step`` is None


class Choice(StrEnum):
    """What the administrator did; the button's action where a button does it."""

    OPEN = "open"  # /broadcast: (back) to the text
    TEXT = "text"
    PHOTO = "photo"
    NO_PHOTO = "nophoto"
    TOO_LONG = "too_long"  # the text is too long for a photo's caption: back to the text
    AUDIENCE = "chosen"  # typed an audience
    EVERYONE = "everyone"
    CHANGE_AUDIENCE = "audience"
    TEST = "test"
    SCHEDULE = "schedule"
    TIME = "time"  # typed the time it goes out
    SEND = "send"
    DISCARD = "discard"


S, C = Step, Choice
OPEN_STEPS = [S.TEXT, S.PHOTO, S.AUDIENCE, S.CONFIRM, S.SCHEDULE]
CONFIRMING = [S.CONFIRM, S.SCHEDULE]  # the confirmation's buttons stay good while a time is asked
# The choices a composing button carries (``b|<id>|<choice>``); the others are typed.
BUTTONS = frozenset(
    {C.NO_PHOTO, C.EVERYONE, C.CHANGE_AUDIENCE, C.TEST, C.SCHEDULE, C.SEND, C.DISCARD}
)
CONTROLS = (Move.PAUSE, Move.RESUME, Move.CANCEL)  # the progress message's buttons

TRANSITIONS: list[dict[str, object]] = [
    {"trigger": C.OPEN, "source": [*OPEN_STEPS, S.CLOSED], "dest": S.TEXT},
    {"trigger": C.TEXT, "source": S.TEXT, "dest": S.AUDIENCE, "conditions": "with_photo"},
    {"trigger": C.TEXT, "source": S.TEXT, "dest": S.PHOTO, "unless": "with_photo"},
    {"trigger": C.PHOTO, "source": S.PHOTO, "dest": S.AUDIENCE},
    {"trigger": C.NO_PHOTO, "source": S.PHOTO, "dest": S.AUDIENCE},
    {"trigger": C.TOO_LONG, "source": S.PHOTO, "dest": S.TEXT},
    {"trigger": C.AUDIENCE, "source": S.AUDIENCE, "dest": S.CONFIRM},
    {"trigger": C.EVERYONE, "source": [S.AUDIENCE, *CONFIRMING], "dest": S.CONFIRM},
    {"trigger": C.CHANGE_AUDIENCE, "source": CONFIRMING, "dest": S.AUDIENCE},
    {"trigger": C.TEST, "source": CONFIRMING, "dest": None},
    {"trigger": C.SCHEDULE, "source": CONFIRMING, "dest": S.SCHEDULE},
    {"trigger": C.TIME, "source": S.SCHEDULE, "dest": S.CLOSED},
    {"trigger": C.SEND, "source": CONFIRMING, "dest": S.CLOSED},
    {"trigger": C.DISCARD, "source": OPEN_STEPS, "dest": S.CLOSED},
]


class _Draft:
    """The light model attached for one step."""

    state: str

    def __init__(self, *, with_photo: bool) -> None:
        self.with_photo = with_photo


_MACHINE = shared_machine(Step, TRANSITIONS, S.TEXT)


def next_step(step: str | None, choice: str, *, with_photo: bool = False) -> Step:
    """Where ``choice`` takes a draft at ``step`` (None: not composing); InvalidMove when it
    does not follow, e.g. a button left on an older message."""
    current = str(step) if step is not None else str(S.CLOSED)
    if choice not in Choice.__members__.values() or current not in Step.__members__.values():
        raise InvalidMove(f"unknown step {current!r} or choice {choice!r}")
    after = machines.move(_MACHINE, _Draft(with_photo=with_photo), current, choice)
    if after is None:
        raise InvalidMove(f"{choice!r} does not follow at the {current!r} step")
    return Step(after)


def stored(step: Step) -> str | None:
    return None if step == S.CLOSED else str(step)


@dataclass(frozen=True, slots=True)
class ShowDraft:
    """Here the draft itself is shown, as residents will see it (to the administrator only)."""


SHOW_DRAFT = ShowDraft()
Message = Screen | Label | ShowDraft


@dataclass(slots=True)
class Reply:
    """What to show after one step: messages in order, a toast for a press, and whether the
    broadcast started (its progress message is then sent)."""

    messages: list[Message] = field(default_factory=list)
    toast: Label | None = None
    started: bool = False


@dataclass(frozen=True, slots=True)
class Typed:
    """What the administrator sent while composing."""

    text: str
    photo: str | None = None  # the largest size's file id
    document: bool = False  # a file sent as a document, not a photo


@dataclass(slots=True)
class Desk:
    """What one administrator's step needs: the session, the profile, the clock, the footer."""

    session: AsyncSession
    profile: Profile
    clock: Callable[[], datetime]
    footer: str  # the line residents get under every notice, in the bot's locale
    chat_id: int


def label(key: str, **params: object) -> Label:
    """A label for an HTML message: what was typed (an audience, a time) is escaped, so
    "town=<b" is shown as typed instead of breaking the message."""
    return Label.of(
        key,
        **{k: html.escape(v, quote=False) if isinstance(v, str) else v for k, v in params.items()},
    )


def error(exc: BroadcastError) -> Label:
    return label(f"broadcast.error.{exc.key}", **exc.params)


def ask_text(desk: Desk, draft: Broadcast) -> Label:
    footer = len(desk.footer) + 2
    return label(
        "broadcast.ask_text",
        id=draft.id,
        limit=broadcasts.MAX_TEXT - footer,
        caption=broadcasts.MAX_CAPTION - footer,
    )


def open_draft(draft: Broadcast) -> None:
    draft.draft_step = stored(next_step(draft.draft_step, C.OPEN))


async def typed(desk: Desk, draft: Broadcast, given: Typed) -> Reply:
    """Text, photo, audience or time for the draft at its step (nothing at the confirmation)."""
    reply = Reply()
    step = draft.draft_step
    try:
        if step == S.TEXT:
            if given.document:
                raise BroadcastError("not_image") if not given.text else BroadcastError("empty")
            with_photo = given.photo is not None
            broadcasts.check_text(given.text, footer=desk.footer, with_photo=with_photo)
            draft.text = given.text.strip()
            draft.body_html = broadcasts.body_html(draft.text, desk.footer)
            draft.draft_step = stored(next_step(step, C.TEXT, with_photo=with_photo))
            if given.photo is not None:
                draft.photo_file_id = given.photo
                reply.messages.append(ask_audience(draft))
            else:
                reply.messages.append(ask_photo(draft))
        elif step == S.PHOTO:
            if given.photo is None:
                raise BroadcastError("not_image")
            try:
                broadcasts.check_text(draft.text, footer=desk.footer, with_photo=True)
            except BroadcastError:
                draft.draft_step = stored(next_step(step, C.TOO_LONG))
                raise
            draft.photo_file_id = given.photo
            draft.draft_step = stored(next_step(step, C.PHOTO))
            reply.messages.append(ask_audience(draft))
        elif step == S.AUDIENCE:
            try:
                chosen = audiences.parse(given.text, desk.profile)
            except AudienceError as exc:
                raise BroadcastError(f"audience_{exc.key}", **exc.params) from None
            await _choose_audience(desk, draft, chosen, C.AUDIENCE, reply)
            reply.messages.append(SHOW_DRAFT)
        elif step == S.SCHEDULE:
            await _start(desk, draft, reply, at=parse_time(given.text))
    except BroadcastError as exc:
        reply.messages.append(error(exc))
    return reply


async def pressed(desk: Desk, broadcast: Broadcast, choice: str) -> Reply:
    """A composing button, or the progress message's pause, resume or cancel."""
    reply = Reply()
    try:
        if choice in CONTROLS:
            await broadcasts.control(desk.session, broadcast, choice, now=desk.clock())
        elif choice in BUTTONS:
            await _composing(desk, broadcast, Choice(choice), reply)
    except BroadcastError as exc:
        refusal = error(exc)
        reply.toast = refusal
        reply.messages.append(refusal)
    return reply


async def _composing(desk: Desk, draft: Broadcast, choice: Choice, reply: Reply) -> None:
    step = draft.draft_step
    if choice == C.EVERYONE:
        await _choose_audience(desk, draft, Audience(), choice, reply)
        reply.messages.insert(0, SHOW_DRAFT)  # before the confirmation, as residents see it
        return
    if choice == C.SEND:
        await _start(desk, draft, reply)
        reply.started = True
        return
    if choice == C.DISCARD:
        next_step(step, choice)
        broadcasts.discard(draft, now=desk.clock())
        reply.messages.append(label("broadcast.discarded"))
        return
    draft.draft_step = stored(next_step(step, choice))
    if choice in (C.NO_PHOTO, C.CHANGE_AUDIENCE):
        reply.messages.append(ask_audience(draft))
    elif choice == C.TEST:
        reply.messages.insert(0, SHOW_DRAFT)
        reply.toast = label("broadcast.tested")
    elif choice == C.SCHEDULE:
        reply.messages.append(label("broadcast.ask_schedule"))


async def _choose_audience(
    desk: Desk, draft: Broadcast, chosen: Audience, choice: Choice, reply: Reply
) -> None:
    after = next_step(draft.draft_step, choice)
    recipients = await broadcasts.count(desk.session, chosen, desk.clock())
    if recipients == 0:
        raise BroadcastError("nobody")
    draft.audience = chosen.to_json()
    draft.recipients = recipients
    draft.draft_step = stored(after)
    reply.messages.append(confirmation(draft, chosen.describe(), recipients))


async def _start(desk: Desk, draft: Broadcast, reply: Reply, *, at: datetime | None = None) -> None:
    after = next_step(draft.draft_step, C.SEND if at is None else C.TIME)
    now = desk.clock()
    recipients = await broadcasts.start(desk.session, draft, now=now, at=at)
    draft.draft_step = stored(after)
    staff.audit(
        desk.session,
        actor_id=draft.created_by,
        chat_id=desk.chat_id,
        action="broadcast.confirmed",
        subject=f"broadcast:{draft.id}",
        outcome="allowed",
        detail={
            "audience": draft.audience,
            "recipients": recipients,
            "scheduled_for": at.isoformat() if at else None,
            "photo": draft.photo_file_id is not None,
        },
        at=now,
    )
    if at is not None:
        shown = at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        reply.messages.append(
            label("broadcast.scheduled", id=draft.id, at=shown, count=f"{recipients:,}")
        )


def parse_time(text: str) -> datetime:
    """A China time typed as 2026-03-05 09:00, in UTC."""
    try:
        local = datetime.strptime(text.strip().replace("T", " "), "%Y-%m-%d %H:%M")
    except ValueError:
        raise BroadcastError("bad_time") from None
    return local.replace(tzinfo=CHINA).astimezone(UTC)


# ---- screens ----------------------------------------------------------------------------------


def _button(key: str, draft: Broadcast, choice: Choice) -> Button:
    return Button(Label(key), BroadcastPress(draft.id, choice).encode())


def ask_photo(draft: Broadcast) -> Screen:
    return Screen(
        "broadcast/ask_photo.html",
        {"id": draft.id},
        ((_button("broadcast.no_photo", draft, C.NO_PHOTO),),),
    )


def ask_audience(draft: Broadcast) -> Screen:
    return Screen(
        "broadcast/ask_audience.html",
        {"id": draft.id},
        ((_button("broadcast.everyone", draft, C.EVERYONE),),),
    )


def confirmation(draft: Broadcast, audience: str, recipients: int) -> Screen:
    return Screen(
        "broadcast/preview.html",
        {"id": draft.id, "audience": audience, "count": f"{recipients:,}"},
        (
            (
                _button("broadcast.test", draft, C.TEST),
                _button("broadcast.send", draft, C.SEND),
            ),
            (
                _button("broadcast.schedule", draft, C.SCHEDULE),
                _button("broadcast.change_audience", draft, C.CHANGE_AUDIENCE),
            ),
            (_button("broadcast.discard", draft, C.DISCARD),),
        ),
    )
