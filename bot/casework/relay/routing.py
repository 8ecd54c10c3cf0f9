"""Where a resident's input goes while their thread with the staff is open: to the staff, to
the flow, or held while they say which."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.casework.relay.messages import MESSAGE_LIMIT
from bot.casework.relay.threads import ANSWER_DATA, ENDING_COMMANDS, SEND_DATA, end, is_idle
from bot.flows.model import Button, ButtonInput, CommandInput, Input, Label, Screen, TextInput
from bot.flows.parsing import normalise, strip_invisible
from storage.models import (
    StaffThread,
)

# A held text longer than this is cut: it is shown back to the resident for the choice.
HELD_LIMIT = 3 * MESSAGE_LIMIT


@dataclass(frozen=True, slots=True)
class Routing:
    """Where a resident's input goes while their thread with the staff is open."""

    to_staff: str | None = None  # relay this text
    ask: str | None = None  # the text is held: ask whether it answers the flow's question
    event: Input | None = None  # on to the flow with this input
    ended: bool = False  # the thread was closed now (the resident moved on, or it went quiet)
    idle: bool = False  # ... because it had been quiet for too long


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


def _answer(thread: StaffThread, now: datetime) -> Routing:
    """The held text was an answer to the flow's question: the thread ends (so the resident's
    next answers are not asked about one by one) and the text goes to the flow."""
    held = thread.pending_text
    assert held is not None
    end(thread, now=now)
    return Routing(event=TextInput(held), ended=True)


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
